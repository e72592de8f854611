"""Calls into the reflection checks, feedback pages and instructor report.

Those parts live in ``grader.reflection``, ``grader.feedback`` and ``grader.report``. Each
call here imports its module when it is needed, so the grading pipeline works, and says
so in the log, when a part is not installed.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat

from grader.errors import GraderError

log = logging.getLogger(__name__)


def optional_module(name: str) -> ModuleType | None:
    """Import ``grader.<name>``; return None when that part of the grader is not installed."""
    try:
        return importlib.import_module(f"grader.{name}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith(f"grader.{name}"):
            return None
        raise


def lab_has_reflection_cells(notebook_path: Path) -> bool:
    """Return True when the lab's source notebook marks a screenshot or text reflection cell.

    The check runs only on such labs: a lab without reflection cells would otherwise get a
    ``no_reflection_cells`` flag on every submission.
    """
    reflection = optional_module("reflection.cells")
    if reflection is None:
        return False
    notebook = nbformat.read(notebook_path, as_version=4)
    kinds = {reflection.reflection_kind(cell) for cell in notebook.cells}
    return bool(kinds & {reflection.SCREENSHOT, reflection.TEXT})


def run_reflection_check(notebook_path: Path, lab: str, student: str) -> Any:
    """Run the screenshot-reflection check on an autograded notebook, or return None.

    A failure inside the check is logged and returns None: a broken image must not cost the
    student the grade of the code that ran.
    """
    reflection = optional_module("reflection")
    if reflection is None or not hasattr(reflection, "check_submission"):
        return None
    try:
        config = reflection.ReflectionConfig() if hasattr(reflection, "ReflectionConfig") else None
        return reflection.check_submission(notebook_path, config, student=student, lab=lab)
    except Exception as error:  # noqa: BLE001 - the check must never stop grading
        log.warning("lab=%s student=%s reflection check failed: %r", lab, student, error)
        return None


def require(name: str, function: str, command: str) -> Any:
    """Return ``grader.<name>.<function>``, or raise a GraderError naming the command."""
    module = optional_module(name)
    if module is None or not hasattr(module, function):
        raise GraderError(
            f"`python -m grader {command}` needs grader.{name}.{function}, which is not "
            "installed in this checkout"
        )
    return getattr(module, function)
