"""The command line: help on every command, and exit codes with their messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import build_parser, main
from grader.errors import (
    CourseNotFoundError,
    ExitCode,
    GraderError,
    InvalidInputError,
    LabNotFoundError,
    NbgraderCommandError,
    SubmissionsFailedError,
    exit_code_for,
)

COMMANDS = ("release", "collect", "autograde", "feedback", "export", "report", "status")


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])

    assert exit_info.value.code == 0
    assert "--course" in capsys.readouterr().out


def test_top_level_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out

    for command in COMMANDS:
        assert command in text


def test_autograde_defaults_shared() -> None:
    from grader import defaults

    args = build_parser().parse_args(["autograde", "01-x"])

    assert args.jobs == defaults.JOBS
    assert args.cell_timeout == defaults.LIMITS.cell_timeout
    assert args.memory_mb == defaults.LIMITS.memory_mb
    assert args.course == str(defaults.COURSE_DIR)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CourseNotFoundError("x"), ExitCode.NOT_FOUND),
        (LabNotFoundError("x"), ExitCode.NOT_FOUND),
        (InvalidInputError("x"), ExitCode.INVALID_INPUT),
        (NbgraderCommandError("x"), ExitCode.NBGRADER_FAILED),
        (SubmissionsFailedError("x"), ExitCode.SUBMISSIONS_FAILED),
        (GraderError("x"), ExitCode.FAILURE),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (ValueError("x"), ExitCode.FAILURE),
    ],
)
def test_exit_code_mapping(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_release_unknown_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "labs" / "01-real").mkdir(parents=True)
    (tmp_path / "labs" / "01-real" / "01-real.ipynb").write_text("{}", encoding="utf-8")

    code = main(
        [
            "release",
            "02-nope",
            "--course",
            str(tmp_path / "course"),
            "--labs",
            str(tmp_path / "labs"),
        ]
    )

    assert code == ExitCode.NOT_FOUND
    message = capsys.readouterr().err
    assert "lab '02-nope' not found" in message
    assert "labs with a notebook: 01-real" in message


def test_autograde_before_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["autograde", "01-toy", "--course", str(tmp_path / "course")])

    assert code == ExitCode.NOT_FOUND
    assert "run `python -m grader release 01-toy` first" in capsys.readouterr().err


def test_invalid_lab_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["autograde", "../etc", "--course", str(tmp_path / "course")])

    assert code == ExitCode.INVALID_INPUT
    assert "invalid lab id '../etc'" in capsys.readouterr().err
