"""A per-run canary that shows whether each test cell ran as written.

Before execution, every autograder test cell gets a few lines appended: an ``assert False``
that must raise, checks that common test helpers (``numpy.testing.assert_allclose``, the
builtins...) are still the installed ones, and a ``print`` of a random nonce. After
execution a test cell without an error must show the nonce. A cell blanked by an IPython
input transformer, an AST transformer that drops asserts, or a replaced helper never prints
it, so the cell scores 0 and the submission is flagged ``tamper_suspect``.

The original source is put back after execution, and the nonce line is removed from the
output, so feedback shows the test as written.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.metadata
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.autograde.execute import error_output

# (module, attribute) pairs whose replacement would make tests pass wrongly.
HELPERS = (
    ("numpy", "allclose"),
    ("numpy", "isclose"),
    ("numpy", "array_equal"),
    ("numpy.testing", "assert_allclose"),
    ("numpy.testing", "assert_array_equal"),
    ("numpy.testing", "assert_array_almost_equal"),
    ("numpy.testing", "assert_almost_equal"),
    ("numpy.testing", "assert_equal"),
    ("pandas.testing", "assert_frame_equal"),
    ("pandas.testing", "assert_series_equal"),
    ("pandas.testing", "assert_index_equal"),
    ("math", "isclose"),
)
BUILTINS = (
    "abs", "all", "any", "getattr", "hasattr", "isinstance", "issubclass",
    "len", "max", "min", "print", "repr", "round", "sorted", "sum",
)  # fmt: skip

TAMPER_MARK = "SAGELAB-CANARY-TAMPER:"


def _fingerprint(value: object) -> tuple[str, str]:
    code = (
        getattr(value, "__code__", None)
        or getattr(getattr(value, "_implementation", None), "__code__", None)
        or getattr(getattr(value, "__wrapped__", None), "__code__", None)
    )
    return (type(value).__qualname__, code.co_filename if code is not None else "")


Fingerprints = tuple[tuple[str, str, tuple[str, str]], ...]


def cached_helper_fingerprints() -> Fingerprints:
    """Return helper_fingerprints(), read from a cache file when the versions are unchanged.

    Importing pandas to fingerprint it costs about a second of CPU time (measured on a
    two-core machine). The cache key covers the interpreter, its environment and the numpy
    and pandas versions.
    """
    key = json.dumps([sys.prefix, sys.version, _version("numpy"), _version("pandas")])
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sagelab-grader"
    path = folder / f"helpers-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return tuple((module, name, (kind, origin)) for module, name, (kind, origin) in stored)
    except (OSError, ValueError, TypeError):
        pass
    found = helper_fingerprints()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found), encoding="utf-8")
    except OSError:
        pass  # a read-only home only costs the import next time
    return found


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


@functools.lru_cache(maxsize=1)
def helper_fingerprints() -> Fingerprints:
    """Return (module, name, fingerprint) of each installed helper, as imported by the grader.

    A fingerprint is the object's type name and the file its code comes from, so a lambda,
    a wrapper defined in the notebook or an object from a fake module does not match.
    """
    found = []
    for module_name, name in HELPERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.append((module_name, name, _fingerprint(getattr(module, name))))
    builtins_module = importlib.import_module("builtins")
    for name in BUILTINS:
        found.append(("builtins", name, _fingerprint(getattr(builtins_module, name))))
    return tuple(found)


_CHECK_TEMPLATE = """
def _sagelab_canary_{tag}():
    import sys as _sys
    for _module, _name, _expected in {helpers!r}:
        _loaded = _sys.modules.get(_module)
        if _loaded is None:
            continue
        _object = _loaded.__dict__.get(_name)
        _code = (
            getattr(_object, "__code__", None)
            or getattr(getattr(_object, "_implementation", None), "__code__", None)
            or getattr(getattr(_object, "__wrapped__", None), "__code__", None)
        )
        _found = (type(_object).__qualname__, _code.co_filename if _code is not None else "")
        if _found != _expected:
            return _module + "." + _name
    return None
_sagelab_problem_{tag} = _sagelab_canary_{tag}()
if _sagelab_problem_{tag} is not None:
    print("{mark}" + _sagelab_problem_{tag})
