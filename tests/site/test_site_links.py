"""Internal link check of the built course site: every local href and src resolves."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from site_checks import html_pages, local_target, scan_page

pytestmark = pytest.mark.slow

SKIPPED_SCHEMES = ("mailto:", "javascript:", "data:", "tel:")


@functools.cache
def page_ids(path: Path) -> frozenset[str]:
    return frozenset(scan_page(path).ids)


def broken_links(html_dir: Path) -> list[tuple[str, str, str]]:
    """Return (page, url, problem) for each local link or resource that does not resolve."""
    broken = []
    for page in html_pages(html_dir):
        scan = scan_page(page)
        for url in scan.links + [url for _, _, url in scan.resources]:
            if url.startswith(SKIPPED_SCHEMES):
                continue
            target = local_target(page, url)
            if target is None:
                continue
            path, fragment = target
            where = str(page.relative_to(html_dir))
            if not path.is_file():
                broken.append((where, url, "missing file"))
            elif fragment and path.suffix == ".html" and fragment not in page_ids(path):
                broken.append((where, url, "missing anchor"))
    return broken


def test_local_links_resolve(course_html):
    assert broken_links(course_html) == []


def test_link_check_finds_broken_links(tmp_path):
    (tmp_path / "target.html").write_text('<h1 id="present">t</h1>', encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<a href="target.html#present">ok</a>'
        '<a href="target.html#absent">anchor</a>'
        '<a href="nothere.html">file</a>'
        '<img src="img/missing.png" alt="x">'
        '<a href="https://example.org/">external</a>',
        encoding="utf-8",
    )
    assert broken_links(tmp_path) == [
        ("index.html", "target.html#absent", "missing anchor"),
        ("index.html", "nothere.html", "missing file"),
        ("index.html", "img/missing.png", "missing file"),
    ]
