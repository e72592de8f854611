"""Exceptions of the grader and the one table that maps them to exit codes."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of ``python -m grader``."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    NOT_FOUND = 3
    INVALID_INPUT = 4
    SUBMISSIONS_FAILED = 5
    NBGRADER_FAILED = 6
    INTERRUPTED = 130


class GraderError(Exception):
    """Base class of the errors the grader reports to a user."""


class CourseNotFoundError(GraderError):
    """The course directory or one of its parts does not exist."""


class LabNotFoundError(GraderError):
    """A lab name that is not in the source directory or the gradebook."""


class InvalidInputError(GraderError):
    """A bad option value or input file; the message names the value and the fix."""


class NbgraderCommandError(GraderError):
    """An nbgrader step (generate_assignment, autograde) reported failure."""


class SubmissionsFailedError(GraderError):
    """The run finished, but some submissions ended with a failing status."""


_EXIT_CODES: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (CourseNotFoundError, ExitCode.NOT_FOUND),
    (LabNotFoundError, ExitCode.NOT_FOUND),
    (InvalidInputError, ExitCode.INVALID_INPUT),
    (NbgraderCommandError, ExitCode.NBGRADER_FAILED),
    (SubmissionsFailedError, ExitCode.SUBMISSIONS_FAILED),
    (KeyboardInterrupt, ExitCode.INTERRUPTED),
    (GraderError, ExitCode.FAILURE),
)


def exit_code_for(error: BaseException) -> ExitCode:
    """Return the exit code for an exception raised by a grader command."""
    for error_type, code in _EXIT_CODES:
        if isinstance(error, error_type):
            return code
    return ExitCode.FAILURE
