"""Accessibility of every page of the built site, checked with axe-core in Chromium.

axe-core comes from the axe-playwright-python package, which ships `axe.min.js`. The
script is injected from that file, so the check needs no network. The rule set is WCAG
2.0 and 2.1, levels A and AA; serious and critical violations fail the test.
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest
from site_checks import html_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AXE_SCRIPT = Path(axe_playwright_python.__file__).with_name("axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        """async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})""",
        WCAG_TAGS,
    )
    return result["violations"]


def test_axe_script_is_available():
    assert AXE_SCRIPT.is_file()
    assert AXE_SCRIPT.read_text(encoding="utf-8")[:200].startswith("/*! axe v4.")


def test_pages_have_no_serious_violations(browser, course_html, site_url):
    context = browser.new_context()
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(site_url) else route.abort()
        ),
    )
    page = context.new_page()
    serious = []
    try:
        for path in html_pages(course_html):
            relative = path.relative_to(course_html).as_posix()
            page.goto(f"{site_url}/{relative}", wait_until="networkidle")
            for violation in axe_violations(page):
                if violation["impact"] in FAILING_IMPACTS:
                    targets = [node["target"] for node in violation["nodes"][:3]]
                    serious.append((relative, violation["id"], violation["impact"], targets))
    finally:
        context.close()
    assert serious == []


def test_axe_reports_a_missing_alt_text(browser):
    # A control page, so a silent axe failure cannot pass the test above.
    page = browser.new_page()
    try:
        page.set_content('<html lang="en"><body><main><img src="data:,"></main></body></html>')
        ids = {violation["id"] for violation in axe_violations(page)}
    finally:
        page.close()
    assert "image-alt" in ids
