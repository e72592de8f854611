"""Normalise and repair a submitted notebook against the released version, reporting each fix.

Stock nbgrader aborts a whole batch on a newer metadata schema or a duplicated grade id,
and scores nothing for a cell whose metadata was lost. The preflight fixes these before
grading: it upgrades old formats, gives cells valid unique ids, realigns nbgrader metadata
with the release (matching cells by grade id, then by content), puts deleted graded cells
back and keeps one cell per grade id. A file that is not a notebook is rejected with the
reason. Nothing here runs student code.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.nbgraderformat import MetadataValidator, ValidationError

CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Metadata keys whose value must equal the release's (checksum is reset by nbgrader itself).
ALIGNED_KEYS = ("grade", "solution", "locked", "task", "points", "schema_version", "grade_id")
SUSPICIOUS = (
    ("input_transformers", "registers an IPython input transformer"),
    ("ast_transformers", "registers an IPython AST transformer"),
    ("set_custom_exc", "replaces IPython's exception handler"),
    ("showtraceback", "touches IPython's traceback display"),
    ("os._exit", "calls os._exit"),
    ("sqlite3", "uses sqlite3"),
    ("gradebook", "mentions the gradebook"),
    ("ctypes", "uses ctypes"),
    ("start_new_session", "starts a detached process"),
    ("socket", "uses sockets"),
)


@dataclass
class PreflightResult:
    """A repaired notebook, or the reason it was rejected."""

    notebook: NotebookNode | None = None
    repairs: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    rejected: str = ""


def preflight(raw: bytes, file_name: str, release: NotebookNode) -> PreflightResult:
    """Parse, upgrade and repair ``raw`` (the bytes of ``file_name``) against ``release``."""
    result = PreflightResult()
    notebook = _parse(raw, file_name, result)
    if notebook is None:
        return result
    _fix_cell_ids(notebook, result)

    _align_metadata(notebook, release, result)
    _restore_missing_cells(notebook, release, result)
    if notebook.metadata.get("kernelspec") != release.metadata.get("kernelspec"):
        notebook.metadata["kernelspec"] = copy.deepcopy(release.metadata.get("kernelspec", {}))
    try:
        nbformat.validate(notebook)
        MetadataValidator().validate_nb(notebook)
    except (nbformat.ValidationError, ValidationError) as error:
        result.rejected = f"invalid notebook after repair: {str(error).splitlines()[0]}"
        return result
    result.flags = scan_code(notebook)
    result.notebook = notebook
    return result


def _parse(raw: bytes, file_name: str, result: PreflightResult) -> NotebookNode | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        result.rejected = f"{file_name} is not UTF-8 text: {error.reason} at byte {error.start}"
        return None
    except ValueError as error:
        result.rejected = f"{file_name} is not valid JSON: {error}"
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        result.rejected = f"{file_name} is not a Jupyter notebook (no nbformat version)"
        return None
    major, minor = data["nbformat"], data.get("nbformat_minor", 0)
    if major not in (3, 4):
        result.rejected = f"{file_name} uses nbformat {major}; only versions 3 and 4 are read"
        return None
    bad_ids = _count_bad_ids(data)
    try:
        with warnings.catch_warnings():
            # nbformat replaces duplicate cell ids itself and warns; the repair is reported here.
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many types for bad input
        result.rejected = f"{file_name} cannot be read as a notebook: {error}"
        return None
    if not isinstance(notebook.get("cells"), list):
        result.rejected = f"{file_name} has no list of cells"
        return None
    if bad_ids and (major, minor) >= (4, 5):
        result.repairs.append(f"gave {bad_ids} cell(s) a new unique cell id")
    if major == 3:
        result.repairs.append("upgraded nbformat 3 to 4.5")
        minor = notebook.nbformat_minor
    if notebook.nbformat_minor < 5:
        notebook = nbformat.v4.upgrade(notebook, from_version=4, from_minor=notebook.nbformat_minor)
        if major == 4:
            result.repairs.append(f"upgraded nbformat 4.{minor} to 4.5")
    return notebook


def _count_bad_ids(data: dict[str, Any]) -> int:
    """Count cells whose id is missing, malformed or repeated in the raw JSON."""
    seen: set[str] = set()
    bad = 0
    for cell in data.get("cells", []) if isinstance(data.get("cells"), list) else []:
        cell_id = cell.get("id") if isinstance(cell, dict) else None
        if not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in seen:
            bad += 1
        else:
            seen.add(cell_id)
    return bad


def _fix_cell_ids(notebook: NotebookNode, result: PreflightResult) -> None:
    seen: set[str] = set()
    fixed = 0
    for cell in notebook.cells:
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in seen:
            cell_id = uuid.uuid4().hex[:12]
            cell["id"] = cell_id
            fixed += 1
        seen.add(cell_id)
    if fixed:
        result.repairs.append(f"gave {fixed} cell(s) a new unique cell id")


def _release_cells(release: NotebookNode) -> dict[str, NotebookNode]:
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in release.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id")
    }


def _align_metadata(notebook: NotebookNode, release: NotebookNode, result: PreflightResult) -> None:
    """Reset each cell's nbgrader metadata to the release's; strip unknown and duplicate ids."""
    reference = _release_cells(release)
    owners: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id not in reference:
            del cell.metadata["nbgrader"]
            result.repairs.append(
                f"removed grading metadata of cell {index} (unknown grade id {grade_id!r})"
            )
            continue
        if grade_id in owners:
            keep = _pick_duplicate(notebook, owners[grade_id], index, reference[grade_id])
            drop = index if keep == owners[grade_id] else owners[grade_id]
            del notebook.cells[drop].metadata["nbgrader"]
            owners[grade_id] = keep
            result.repairs.append(f"cell {drop} repeated grade id {grade_id!r}; kept cell {keep}")
            continue
        owners[grade_id] = index
        _reset_cell(cell, index, reference[grade_id], result)


def _pick_duplicate(
    notebook: NotebookNode, first: int, second: int, reference: NotebookNode
) -> int:
    """Keep the copy holding the student's work: one that differs from the release stub."""
    if reference.metadata["nbgrader"].get("locked"):
        return first
    first_changed = notebook.cells[first].source != reference.source
    second_changed = notebook.cells[second].source != reference.source
    return first if first_changed and not second_changed else second


