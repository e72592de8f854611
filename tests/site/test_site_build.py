"""The student build of the course site: warnings, pages, executed output, offline, no leaks."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from site_checks import REPO_ROOT, html_pages, is_external, local_target, scan_page

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
from sagelab_book.labpages import make_student_notebook  # noqa: E402

pytestmark = pytest.mark.slow

SOLUTION_REGION = re.compile(r"BEGIN SOLUTION(.*?)END SOLUTION", re.S)
HIDDEN_TESTS_REGION = re.compile(r"BEGIN HIDDEN TESTS(.*?)END HIDDEN TESTS", re.S)
MARK_SCHEME_REGION = re.compile(r"BEGIN MARK SCHEME(.*?)END MARK SCHEME", re.S)
BOOK = REPO_ROOT / "book"
STAGE_CHAPTERS = (
    "03-exploratory-analysis",
    "04-model-building",
    "05-training",
    "06-deployment",
    "07-tuning",
)


def toc_files() -> list[str]:
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def instructor_only_lines(lab_sources: list[Path]) -> set[str]:
    """Return the lines that only the instructor may see in the lab source notebooks.

    These are the lines of solution, hidden-test and mark-scheme regions that appear
    nowhere in any lab's student version or in the chapter sources, and that are long
    enough (25 characters) not to occur elsewhere by chance.
    """
    lines: set[str] = set()
    public = [path.read_text(encoding="utf-8") for path in BOOK.glob("*.md")]
    for lab_source in lab_sources:
        source = nbformat.read(lab_source, as_version=4)
        text = "\n".join(cell.source for cell in source.cells)
        for region in (SOLUTION_REGION, HIDDEN_TESTS_REGION, MARK_SCHEME_REGION):
            for match in region.finditer(text):
                lines.update(line.strip() for line in match.group(1).splitlines())
        student = make_student_notebook(source, lab_source.stem)
        public.extend(cell.source for cell in student.cells)
    public_text = "\n".join(public)
    return {
        line
        for line in lines
        if len(line) >= 25 and not line.startswith(("#", "===")) and line not in public_text
    }


def test_build_has_no_warnings(course_build):
    assert course_build.returncode == 0, "\n".join(course_build.warnings)
    assert course_build.warnings == []


def test_build_publishes_no_execution_reports(course_html):
    assert not (course_html / "reports").exists()


def test_every_toc_file_has_a_page(course_html):
    missing = [name for name in toc_files() if not (course_html / f"{name}.html").is_file()]
    assert missing == []
    assert len(toc_files()) == 21


def test_stage_chapters_show_executed_output(course_html):
    for chapter in STAGE_CHAPTERS:
        page = (course_html / "book" / f"{chapter}.html").read_text(encoding="utf-8")
        assert 'class="cell_output' in page, chapter
        assert "Traceback" not in page, chapter
    training = (course_html / "book" / "05-training.html").read_text(encoding="utf-8")
    assert "validation:auc" in training
    assert "Completed" in training


def test_stage_chapters_each_show_a_diagram(course_html):
    for chapter in STAGE_CHAPTERS:
        images = [src for src, _ in scan_page(course_html / "book" / f"{chapter}.html").images]
        assert any(src.endswith(".svg") for src in images), (chapter, images)


def test_pages_load_nothing_from_other_hosts(course_html):
    external = []
    for page in html_pages(course_html):
        scan = scan_page(page)
        external += [(page.name, tag, url) for tag, _, url in scan.resources if is_external(url)]
    assert external == []


def test_pages_have_no_thebe_or_cdn_scripts(course_html):
    for page in html_pages(course_html):
        scripts = "\n".join(scan_page(page).inline_scripts)
        assert "THEBE_JS_URL" not in scripts, page
        assert "unpkg.com" not in scripts, page
        assert "cdn.jsdelivr.net" not in scripts, page


def test_stylesheets_load_nothing_from_other_hosts(course_html):
    remote = re.compile(r"""url\(\s*['"]?(?:https?:)?//""", re.I)
    offenders = [
        str(path.relative_to(course_html))
        for path in course_html.rglob("*.css")
        if remote.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_no_page_math_needs_mathjax(course_html):
    for page in html_pages(course_html):
        sources = [url for tag, _, url in scan_page(page).resources if tag == "script"]
        assert not any("mathjax" in url.lower() for url in sources), page


def test_build_has_no_sources_folder(course_html):
    assert not (course_html / "_sources").exists()


def test_build_contains_no_instructor_markers(course_html):
    markers = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME")
    offenders = []
    for path in course_html.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".ipynb", ".txt", ".json", ".zip"):
            data = path.read_bytes()
            offenders += [(str(path), marker) for marker in markers if marker.encode() in data]
    assert offenders == []


def test_build_contains_no_solution_lines(course_html):
    sources = sorted(REPO_ROOT.glob("labs/*/*.ipynb"))
    if not sources:
        pytest.skip("no lab source notebooks in labs/ yet; test_site_editions covers a fixture lab")
    secrets = instructor_only_lines(sources)
    assert secrets, "no instructor-only lines found: the check would pass vacuously"
    built_text = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in course_html.rglob("*")
        if path.is_file() and path.suffix in (".html", ".js", ".ipynb", ".txt", ".json")
    )
    leaked = sorted(line for line in secrets if line in built_text)
    assert leaked == []


def test_lab_download_links_give_student_notebooks(course_html):
    labs = sorted((course_html / "book" / "labs").glob("*.html"))
    assert len(labs) == 8
    for page in labs:
        notebook_links = [
            link for link in scan_page(page).download_links if link.endswith(".ipynb")
        ]
        lab = page.stem
        source = REPO_ROOT / "labs" / lab / f"{lab}.ipynb"
        if not source.is_file():
            assert notebook_links == [], f"{lab} has no source but offers a download"
            continue
        assert len(notebook_links) == 1, (lab, notebook_links)
        target, _ = local_target(page, notebook_links[0])
        assert target.is_file(), target
        downloaded = nbformat.reads(target.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(downloaded)
        assert "BEGIN SOLUTION" not in json.dumps(downloaded)
        source_cells = nbformat.read(source, as_version=4).cells
        if any("BEGIN SOLUTION" in cell.source for cell in source_cells):
            stubs = ("NotImplementedError", "YOUR ANSWER HERE")
            assert any(stub in cell.source for cell in downloaded.cells for stub in stubs), lab
