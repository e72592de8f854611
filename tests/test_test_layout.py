"""Rules for the test tree itself."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CONFTEST_IMPORT = re.compile(r"^\s*(from conftest import|import conftest)", re.MULTILINE)


def test_no_module_imports_from_conftest():
    """pytest imports every conftest.py as the module `conftest`, so such an import gets
    whichever folder's conftest was loaded last; shared helpers belong in a module with a
    unique name (e.g. sandbox_helpers.py)."""
    offenders = sorted(
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if "files" not in path.parts and CONFTEST_IMPORT.search(path.read_text())
    )

    assert offenders == []