def _reset_cell(
    cell: NotebookNode, index: int, reference: NotebookNode, result: PreflightResult
) -> None:
    grade_id = reference.metadata["nbgrader"]["grade_id"]
    expected = reference.metadata["nbgrader"]
    found = cell.metadata["nbgrader"]
    changed = [key for key in ALIGNED_KEYS if found.get(key) != expected.get(key)]
    extra = sorted(set(found) - set(expected))
    if changed or extra:
        detail = ", ".join(
            [
                *(f"{k} {found.get(k)!r} -> {expected.get(k)!r}" for k in changed),
                *(f"extra key {k!r}" for k in extra),
            ]
        )
        result.repairs.append(f"reset grading metadata of {grade_id!r} ({detail})")
    cell.metadata["nbgrader"] = copy.deepcopy(expected)
    if cell.cell_type != reference.cell_type:
        result.repairs.append(
            f"changed cell {grade_id!r} back from {cell.cell_type} to {reference.cell_type}"
        )
        _set_type(cell, reference.cell_type)
    if expected.get("locked") and cell.source != reference.source:
        result.repairs.append(f"restored the edited read-only cell {grade_id!r}")
        cell.source = reference.source
    for key in ("deletable", "editable"):
        if key in reference.metadata:
            cell.metadata[key] = reference.metadata[key]


def _set_type(cell: NotebookNode, cell_type: str) -> None:
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    if cell_type != "markdown" and cell_type != "raw":
        cell.pop("attachments", None)


def _restore_missing_cells(
    notebook: NotebookNode, release: NotebookNode, result: PreflightResult
) -> None:
    """Re-identify release cells whose metadata was lost, else insert them from the release."""
    present = {
        cell.metadata["nbgrader"]["grade_id"]: index
        for index, cell in enumerate(notebook.cells)
        if "nbgrader" in cell.metadata
    }
    previous_position = -1
    for reference in release.cells:
        grade_id = reference.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id:
            continue
        if grade_id in present:
            previous_position = present[grade_id]
            continue
        position = _find_unmarked(notebook, reference, previous_position)
        if position is not None:
            notebook.cells[position].metadata["nbgrader"] = copy.deepcopy(
                reference.metadata["nbgrader"]
            )
            _reset_cell(notebook.cells[position], position, reference, PreflightResult())
            result.repairs.append(
                f"re-identified cell {position} as {grade_id!r} (its grading metadata was missing)"
            )
        else:
            position = previous_position + 1
            restored = copy.deepcopy(reference)
            restored["id"] = uuid.uuid4().hex[:12]
            notebook.cells.insert(position, restored)
            present = {g: (i + 1 if i >= position else i) for g, i in present.items()}
            result.repairs.append(f"restored the deleted cell {grade_id!r} from the release")
        present[grade_id] = position
        previous_position = position


def _find_unmarked(notebook: NotebookNode, reference: NotebookNode, after: int) -> int | None:
    """Return the unmarked cell after ``after`` that best matches ``reference``, if any."""
    best, best_ratio = None, 0.0
    for index in range(after + 1, len(notebook.cells)):
        cell = notebook.cells[index]
        if "nbgrader" in cell.metadata:
            if best is not None:
                break  # stop at the next graded cell once a candidate was seen
            continue
        if cell.cell_type != reference.cell_type:
            continue
        ratio = difflib.SequenceMatcher(None, cell.source, reference.source).ratio()
        if cell.source == reference.source:
            return index
        if ratio > best_ratio:
            best, best_ratio = index, ratio
    locked = reference.metadata["nbgrader"].get("locked") and not reference.metadata[
        "nbgrader"
    ].get("solution")
    threshold = 0.9 if locked else 0.3
    return best if best_ratio >= threshold else None


def scan_code(notebook: NotebookNode) -> list[str]:
    """Return review flags for code that tries to change how the kernel runs the tests."""
    flags = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("locked"):
            continue
        for needle, meaning in SUSPICIOUS:
            if needle in cell.source:
                flags.append(f"collect: cell {index} {meaning} ({needle})")
    return flags
