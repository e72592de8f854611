"""The built site in headless Chromium: offline, error-free, searchable and navigable.

Every request is routed through a handler that lets only 127.0.0.1 through and records
the rest, so the tests fail on any CDN use and no request ever leaves the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from site_checks import REPO_ROOT, html_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGE_TIMEOUT_MS = 30_000


@dataclass
class Traffic:
    """What the pages of one browser context requested and reported."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    images: dict[str, list[dict]] = field(default_factory=dict)


def watch(context, page, traffic: Traffic) -> None:
    """Limit the context's requests to 127.0.0.1 and record failures and errors in `traffic`."""

    def route(route_request):
        url = route_request.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route_request.continue_()
        else:
            traffic.blocked.append(url)
            route_request.abort()

    context.route("**/*", route)
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.on(
        "requestfailed",
        lambda request: traffic.failed.append(f"{request.url} ({request.failure})"),
    )
    page.on(
        "response",
        lambda response: (
            traffic.error_responses.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on(
        "console",
        lambda message: (
            traffic.console_errors.append(f"{page.url}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: traffic.console_errors.append(f"{page.url}: {error}"))


@pytest.fixture
def watched_page(browser):
    """A page whose requests are limited to 127.0.0.1 and whose errors are recorded."""
    context = browser.new_context()
    page = context.new_page()
    traffic = Traffic()
    watch(context, page, traffic)
    yield page, traffic
    context.close()


@pytest.fixture(scope="module")
def site_visit(browser, course_html, site_url) -> Traffic:
    """Open every page of the site once and record its traffic, errors and images."""
    context = browser.new_context()
    page = context.new_page()
    traffic = Traffic()
    watch(context, page, traffic)
    try:
        for path in html_pages(course_html):
            relative = path.relative_to(course_html).as_posix()
            response = page.goto(f"{site_url}/{relative}", wait_until="networkidle")
            assert response is not None and response.ok, relative
            traffic.images[relative] = page.evaluate(
                """() => Array.from(document.images).map(image => ({
                    src: image.getAttribute('src'),
                    alt: image.getAttribute('alt'),
                    width: image.naturalWidth,
                }))"""
            )
    finally:
        context.close()
    return traffic


def test_every_page_is_visited(site_visit):
    assert len(site_visit.images) >= 21


def test_pages_request_nothing_outside_localhost(site_visit):
    assert site_visit.blocked == []


def test_pages_have_no_failed_requests(site_visit):
    assert site_visit.failed == []
    assert site_visit.error_responses == []


def test_pages_log_no_console_errors(site_visit):
    assert site_visit.console_errors == []


def test_every_image_has_alt_text(site_visit):
    problems = []
    for relative, images in site_visit.images.items():
        for image in images:
            file_name = (image["src"] or "").rsplit("/", 1)[-1]
            alt = (image["alt"] or "").strip()
            if not alt or alt == file_name or alt.endswith((".png", ".svg", ".jpg")):
                problems.append((relative, image["src"], image["alt"]))
    assert problems == []


def test_every_image_loads(site_visit):
    broken = [
        (relative, image["src"])
        for relative, images in site_visit.images.items()
        for image in images
        if image["width"] == 0
    ]
    assert broken == []
    assert sum(len(images) for images in site_visit.images.values()) >= 7


def test_search_finds_the_deployment_chapter(watched_page, site_url):
    page, traffic = watched_page
    page.goto(f"{site_url}/search.html?q=endpoint", wait_until="networkidle")
    page.wait_for_selector("#search-results ul.search li")

    hits = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(link => link.href)"
    )
    assert any(hit.split("#")[0].endswith("book/06-deployment.html") for hit in hits), hits
    assert traffic.console_errors == []


def test_search_box_submits_a_query(watched_page, site_url):
    page, _ = watched_page
    page.goto(f"{site_url}/book/intro.html", wait_until="networkidle")
    page.keyboard.press("Control+k")
    search = page.locator("input[name='q']:visible").first
    search.fill("hyperparameter")
    search.press("Enter")
    page.wait_for_url("**/search.html?q=hyperparameter*")
    page.wait_for_selector("#search-results ul.search li")
    assert page.locator("#search-results ul.search li").count() > 0


def test_navigation_follows_the_table_of_contents(watched_page, site_url):
    page, traffic = watched_page
    page.goto(f"{site_url}/index.html", wait_until="networkidle")
    page.wait_for_url("**/book/intro.html")

    page.locator("a.right-next").click()
    page.wait_for_url("**/book/01-what-sagemaker-solves.html")
    assert page.locator("h1").first.inner_text().strip().endswith("What SageMaker solves")

    page.locator("nav.bd-docs-nav a", has_text="Training").first.click()
    page.wait_for_url("**/book/05-training.html")

    page.locator("a.left-prev").click()
    page.wait_for_url("**/book/04-model-building.html")
    assert traffic.console_errors == []


def test_lab_download_links_serve_notebooks(watched_page, course_html, site_url):
    page, _ = watched_page
    checked = 0
    for path in sorted((course_html / "book" / "labs").glob("*.html")):
        page.goto(f"{site_url}/book/labs/{path.name}", wait_until="networkidle")
        for href in page.eval_on_selector_all(
            "a.download", "links => links.map(link => link.href)"
        ):
            response = page.request.get(href)
            assert response.status == 200, href
            if href.endswith(".ipynb"):
                notebook = json.loads(response.body())
                assert notebook["nbformat"] == 4, href
                assert "BEGIN SOLUTION" not in response.text(), href
            checked += 1
    # Graded labs only: labs/<lab>/<lab>.ipynb (labs/sdk holds optional SDK variants).
    lab_sources = [
        path for path in REPO_ROOT.glob("labs/*/*.ipynb") if path.stem == path.parent.name
    ]
    assert checked >= len(lab_sources)
