"""Release a lab: copy its source into the course and run nbgrader's generate_assignment."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from grader.course import Course, nbgrader_environment
from grader.errors import InvalidInputError, NbgraderCommandError

log = logging.getLogger(__name__)


def nbgrader_config(course: Course) -> Config:
    """Return the traitlets configuration nbgrader needs for this course."""
    config = Config()
    config.CourseDirectory.root = str(course.root)
    config.CourseDirectory.course_id = course.course_id
    config.CourseDirectory.db_url = course.db_url
    return config


def check_source_notebook(path: Path) -> None:
    """Reject lab sources that release fine but break every later autograde run.

    nbgrader accepts a task cell that is not locked, then every autograde fails because the
    cell's stored checksum is empty. Grade ids must also be unique within the notebook.
    """
    notebook = nbformat.read(path, as_version=4)
    seen: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if meta.get("task") and not meta.get("locked"):
            raise InvalidInputError(
                f"{path}: task cell {grade_id!r} (cell {index}) is not locked; "
                "mark it read-only (locked: true) so autograding can check its checksum"
            )
        if grade_id and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            if grade_id in seen:
                raise InvalidInputError(
                    f"{path}: grade id {grade_id!r} is used by more than one cell; "
                    "give each graded, solution or read-only cell its own id"
                )
            seen.add(grade_id)


def release(course: Course, lab: str) -> Path:
    """Copy ``labs/<lab>`` into the course, generate the student version and return its path.

    Running it again replaces the source copy and the student version. nbgrader keeps the
    gradebook rows of cells that still exist, so grades already given are kept.
    """
    source = course.lab_source(lab)
    check_source_notebook(source / course.notebook_name(lab))
    course.prepare()
    course.sync_source(lab)

    config = nbgrader_config(course)
    config.CourseDirectory.assignment_id = lab
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config)
    converter.force = True
    converter.create_assignment = True
    saved_path = os.environ.get("PATH", "")
    os.environ["PATH"] = nbgrader_environment()["PATH"]
    try:
        converter.start()
    except NbGraderException as error:
        raise NbgraderCommandError(
            f"nbgrader generate_assignment failed for lab {lab!r}: {error}"
        ) from error
    finally:
        os.environ["PATH"] = saved_path

    released = course.release_notebook(lab)
    log.info("lab=%s released to %s", lab, released)
    return released
