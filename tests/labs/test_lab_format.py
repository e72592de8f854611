"""Static checks of the lab source notebooks: nbgrader metadata, structure, no outputs."""

from __future__ import annotations

import ast
import re

import pytest
from lab_helpers import EXPECTED_LABS, lab_ids, read_lab
from nbgrader.nbgraderformat import MetadataValidator

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# What a lab may import: a few standard library modules, the course's own packages (sandbox
# for connect(), sagelab for the data helpers) and the data libraries the labs are written
# for. Labs stay plain code that runs on AWS as well.
ALLOWED_IMPORTS = {
    "base64",
    "collections",
    "datetime",
    "io",
    "json",
    "math",
    "pathlib",
    "re",
    "tarfile",
    "time",
    "warnings",
    "matplotlib",
    "numpy",
    "pandas",
    "sagelab",
    "sandbox",
    "sklearn",
    "xgboost",
}


def nbgrader_cells(notebook, kind: str) -> list:
    """Return the cells of one nbgrader kind: solution, test, answer, readonly or task."""
    chosen = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        flags = (meta.get("grade"), meta.get("solution"), meta.get("locked"), meta.get("task"))
        kinds = {
            (False, True, False, None): "solution",
            (True, False, True, None): "test",
            (True, True, False, None): "answer",
            (False, False, True, None): "readonly",
            (False, False, True, True): "task",
        }
        if meta and kinds.get(flags) == kind:
            chosen.append(cell)
    return chosen


def code_outside(source: str, begin: str, end: str) -> str:
    """Return the lines of `source` outside the begin/end regions."""
    outside_lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            outside_lines.append(line)
    return "\n".join(outside_lines)


def test_all_labs_present() -> None:
    assert lab_ids() == list(EXPECTED_LABS)


@pytest.mark.parametrize("lab", lab_ids())
def test_nbgrader_metadata_valid(lab: str) -> None:
    notebook = read_lab(lab)
    validator = MetadataValidator()

    validator.validate_nb(notebook)

    graded = [cell for cell in notebook.cells if "nbgrader" in cell.metadata]
    assert all(cell.metadata["nbgrader"]["schema_version"] == 3 for cell in graded)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in graded]
    duplicates = sorted({grade_id for grade_id in ids if ids.count(grade_id) > 1})
    assert not duplicates, f"{lab}: grade ids used twice: {duplicates}"


@pytest.mark.parametrize("lab", lab_ids())
def test_graded_parts_present(lab: str) -> None:
    notebook = read_lab(lab)

    tests = nbgrader_cells(notebook, "test")
    answers = nbgrader_cells(notebook, "answer")

    assert answers, f"{lab} has no manually graded written answer"
    assert all(cell.cell_type == "markdown" for cell in answers)
    if lab == "07-reflection":
        return
    assert tests, f"{lab} has no autograded test cell"
    assert all(cell.metadata["nbgrader"]["points"] > 0 for cell in tests)
    assert any(HIDDEN_BEGIN in cell.source for cell in tests), f"{lab} has no hidden tests"


@pytest.mark.parametrize("lab", lab_ids())
def test_test_cells_public_asserts(lab: str) -> None:
    for cell in nbgrader_cells(read_lab(lab), "test"):
        public = code_outside(cell.source, HIDDEN_BEGIN, HIDDEN_END)
        grade_id = cell.metadata["nbgrader"]["grade_id"]

        asserts = [node for node in ast.walk(ast.parse(public)) if isinstance(node, ast.Assert)]

        assert asserts, f"{lab}/{grade_id}: no public assert for students to run"
        silent = [node.lineno for node in asserts if node.msg is None]
        assert not silent, f"{lab}/{grade_id}: public asserts without a message on lines {silent}"
        assert cell.source.count(HIDDEN_BEGIN) == cell.source.count(HIDDEN_END)


@pytest.mark.parametrize("lab", lab_ids())
def test_solution_regions_closed(lab: str) -> None:
    for cell in nbgrader_cells(read_lab(lab), "solution"):
        grade_id = cell.metadata["nbgrader"]["grade_id"]

        begins = cell.source.count(SOLUTION_BEGIN)

        assert begins >= 1, f"{lab}/{grade_id}: solution cell without a solution region"
        assert begins == cell.source.count(SOLUTION_END), f"{lab}/{grade_id}: unclosed region"
    ungraded = [cell for cell in read_lab(lab).cells if "nbgrader" not in cell.metadata]
    assert not any(SOLUTION_BEGIN in cell.source for cell in ungraded)


@pytest.mark.parametrize("lab", lab_ids())
def test_no_outputs_committed(lab: str) -> None:
    for index, cell in enumerate(read_lab(lab).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{lab}: cell {index} has outputs"
            assert cell.execution_count is None, f"{lab}: cell {index} has an execution count"


@pytest.mark.parametrize("lab", lab_ids())
def test_opening_cell_sections(lab: str) -> None:
    opening = read_lab(lab).cells[0]

    assert opening.cell_type == "markdown"
    assert opening.source.startswith(f"# Lab {lab[:2]} ")
    assert "**Estimated time:**" in opening.source
    assert "**Learning objectives.**" in opening.source
    assert re.search(r"^\| Step \| SageMaker / AWS \| Console \| AWS CLI \|$", opening.source, re.M)


@pytest.mark.parametrize("lab", lab_ids())
def test_ends_clean_up_headline(lab: str) -> None:
    notebook = read_lab(lab)
    headings = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    last_code = [cell for cell in notebook.cells if cell.cell_type == "code"][-1]

    assert any(re.match(r"## (\d+\. )?Clean up", source) for source in headings), (
        f"{lab}: no clean-up"
    )
    assert re.search(r"^HEADLINE = \{", last_code.source, re.M), f"{lab}: HEADLINE not set last"


@pytest.mark.parametrize("lab", lab_ids())
def test_only_connect_is_sandbox_specific(lab: str) -> None:
    code = "\n".join(cell.source for cell in read_lab(lab).cells if cell.cell_type == "code")
    tree = ast.parse(code)

    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    sandbox_uses = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "sandbox"
    }

    assert imported <= ALLOWED_IMPORTS, f"{lab} imports {sorted(imported - ALLOWED_IMPORTS)}"
    assert sandbox_uses <= {"connect"}, f"{lab} uses sandbox.{sorted(sandbox_uses)}"
    assert "endpoint_url" not in code, f"{lab} points a client at another endpoint"
