"""Run the solution notebooks in fresh kernels, on claims data unlike the bundled file.

Outputs are not committed, so there is nothing to compare cell by cell: a lab passes when
every cell runs without an error and it sets its headline metric. Each lab runs as
`make course` runs it, through `sagelab.course.run_lab`, with SAGELAB_DATA pointing at a file
with other row counts, claim rate and category frequencies.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from lab_helpers import LABS, lab_ids

from sagelab.course import run_lab
from sagelab.data import load_claims


def first_error(executed: Path) -> str:
    """Return the source and traceback of the first cell that raised, or an empty string."""
    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                trace = "\n".join(output.get("traceback", []))
                return f"cell:\n{cell.source}\n\n{output['ename']}: {output['evalue']}\n{trace}"
    return ""


def noisy_test_cells(executed: Path) -> list[str]:
    """Return the grade ids of autograded test cells that wrote to stderr.

    nbgrader scores a test cell 0 when it writes anything to stderr, a warning included.
    """
    notebook = nbformat.read(executed, as_version=4)
    noisy = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            streams = [output.get("name") for output in cell.get("outputs", [])]
            if "stderr" in streams:
                noisy.append(meta["grade_id"])
    return noisy


@pytest.mark.slow
@pytest.mark.parametrize("lab", lab_ids())
def test_solution_runs_on_other_data(
    lab: str, other_claims_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGELAB_DATA", str(other_claims_csv))

    run = run_lab(LABS / lab / f"{lab}.ipynb", output_dir=tmp_path)

    assert run.status == "passed", f"{lab}: {run.error}\n{first_error(tmp_path / f'{lab}.ipynb')}"
    assert run.headline, f"{lab} did not set HEADLINE"
    assert noisy_test_cells(tmp_path / f"{lab}.ipynb") == []
    for name, value in run.headline.items():
        assert isinstance(value, (int, float, str)), f"{lab}: headline {name} is {value!r}"
    rows = len(load_claims(other_claims_csv))
    if "rows" in run.headline:
        assert run.headline["rows"] == rows
