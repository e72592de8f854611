"""An unanswered student version earns no autograded points in the labs that use SageMaker.

nbgrader gives a test cell full marks when it runs without an error and writes nothing to
stderr. The student version runs here with nbclient, errors allowed, as autograde runs it;
every test cell must then fail, so no point is free. Labs 01, 02 and 07 go through nbgrader's
own autograde in test_autograde.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

SAGEMAKER_LABS = ("03-train", "04-tune", "05-deploy", "06-ab-testing", "08-capstone")
CELL_TIMEOUT_SECONDS = 300


@pytest.mark.slow
@pytest.mark.parametrize("lab", SAGEMAKER_LABS)
def test_unanswered_tests_fail(released_course: Path, lab: str) -> None:
    folder = released_course / "release" / lab
    notebook = nbformat.read(folder / f"{lab}.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )

    client.execute()

    passing = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            kinds = {output.output_type for output in cell.outputs}
            streams = {output.get("name") for output in cell.outputs}
            if "error" not in kinds and "stderr" not in streams:
                passing.append(meta["grade_id"])
    assert passing == [], f"{lab}: test cells pass without an answer: {passing}"
