"""Helpers for the site tests: build a Jupyter Book, scan its HTML, make fixture labs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[2]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
BUILD_TIMEOUT_SECONDS = 900

# Tag and attribute pairs that make a browser fetch a resource when the page loads.
LOADING_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
# <link rel=...> values that only name a URL and load nothing.
NON_LOADING_LINK_RELS = {"canonical", "alternate", "author", "help", "license", "search"}


@dataclass
class BookBuild:
    """The result of one `jupyter-book build` run."""

    returncode: int
    output: str
    html_dir: Path

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.output.splitlines() if "WARNING:" in line or "ERROR:" in line]


def build_book(
    source: Path, output: Path, edition: str = "student", reuse_cache_from: Path | None = None
) -> BookBuild:
    """Build the book at `source` into `output/_build/html` with warnings as errors.

    `reuse_cache_from` names a `_build` folder whose notebook execution cache is copied
    first, so cached notebooks are not executed again.
    """
    if reuse_cache_from is not None and (reuse_cache_from / ".jupyter_cache").is_dir():
        shutil.copytree(
            reuse_cache_from / ".jupyter_cache",
            output / "_build" / ".jupyter_cache",
            dirs_exist_ok=True,
        )
    command = [
        str(JUPYTER_BOOK),
        "build",
        str(source),
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(output),
    ]
    environment = {**os.environ, "SAGELAB_EDITION": edition}
    completed = subprocess.run(
        command,
        cwd=source,
        env=environment,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    return BookBuild(
        completed.returncode, completed.stdout + completed.stderr, output / "_build" / "html"
    )


@dataclass
class PageScan:
    """What one HTML page links to, loads and identifies."""

    path: Path
    links: list[str] = field(default_factory=list)
    resources: list[tuple[str, str, str]] = field(default_factory=list)
    images: list[tuple[str, str | None]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    download_links: list[str] = field(default_factory=list)
    inline_scripts: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self, scan: PageScan) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = scan
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for key in ("id", "name"):
            if values.get(key):
                self.scan.ids.add(values[key])
        if tag == "a" and "href" in values:
            self.scan.links.append(values["href"])
            if "download" in values.get("class", "").split() or "download" in values:
                self.scan.download_links.append(values["href"])
        if tag == "img":
            self.scan.images.append((values.get("src", ""), dict(attrs).get("alt")))
        if tag == "script" and not values.get("src"):
            self._in_script = True
        if tag == "link" and set(values.get("rel", "").split()) <= NON_LOADING_LINK_RELS:
            return
        for attribute in LOADING_ATTRIBUTES.get(tag, ()):
            for url in _urls(attribute, values.get(attribute, "")):
                self.scan.resources.append((tag, attribute, url))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.scan.inline_scripts.append(data)


def _urls(attribute: str, value: str) -> list[str]:
    if not value:
        return []
    if attribute == "srcset":
        return [candidate.strip().split()[0] for candidate in value.split(",") if candidate.strip()]
    return [value]


def scan_page(path: Path) -> PageScan:
    scan = PageScan(path)
    _PageParser(scan).feed(path.read_text(encoding="utf-8"))
    return scan


def html_pages(html_dir: Path) -> list[Path]:
    """Return the content pages of a build: every .html file outside the asset folders."""
    return sorted(
        path
        for path in html_dir.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(html_dir).parts[:-1])
    )


def is_external(url: str) -> bool:
    """Return whether a URL leaves the site: any scheme with a host, or a `//host` URL."""
    parts = urlsplit(url)
    return bool(parts.netloc) or url.startswith("//")


def local_target(page: Path, url: str) -> tuple[Path, str] | None:
    """Return the file and fragment a local URL on `page` points to, or None if not local."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None
    if not parts.path:
        return page, unquote(parts.fragment)
    target = (page.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def source_lab_notebook(title: str = "Lab 01 · Demo") -> nbformat.NotebookNode:
    """Return a small nbgrader source notebook with a solution, hidden tests and a mark scheme."""

    def grade_metadata(
        grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None, task=False
    ):
        metadata = {
            "schema_version": 3,
            "grade_id": grade_id,
            "grade": grade,
            "solution": solution,
            "locked": locked,
            "task": task,
        }
        if points is not None:
            metadata["points"] = points
        return {"nbgrader": metadata}

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\nCompute the claim rate."),
        nbformat.v4.new_code_cell(
            "def claim_rate(outcomes):\n"
            "    ### BEGIN SOLUTION\n"
            "    solution_marker_rate = sum(outcomes) / len(outcomes)\n"
            "    return solution_marker_rate\n"
            "    ### END SOLUTION",
            metadata=grade_metadata("claim-rate", grade=False, solution=True, locked=False),
        ),
        nbformat.v4.new_code_cell(
            "assert claim_rate([1, 0]) == 0.5\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert claim_rate([1, 1, 0, 0]) == 0.5  # hidden_marker_test\n"
            "### END HIDDEN TESTS",
            metadata=grade_metadata(
                "claim-rate-tests", grade=True, solution=False, locked=True, points=2
            ),
        ),
        nbformat.v4.new_markdown_cell(
            "Why stratify the split?\n\n"
            "=== BEGIN MARK SCHEME ===\n"
            "mark_scheme_marker: the split keeps the claim rate.\n"
            "=== END MARK SCHEME ===",
            metadata=grade_metadata(
                "why-stratify", grade=False, solution=False, locked=True, points=1, task=True
            ),
        ),
    ]
    return notebook


# Text that only the instructor-only parts of `source_lab_notebook` contain.
SOURCE_LAB_SECRETS = ("solution_marker_rate", "hidden_marker_test", "mark_scheme_marker")
