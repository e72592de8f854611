"""Read candidate submissions from a folder or an LMS download zip, without trusting either.

A folder contains ``<student>/<lab>/*.ipynb`` plus extra files. A zip contains Canvas-style
names, ``lastnamefirstname[_LATE]_<user id>_<submission id>_<file name>``, where a
re-upload gets a ``-N`` suffix before the extension. Symbolic links, absolute paths and
``..`` components are never followed or written; each skipped entry is reported.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from grader.errors import InvalidInputError

CANVAS_NAME = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z\-']*?)(?P<late>_late)?_(?P<user_id>\d+)_(?P<submission_id>\d+)_(?P<file>.+)$",
    re.IGNORECASE,
)
RESUBMISSION_SUFFIX = re.compile(r"^(?P<stem>.*?)-(?P<number>\d+)$")


@dataclass
class Candidate:
    """One student's upload of one lab: a notebook (or several) and extra files."""

    student: str
    origin: str  # where it came from, for the report
    files: dict[str, bytes] = field(default_factory=dict)  # file name -> content
    modified: datetime = datetime.min.replace(tzinfo=timezone.utc)
    order: tuple[int, int] = (0, 0)  # LMS submission id and re-upload number
    late: bool = False
    display_name: str = ""
    lms_user_id: str = ""

    def sort_key(self) -> tuple[datetime, tuple[int, int]]:
        return (self.modified, self.order)


@dataclass
class Skipped:
    """An entry that was not read, with the reason."""

    origin: str
    reason: str


def read_folder(root: Path, lab: str, max_bytes: int) -> tuple[list[Candidate], list[Skipped]]:
    """Return the candidates of ``lab`` under ``root/<student>/<lab>/``."""
    if not root.is_dir():
        raise InvalidInputError(f"submission folder not found: {root}")
    candidates: list[Candidate] = []
    skipped: list[Skipped] = []
    for student_dir in sorted(root.iterdir()):
        lab_dir = student_dir / lab
        if student_dir.is_symlink() or lab_dir.is_symlink():
            skipped.append(Skipped(str(student_dir), "symbolic link ignored"))
            continue
        if not lab_dir.is_dir():
            continue
        candidate = Candidate(student_dir.name, str(lab_dir))
        for path in sorted(lab_dir.rglob("*")):
            reason = _unreadable_reason(path, lab_dir, max_bytes)
            if reason:
                skipped.append(Skipped(str(path), reason))
                continue
            if path.is_file():
                candidate.files[str(path.relative_to(lab_dir))] = path.read_bytes()
                mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
                if path.suffix == ".ipynb":
                    candidate.modified = max(candidate.modified, mtime)
        candidates.append(candidate)
    return candidates, skipped


def _unreadable_reason(path: Path, top: Path, max_bytes: int) -> str:
    if path.is_symlink():
        return "symbolic link ignored"
    if not path.resolve().is_relative_to(top.resolve()):
        return "path leaves the submission folder"
    if path.is_file() and path.stat().st_size > max_bytes:
        return f"file is {path.stat().st_size} bytes, over the {max_bytes} byte limit"
    return ""


def read_zip(archive: Path, lab: str, max_bytes: int) -> tuple[list[Candidate], list[Skipped]]:
    """Return the candidates in a Canvas-style zip; entries of other labs are ignored."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise InvalidInputError(f"cannot read the zip file {archive}: {error}") from error
    grouped: dict[tuple[str, str], Candidate] = {}
    skipped: list[Skipped] = []
    with bundle:
        for info in bundle.infolist():
            if info.is_dir():
                continue
            origin = f"{archive.name}:{info.filename}"
            reason = _zip_entry_problem(info, max_bytes)
            if reason:
                skipped.append(Skipped(origin, reason))
                continue
            match = CANVAS_NAME.match(PurePosixPath(info.filename).name)
            if match is None:
                skipped.append(
                    Skipped(
                        origin, "name does not follow the LMS pattern name_userid_submissionid_file"
                    )
                )
                continue
            try:
                content = bundle.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as error:
                skipped.append(Skipped(origin, f"corrupt zip entry: {error}"))
                continue
            _add_entry(grouped, match, info, content, origin, f"{lab}.ipynb")
    candidates = [c for c in grouped.values() if any(name.endswith(".ipynb") for name in c.files)]
    for candidate in grouped.values():
        if candidate not in candidates:
            skipped.append(Skipped(candidate.origin, "no notebook in this upload"))
    return candidates, skipped


def _zip_entry_problem(info: zipfile.ZipInfo, max_bytes: int) -> str:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic link ignored"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
        return "path leaves the archive folder (zip slip); ignored"
    if info.file_size > max_bytes:
        return f"entry is {info.file_size} bytes, over the {max_bytes} byte limit"
    if info.filename.lower().endswith((".zip", ".gz", ".tar")):
        return "nested archive ignored"
    return ""


def _add_entry(
    grouped: dict[tuple[str, str], Candidate],
    match: re.Match[str],
    info: zipfile.ZipInfo,
    content: bytes,
    origin: str,
    notebook_name: str,
) -> None:
    user_id, submission_id = match["user_id"], match["submission_id"]
    file_name, resubmission = _strip_resubmission(match["file"], notebook_name)
    key = (user_id, submission_id)
    candidate = grouped.get(key)
    modified = datetime(*info.date_time, tzinfo=timezone.utc)
    if candidate is None:
        candidate = Candidate(
            student=user_id,
            origin=origin,
            modified=modified,
            order=(int(submission_id), resubmission),
            late=bool(match["late"]),
            display_name=match["name"],
            lms_user_id=user_id,
        )
        grouped[key] = candidate
    candidate.files[file_name] = content
    candidate.modified = max(candidate.modified, modified)
    candidate.order = max(candidate.order, (int(submission_id), resubmission))


def _strip_resubmission(file_name: str, notebook_name: str) -> tuple[str, int]:
    """Split Canvas's re-upload suffix: ``lab-2.ipynb`` -> (``lab.ipynb``, 2).

    A name equal to the lab's notebook name is kept as is, so a lab called ``lab-2`` is not
    mistaken for a re-upload of ``lab``.
    """
    if file_name == notebook_name:
        return file_name, 0
    path = PurePosixPath(file_name)
    match = RESUBMISSION_SUFFIX.match(path.stem)
    if match and path.suffix:
        return match["stem"] + path.suffix, int(match["number"])
    return file_name, 0
