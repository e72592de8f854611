"""The collect command: pick each student's newest upload, preflight it, file it for nbgrader."""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import nbformat

from grader import defaults
from grader.collect.preflight import preflight
from grader.collect.sources import Candidate, Skipped, read_folder, read_zip
from grader.course import Course, check_name
from grader.errors import InvalidInputError
from grader.status import Status, StatusStore, SubmissionRecord, course_lock

log = logging.getLogger(__name__)


@dataclass
class CollectEntry:
    """The outcome of collect for one student's submission."""

    student: str
    status: str  # "collected", "unchanged" or "rejected"
    origin: str
    reason: str = ""
    repairs: list[str] = field(default_factory=list)
    dropped_files: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)  # other uploads of the student, not used


@dataclass
class CollectReport:
    """Everything one collect run saw, kept and skipped."""

    lab: str
    source: str
    entries: list[CollectEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def collect(
    course: Course,
    lab: str,
    source: Path,
    *,
    allowed_suffixes: tuple[str, ...] = defaults.ALLOWED_EXTRA_SUFFIXES,
    max_submission_mb: int = defaults.MAX_SUBMISSION_MB,
) -> CollectReport:
    """Collect ``lab`` from a folder of ``<student>/<lab>/`` or an LMS zip into the course.

    Every student's newest upload is repaired and written to ``submitted/<student>/<lab>/``.
    A rejected upload gets the status ``failed`` with the reason. One bad upload never stops
    the others.
    """
    course.require_released(lab)
    max_bytes = max_submission_mb * 1024 * 1024
    if source.is_dir():
        candidates, skipped = read_folder(source, lab, max_bytes)
    elif source.is_file():
        candidates, skipped = read_zip(source, lab, max_bytes)
    else:
        raise InvalidInputError(
            f"submission source not found: {source}; give a folder or a zip file"
        )

    release = nbformat.read(course.release_notebook(lab), as_version=4)
    report = CollectReport(lab, str(source), skipped=skipped)
    with course_lock(course.records_dir):
        store = StatusStore(course.records_dir / "status.json")
        for uploads in _by_student(candidates, report).values():
            newest = uploads[0]
            try:
                entry = _collect_one(course, lab, newest, release, allowed_suffixes, store)
            except Exception as error:  # noqa: BLE001 - one bad upload never stops the batch
                log.exception("lab=%s student=%s preflight crashed", lab, newest.student)
                record = store.get(lab, newest.student) or SubmissionRecord()
                entry = CollectEntry(newest.student, "rejected", newest.origin)
                target = course.submission_dir(lab, newest.student)
                reason = f"the preflight could not read it ({type(error).__name__}: {error})"
                _reject(store, lab, newest, record, entry, target, reason)
            entry.older = [upload.origin for upload in uploads[1:]]
            report.entries.append(entry)
            _remember_student(store, newest)
            store.save()
        _save_report(course, report)
    return report


def _by_student(candidates: list[Candidate], report: CollectReport) -> dict[str, list[Candidate]]:
    grouped: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        try:
            check_name(candidate.student, "student")
        except InvalidInputError as error:
            report.skipped.append(Skipped(candidate.origin, str(error)))
            continue
        grouped.setdefault(candidate.student, []).append(candidate)
    for uploads in grouped.values():
        uploads.sort(key=Candidate.sort_key, reverse=True)
    return dict(sorted(grouped.items()))


def _remember_student(store: StatusStore, candidate: Candidate) -> None:
    if candidate.display_name or candidate.lms_user_id:
        store.students[candidate.student] = {
            "name": candidate.display_name,
            "lms_user_id": candidate.lms_user_id,
        }
    else:
        store.students.setdefault(candidate.student, {})


def _collect_one(
    course: Course,
    lab: str,
    candidate: Candidate,
    release: nbformat.NotebookNode,
    allowed_suffixes: tuple[str, ...],
    store: StatusStore,
) -> CollectEntry:
    entry = CollectEntry(candidate.student, "collected", candidate.origin)
    record = store.get(lab, candidate.student) or SubmissionRecord()
    notebook_name = course.notebook_name(lab)
    chosen = _choose_notebook(candidate, notebook_name, release, entry)
    target = course.submission_dir(lab, candidate.student)

    if chosen is None:
        return _reject(store, lab, candidate, record, entry, target, "no notebook in the upload")
    checked = preflight(candidate.files[chosen], chosen, release)
    if checked.notebook is None:
        return _reject(store, lab, candidate, record, entry, target, checked.rejected)

    entry.repairs += checked.repairs
    extras = _allowed_extras(candidate, chosen, notebook_name, allowed_suffixes, entry)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    nbformat.write(checked.notebook, target / notebook_name)
    for name, content in extras.items():
        (target / name).write_bytes(content)
    timestamp = candidate.modified.astimezone(timezone.utc).isoformat()
    if candidate.modified.year > 1:
        (target / "timestamp.txt").write_text(timestamp, encoding="utf-8")

    from grader.autograde.pipeline import submission_digest

    digest = submission_digest(target)
    if digest == record.graded_digest and record.status not in (Status.FAILED, Status.MISSING):
        entry.status = "unchanged"
    else:
        record.status, record.reason = Status.COLLECTED, ""
    record.digest = digest
    record.timestamp = timestamp if candidate.modified.year > 1 else None
    record.repairs = entry.repairs
    record.dropped_files = entry.dropped_files
    record.sources = [candidate.origin]
    record.flags = [*checked.flags, *(["collect: submitted late"] if candidate.late else [])]
    store.put(lab, candidate.student, record)
    log.info(
        "lab=%s student=%s %s from %s (%d repairs)",
        lab,
        candidate.student,
        entry.status,
        candidate.origin,
        len(entry.repairs),
    )
    return entry


def _reject(
    store: StatusStore,
    lab: str,
    candidate: Candidate,
    record: SubmissionRecord,
    entry: CollectEntry,
    target: Path,
    reason: str,
) -> CollectEntry:
    """Record a rejected upload; an older collected copy is removed so it is not graded."""
    if target.exists():
        shutil.rmtree(target)
    entry.status, entry.reason = "rejected", reason
    record.status, record.reason = Status.FAILED, f"rejected by collect: {reason}"
    record.digest = record.graded_digest = ""
    record.sources = [candidate.origin]
    record.cells, record.auto_score = {}, 0.0
    store.put(lab, candidate.student, record)
    log.warning(
        "lab=%s student=%s rejected %s: %s", lab, candidate.student, candidate.origin, reason
    )
    return entry


def _choose_notebook(
    candidate: Candidate, notebook_name: str, release: nbformat.NotebookNode, entry: CollectEntry
) -> str | None:
    """Return the upload's notebook for this lab, renaming a renamed copy back."""
    notebooks = [name for name in candidate.files if name.endswith(".ipynb") and "/" not in name]
    if notebook_name in notebooks:
        chosen = notebook_name
    elif not notebooks:
        return None
    else:
        chosen = max(notebooks, key=lambda name: _grade_id_overlap(candidate.files[name], release))
        entry.repairs.append(f"renamed {chosen!r} to {notebook_name!r}")
    for other in notebooks:
        if other != chosen:
            entry.dropped_files.append(f"{other}: a second notebook; only {chosen!r} is graded")
    return chosen


def _grade_id_overlap(raw: bytes, release: nbformat.NotebookNode) -> int:
    expected = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in release.cells} - {
        None
    }
    text = raw.decode("utf-8", errors="replace")
    return sum(1 for grade_id in expected if f'"{grade_id}"' in text)


