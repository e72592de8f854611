"""The preflight: parse, upgrade and realign submissions against the release, without kernels."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest
from nbformat import NotebookNode
from toy_submissions import SubmissionKind, make_submission

from grader.collect.preflight import preflight


def _grade_ids(notebook: NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata]


def _cell(notebook: NotebookNode, grade_id: str) -> NotebookNode:
    return next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    )


@pytest.fixture
def perfect(release_notebook: NotebookNode) -> NotebookNode:
    return make_submission(release_notebook, SubmissionKind.PERFECT)


def _run(notebook: NotebookNode, release: NotebookNode, version: int = 4):
    return preflight(nbformat.writes(notebook, version=version).encode(), "01-toy.ipynb", release)


def test_clean_submission_unchanged(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    result = _run(perfect, release_notebook)

    assert result.rejected == ""
    assert result.repairs == []
    assert _grade_ids(result.notebook) == _grade_ids(release_notebook)


def test_invalid_json_rejected(release_notebook: NotebookNode) -> None:
    result = preflight(b'{"cells": [', "01-toy.ipynb", release_notebook)

    assert result.notebook is None
    assert result.rejected.startswith("01-toy.ipynb is not valid JSON: ")


def test_json_without_version_rejected(release_notebook: NotebookNode) -> None:
    result = preflight(b"[1, 2]", "01-toy.ipynb", release_notebook)

    assert result.rejected == "01-toy.ipynb is not a Jupyter notebook (no nbformat version)"


def test_nbformat_3_upgraded(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    old = nbformat.convert(copy.deepcopy(perfect), 3)
    result = _run(old, release_notebook, version=3)

    assert "upgraded nbformat 3 to 4.5" in result.repairs
    assert result.notebook.nbformat_minor == 5
    assert _grade_ids(result.notebook) == _grade_ids(release_notebook)


def test_old_minor_gets_cell_ids(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    data = json.loads(nbformat.writes(perfect))
    data["nbformat_minor"] = 2
    for cell in data["cells"]:
        cell.pop("id")
    result = preflight(json.dumps(data).encode(), "01-toy.ipynb", release_notebook)

    assert "upgraded nbformat 4.2 to 4.5" in result.repairs
    assert all(cell.get("id") for cell in result.notebook.cells)


def test_duplicate_cell_ids_fixed(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    data = json.loads(nbformat.writes(perfect))
    for cell in data["cells"]:
        cell["id"] = "same"
    result = preflight(json.dumps(data).encode(), "01-toy.ipynb", release_notebook)

    ids = [cell["id"] for cell in result.notebook.cells]
    assert len(set(ids)) == len(ids)
    assert f"gave {len(ids) - 1} cell(s) a new unique cell id" in result.repairs


def test_schema_version_reset(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    _cell(perfect, "test_means").metadata["nbgrader"]["schema_version"] = 4
    result = _run(perfect, release_notebook)

    assert _cell(result.notebook, "test_means").metadata["nbgrader"]["schema_version"] == 3
    assert "reset grading metadata of 'test_means' (schema_version 4 -> 3)" in result.repairs


def test_unknown_grade_id_stripped(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    extra = copy.deepcopy(_cell(perfect, "add_answer"))
    extra["id"] = "extra"
    extra.metadata["nbgrader"]["grade_id"] = "made_up"
    perfect.cells.append(extra)
    result = _run(perfect, release_notebook)

    assert "removed grading metadata of cell 8 (unknown grade id 'made_up')" in result.repairs
    assert "nbgrader" not in result.notebook.cells[8].metadata


def test_duplicate_answer_keeps_worked_copy(
    perfect: NotebookNode, release_notebook: NotebookNode
) -> None:
    stub = copy.deepcopy(_cell(release_notebook, "add_answer"))
    stub["id"] = "stub-copy"
    perfect.cells.insert(3, stub)
    result = _run(perfect, release_notebook)

    kept = _cell(result.notebook, "add_answer")
    assert "return a + b" in kept.source
    assert "cell 3 repeated grade id 'add_answer'; kept cell 2" in result.repairs
    assert _grade_ids(result.notebook).count("add_answer") == 1


def test_deleted_test_restored_in_place(
    perfect: NotebookNode, release_notebook: NotebookNode
) -> None:
    perfect.cells.remove(_cell(perfect, "test_add"))
    result = _run(perfect, release_notebook)

    assert "restored the deleted cell 'test_add' from the release" in result.repairs
    assert _grade_ids(result.notebook) == _grade_ids(release_notebook)


def test_stripped_metadata_reidentified(
    perfect: NotebookNode, release_notebook: NotebookNode
) -> None:
    for cell in perfect.cells:
        cell.metadata = {}
    result = _run(perfect, release_notebook)

    assert _grade_ids(result.notebook) == _grade_ids(release_notebook)
    assert "return a + b" in _cell(result.notebook, "add_answer").source
    assert len(result.notebook.cells) == len(release_notebook.cells)


def test_cell_type_restored(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    test = _cell(perfect, "test_add")
    test.cell_type = "markdown"
    del test["outputs"], test["execution_count"]
    result = _run(perfect, release_notebook)

    assert _cell(result.notebook, "test_add").cell_type == "code"
    assert "changed cell 'test_add' back from markdown to code" in result.repairs


def test_suspicious_code_flagged(perfect: NotebookNode, release_notebook: NotebookNode) -> None:
    _cell(perfect, "add_answer").source += "\nget_ipython().input_transformers_cleanup.append(None)"
    result = _run(perfect, release_notebook)

    assert (
        "collect: cell 2 registers an IPython input transformer (input_transformers)"
        in result.flags
    )
