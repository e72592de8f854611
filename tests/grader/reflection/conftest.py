"""Fixtures of the reflection tests; the builders live in reflection_samples.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from reflection_samples import LAB

NotebookWriter = Callable[..., Path]


@pytest.fixture
def write_notebook(tmp_path: Path) -> NotebookWriter:
    """Write cells as ``<tmp>/<student>/07-reflection/reflection.ipynb`` and return the path."""

    def write(cells: list[Any], student: str = "alice") -> Path:
        folder = tmp_path / student / LAB
        folder.mkdir(parents=True, exist_ok=True)
        notebook = nbformat.v4.new_notebook()
        notebook.cells = cells
        path = folder / "reflection.ipynb"
        # json.dumps, not nbformat.write, so tests can store attachments that fail validation.
        path.write_text(json.dumps(notebook, indent=1))
        return path

    return write
