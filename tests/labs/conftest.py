"""Fixtures for the lab tests: a course folder with the student versions, other claims data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lab_helpers import lab_ids, lab_paths, run_nbgrader

from sagelab.data import generate_claims, write_claims_csv


@pytest.fixture(scope="session")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course folder with every lab under source/ and its student version under release/."""
    root = tmp_path_factory.mktemp("course")
    for path in lab_paths():
        shutil.copytree(path.parent, root / "source" / path.parent.name)
    for lab in lab_ids():
        run_nbgrader(root, "generate_assignment", lab, "--force")
    return root


@pytest.fixture(scope="session")
def other_claims_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A claims CSV with the public schema but other rows, rates and category frequencies.

    8,000 generated rows with another seed, then: no policyholder over 65 (and so nobody with
    30 or more years of driving experience), no sports cars, half of the rows without a claim
    dropped at random to raise the claim rate from about a third to a half, nine in ten rows
    of the most common postal code, 10238, dropped, and no DUI on anybody's record, so that
    column has a single value. About 1,500 rows remain.
    """
    claims = generate_claims(rows=8000, seed=7)
    claims = claims[(claims["AGE"] != "65+") & (claims["VEHICLE_TYPE"] != "sports car")]
    no_claim = claims[claims["OUTCOME"] == 0]
    dropped = no_claim.sample(frac=0.5, random_state=7).index
    claims = claims.drop(index=dropped)
    rare_postal = claims[claims["POSTAL_CODE"] == 10238].sample(frac=0.9, random_state=7).index
    claims = claims.drop(index=rare_postal).reset_index(drop=True)
    claims["DUIS"] = 0
    path = tmp_path_factory.mktemp("data") / "other_claims.csv"
    write_claims_csv(claims, path)
    return path
