"""Fixtures of the site tests: one student build of the course site, a local server, a browser.

The course site is built once per session into a temporary folder, reusing the notebook
execution cache of the repository's `_build/` when there is one. Browser tests need
Debian's `chromium`; without it they are skipped, unless CI is set, where they fail.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_checks import REPO_ROOT, BookBuild, build_book  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def course_build(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """The student edition of the course site, built with warnings as errors."""
    output = tmp_path_factory.mktemp("course-site")
    return build_book(REPO_ROOT, output, "student", reuse_cache_from=REPO_ROOT / "_build")


@pytest.fixture(scope="session")
def course_html(course_build: BookBuild) -> Path:
    """The HTML folder of a course build that succeeded; a failed build fails each user."""
    if course_build.returncode != 0:
        pytest.fail(
            f"jupyter-book build exited {course_build.returncode}:\n"
            + "\n".join(course_build.warnings or course_build.output.splitlines()[-40:])
        )
    return course_build.html_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 and yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def site_url(course_html: Path) -> Iterator[str]:
    with serve_folder(course_html) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The chromium binary; skip without it, except under CI, where its absence fails."""
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        return CHROMIUM
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"CI is set but {CHROMIUM} is missing: install it with apt-get install chromium"
        )
    pytest.skip(f"{CHROMIUM} not found (install Debian's chromium to run the browser tests)")


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