else:
    try:
        assert False
    except AssertionError:
        print("{nonce}")
del _sagelab_canary_{tag}, _sagelab_problem_{tag}
"""


@dataclass
class Canary:
    """State shared by the insert step (before execution) and the verify step (after)."""

    helpers: Fingerprints = ()
    nonce: str = field(default_factory=lambda: secrets.token_hex(16))
    originals: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)

    def block(self) -> str:
        return _CHECK_TEMPLATE.format(
            tag=self.nonce[:8],
            helpers=self.helpers,
            mark=TAMPER_MARK,
            nonce=self.nonce,
        )

    def instrument(self, source: str) -> str:
        """Return ``source`` with the canary appended, keeping a final expression's value.

        nbgrader reads partial credit from a test cell's last expression, so a final
        expression is stored in a variable before the canary and shown again after it.
        """
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return source
        block = self.block()
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr) and last.col_offset == 0:
            lines = source.splitlines()
            head = "\n".join(lines[: last.lineno - 1])
            expression = ast.get_source_segment(source, last) or ""
            tail = "\n".join(lines[last.end_lineno or len(lines) :])
            if expression and not tail.strip():
                name = f"_sagelab_value_{self.nonce[:8]}"
                return f"{head}\n{name} = ({expression})\n{block}\n{name}"
        return f"{source}\n{block}"


def is_test_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


class CanaryInsert(NbGraderPreprocessor):
    """Append the canary to every autograder test cell (runs after OverwriteCells)."""

    def __init__(self, canary: Canary, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.canary = canary

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if is_test_cell(cell):
            grade_id = cell.metadata.nbgrader["grade_id"]
            self.canary.originals[grade_id] = cell.source
            cell.source = self.canary.instrument(cell.source)
        return cell, resources


class CanaryVerify(NbGraderPreprocessor):
    """Check the nonce of every test cell, restore its source and cap its score."""

    def __init__(self, canary: Canary, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.canary = canary

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if not is_test_cell(cell):
            return cell, resources
        grade_id = cell.metadata.nbgrader["grade_id"]
        original = self.canary.originals.get(grade_id)
        if original is None:
            return cell, resources

        seen_nonce, problem = self._strip_markers(cell)
        failed = any(
            out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr")
            for out in cell.outputs
        )
        if problem:
            self._tamper(cell, grade_id, f"test cell {grade_id!r} found {problem} replaced")
        elif not seen_nonce and not failed:
            self._tamper(cell, grade_id, f"test cell {grade_id!r} did not run as written")
        cell.source = original
        self._cap_partial_credit(cell, grade_id)
        return cell, resources

    def _strip_markers(self, cell: NotebookNode) -> tuple[bool, str | None]:
        seen_nonce = False
        problem = None
        kept = []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stdout":
                lines = []
                for line in out.text.splitlines(keepends=True):
                    if line.strip() == self.canary.nonce:
                        seen_nonce = True
                    elif line.startswith(TAMPER_MARK):
                        problem = line[len(TAMPER_MARK) :].strip()
                    else:
                        lines.append(line)
                out.text = "".join(lines)
                if not out.text:
                    continue
            kept.append(out)
        cell.outputs = kept
        return seen_nonce, problem

    def _tamper(self, cell: NotebookNode, grade_id: str, message: str) -> None:
        self.canary.tampered.append(grade_id)
        self.canary.flags.append(message)
        cell.outputs.append(error_output("GraderTamperSuspected", message))

    def _cap_partial_credit(self, cell: NotebookNode, grade_id: str) -> None:
        maximum = float(cell.metadata.nbgrader.get("points", 0))
        for out in cell.outputs:
            if out.output_type != "execute_result":
                continue
            text = out.get("data", {}).get("text/plain")
            try:
                value = float(json.loads(text)) if isinstance(text, str) else None
            except (ValueError, TypeError):
                value = None
            if value is not None and value > maximum:
                out["data"]["text/plain"] = repr(maximum)
                self.canary.capped.append(grade_id)
                self.canary.flags.append(
                    f"test cell {grade_id!r} returned {value:g} points, capped at {maximum:g}"
                )
            return