def _allowed_extras(
    candidate: Candidate,
    chosen: str,
    notebook_name: str,
    allowed_suffixes: tuple[str, ...],
    entry: CollectEntry,
) -> dict[str, bytes]:
    """Return the extra files to keep; report each dropped one with the reason."""
    kept = {}
    for name, content in sorted(candidate.files.items()):
        if name == chosen or name.endswith(".ipynb"):
            continue
        path = PurePosixPath(name)
        if "/" in name or name.startswith("."):
            entry.dropped_files.append(f"{name}: only plain files next to the notebook are kept")
        elif path.suffix.lower() not in allowed_suffixes:
            entry.dropped_files.append(f"{name}: {_suffix_reason(path)}")
        elif name == notebook_name:
            continue
        else:
            kept[name] = content
    return kept


def _suffix_reason(path: PurePosixPath) -> str:
    if path.suffix == ".py":
        try:
            installed = importlib.util.find_spec(path.stem) is not None
        except (ImportError, ValueError):
            installed = False
        if installed:
            return f"would shadow the installed module {path.stem!r}"
    return f"file type {path.suffix or '(none)'!r} is not accepted"


def _save_report(course: Course, report: CollectReport) -> None:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = course.records_dir / "collect" / f"{report.lab}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=1, default=str), encoding="utf-8")
