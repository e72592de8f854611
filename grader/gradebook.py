"""Read and write the course gradebook: the template copy for workers and the merge."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

# Tables of nbgrader 0.9.6's gradebook that hold student data, children first.
_STUDENT_TABLES = ("comment", "grade", "submitted_notebook", "submitted_assignment", "student")


def template_gradebook(gradebook_path: Path) -> bytes:
    """Return a copy of the gradebook without any student, submission, grade or comment.

    A worker grades with this copy, so nothing of other students is ever on its disk, and
    any manual score found in it afterwards can only come from the submission.
    """
    with tempfile.TemporaryDirectory(prefix="sgl-gradebook-") as folder:
        copy = Path(folder) / "gradebook.db"
        source = sqlite3.connect(f"file:{gradebook_path}?mode=ro", uri=True)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            for table in _STUDENT_TABLES:
                target.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            target.commit()
            target.execute("VACUUM")
        finally:
            source.close()
            target.close()
        return copy.read_bytes()
