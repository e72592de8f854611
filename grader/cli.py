"""``python -m grader``: release, collect, autograde, feedback, export, report and status.

The commands only parse options and print results; the work is done by the functions they
call, with the defaults of ``grader.defaults``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from grader import defaults
from grader.course import Course, check_name
from grader.errors import (
    ExitCode,
    GraderError,
    LabNotFoundError,
    SubmissionsFailedError,
    exit_code_for,
)
from grader.status import StatusStore

log = logging.getLogger("grader")

FAILING = ("failed", "timed_out", "kernel_died", "tamper_suspect")


def _course(args: argparse.Namespace) -> Course:
    return Course.open(args.course, args.labs)


def cmd_release(args: argparse.Namespace) -> None:
    from grader.release import release

    path = release(_course(args), args.lab)
    print(f"released {args.lab}: {path}")


def cmd_collect(args: argparse.Namespace) -> None:
    from grader.collect import collect

    report = collect(
        _course(args), args.lab, Path(args.source), max_submission_mb=args.max_submission_mb
    )
    for entry in report.entries:
        print(
            f"{entry.student}: {entry.status} from {entry.origin}"
            + (f" ({entry.reason})" if entry.reason else "")
        )
        for repair in entry.repairs:
            print(f"    repaired: {repair}")
        for dropped in entry.dropped_files:
            print(f"    dropped: {dropped}")
        for older in entry.older:
            print(f"    older upload not used: {older}")
    for skipped in report.skipped:
        print(f"skipped {skipped.origin}: {skipped.reason}")
    rejected = sum(1 for entry in report.entries if entry.status == "rejected")
    collected = len(report.entries) - rejected
    print(f"collected {collected}, rejected {rejected}, skipped {len(report.skipped)}")


def _limits(args: argparse.Namespace) -> defaults.Limits:
    return defaults.Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_mb=args.memory_mb,
        processes=args.processes,
        file_size_mb=args.file_size_mb,
        output_kb_per_cell=args.output_kb,
    )


def cmd_autograde(args: argparse.Namespace) -> None:
    from grader.autograde.pipeline import autograde

    summary = autograde(
        _course(args),
        args.lab,
        jobs=args.jobs,
        limits=_limits(args),
        sandbox=defaults.SandboxSettings(isolation=args.isolation),
        students=args.student or None,
        force=args.force,
        dask_scheduler=args.dask_scheduler,
        progress=not args.no_progress,
        check_reflections=not args.no_reflections,
    )
    print(f"isolation: {summary.isolation.description}")
    counts = ", ".join(f"{status} {count}" for status, count in sorted(summary.counts().items()))
    print(
        f"graded {len(summary.graded)} in {summary.seconds:.1f} s ({counts or 'nothing new'}); "
        f"unchanged {len(summary.skipped)}; missing {len(summary.missing)}"
    )
    failing = sorted(student for student, status in summary.graded.items() if status in FAILING)
    if failing:
        raise SubmissionsFailedError(
            f"{len(failing)} submission(s) need attention: {', '.join(failing)}; "
            f"see `python -m grader status {args.lab} --flags`"
        )


def cmd_feedback(args: argparse.Namespace) -> None:
    from grader.views import write_feedback

    paths = write_feedback(_course(args), args.lab, args.student or None)
    print(f"wrote {len(paths)} feedback page(s) under {_course(args).feedback_dir}")


def cmd_export(args: argparse.Namespace) -> None:
    from grader.export import export_canvas, export_csv

    course = _course(args)
    print(f"wrote {export_csv(course, Path(args.output), args.lab or None)}")
    if args.canvas:
        print(f"wrote {export_canvas(course, Path(args.canvas), args.lab or None)}")


def cmd_report(args: argparse.Namespace) -> None:
    from grader.views import write_report

    course = _course(args)
    course.require_released(args.lab)
    output = Path(args.output) if args.output else course.root / "reports" / args.lab
    print(f"wrote {write_report(course, args.lab, output)}")


def cmd_status(args: argparse.Namespace) -> None:
    from grader.export import lab_score_flags
    from grader.status import ATTENTION_STATUSES, StatusStore

    course = _course(args)
    store = StatusStore(course.records_dir / "status.json")
    labs = [_known_lab(course, store, args.lab)] if args.lab else sorted(store.records)
    attention = []
    for lab in labs:
        records = store.lab(lab)
        over_maximum = lab_score_flags(course, lab) if course.gradebook_path.is_file() else {}
        print(f"{lab}: {len(records)} submission(s)")
        for student, record in records.items():
            score = f"{record.auto_score:g}/{record.max_score:g}" if record.graded_at else "-"
            print(f"  {student:<20} {record.status.value:<15} {score:<9} {record.reason}".rstrip())
            for repair in record.repairs:
                print(f"      repaired: {repair}")
            for name in record.dropped_files:
                print(f"      dropped: {name}")
            for flag in over_maximum.get(student, []):
                print(f"      flag: {flag}")
            if args.flags:
                for flag in record.flags:
                    print(f"      flag: {flag}")
            if record.status in ATTENTION_STATUSES or student in over_maximum:
                attention.append(f"{lab}/{student} ({record.status.value})")
    if attention:
        raise SubmissionsFailedError(
            f"{len(attention)} submission(s) need attention: {', '.join(attention)}"
        )


def _known_lab(course: Course, store: StatusStore, lab: str) -> str:
    """Return ``lab`` when the course has records of it or released it, else raise."""
    check_name(lab, "lab")
    known = sorted(set(store.records) | set(course.released_labs()))
    if lab not in known:
        raise LabNotFoundError(
            f"lab {lab!r} not found in {course.root}; known labs: {', '.join(known) or 'none'}"
        )
    return lab


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course", default=str(defaults.COURSE_DIR), help="course directory (default: %(default)s)"
    )
    parser.add_argument(
        "--labs",
        default=str(defaults.LABS_DIR),
        help="folder with one source folder per lab (default: %(default)s)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log every step")


# Resource limit options: flag, field of defaults.LIMITS, help text.
_LIMIT_OPTIONS = (
    ("--cell-timeout", "cell_timeout", "seconds per cell"),
    ("--notebook-timeout", "notebook_timeout", "seconds per notebook"),
    ("--memory-mb", "memory_mb", "kernel data segment limit in MiB"),
    ("--processes", "processes", "processes and threads per kernel"),
    ("--file-size-mb", "file_size_mb", "largest file a kernel may write, in MiB"),
    ("--output-kb", "output_kb_per_cell", "output kept per cell, in KiB"),
)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    for flag, field, text in _LIMIT_OPTIONS:
        parser.add_argument(
            flag,
            type=int,
            default=getattr(defaults.LIMITS, field),
            help=f"{text} (default: %(default)s)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Grade sagelab labs with nbgrader, in parallel and sandboxed.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], None], text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(handler=handler)
        _add_common(sub)
        return sub

    sub = command(
        "release", cmd_release, "Copy labs/LAB into the course and generate the student version."
    )
    sub.add_argument("lab", help="lab folder name, e.g. 01-eda")

    sub = command(
        "collect",
        cmd_collect,
        "Collect submissions of LAB from a folder of STUDENT/LAB/ or an LMS zip.",
    )
    sub.add_argument("lab", help="lab folder name")
    sub.add_argument("source", help="folder of <student>/<lab>/*.ipynb, or a Canvas-style zip")
    sub.add_argument(
        "--max-submission-mb",
        type=int,
        default=defaults.MAX_SUBMISSION_MB,
        help="largest file accepted, in MiB (default: %(default)s)",
    )

    sub = command(
        "autograde",
        cmd_autograde,
        "Grade new, changed and failed submissions of LAB in sandboxed workers.",
    )
    sub.add_argument("lab", help="lab folder name")
    sub.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=defaults.JOBS,
        help="worker processes (default: CPU count, %(default)s)",
    )
    sub.add_argument("--student", action="append", help="grade only this student (repeatable)")
    sub.add_argument("--force", action="store_true", help="grade unchanged submissions again")
    sub.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="send the work to this Dask scheduler, e.g. tcp://127.0.0.1:8786",
    )
    sub.add_argument(
        "--isolation",
        choices=("auto", "namespaces", "guard"),
        default=defaults.SANDBOX.isolation,
        help="kernel isolation (default: %(default)s)",
    )
    sub.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sub.add_argument(
        "--no-reflections", action="store_true", help="skip the screenshot-reflection checks"
    )
    _add_limits(sub)

    sub = command(
        "feedback", cmd_feedback, "Write an HTML feedback page per graded student of LAB."
    )
    sub.add_argument("lab", help="lab folder name")
    sub.add_argument("--student", action="append", help="only this student (repeatable)")

    sub = command(
        "export",
        cmd_export,
        "Write grades as CSV: per-lab and per-question columns, and a Canvas import file.",
    )
    sub.add_argument(
        "--lab",
        action="append",
        help="export only this lab (repeatable; default: every released lab)",
    )
    sub.add_argument("--output", default="grades.csv", help="CSV path (default: %(default)s)")
    sub.add_argument(
        "--canvas", metavar="PATH", help="also write a Canvas gradebook import CSV here"
    )

    sub = command("report", cmd_report, "Write the instructor report of LAB.")
    sub.add_argument("lab", help="lab folder name")
    sub.add_argument("--output", help="output folder (default: COURSE/reports/LAB)")

    sub = command(
        "status",
        cmd_status,
        "Show the status of every submission; exit 5 when any needs attention.",
    )
    sub.add_argument("lab", nargs="?", help="only this lab")
    sub.add_argument("--flags", action="store_true", help="also list each submission's flags")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("traitlets").setLevel(logging.WARNING if args.verbose else logging.ERROR)
    try:
        args.handler(args)
    except (GraderError, KeyboardInterrupt) as error:
        code = exit_code_for(error)
        message = (
            "interrupted; results merged so far are kept"
            if isinstance(error, KeyboardInterrupt)
            else str(error)
        )
        print(f"error: {message}", file=sys.stderr)
        return int(code)
    return int(ExitCode.OK)
