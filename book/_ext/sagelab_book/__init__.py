"""Sphinx extension for the sagelab course site (Jupyter Book 1.x).

* Before Sphinx reads the table of contents, it writes the lab pages from the
  nbgrader source notebooks, in the edition named by ``SAGELAB_EDITION``
  (``student`` by default, or ``instructor``).
* It gives the theme's collapsible sidebar entries an accessible name (see
  `accessibility`).
* It drops sphinx-thebe's scripts from every page. Jupyter Book always loads
  sphinx-thebe, which adds an inline script naming an unpkg.com URL even when
  thebe is off; this site never runs code in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from .accessibility import wrap_toctree_function
from .labpages import LabPageError, write_lab_pages
from .settings import SettingsError, load_settings

logger = logging.getLogger(__name__)

THEBE_SCRIPT_MARKERS = ("THEBE_JS_URL", "sphinx-thebe.js")


def generate_lab_pages(app: Sphinx, config: Any) -> None:
    """Write the lab pages for the current edition into the book's source tree."""
    try:
        settings = load_settings(Path(app.srcdir))
        pages = write_lab_pages(settings)
    except (SettingsError, LabPageError) as error:
        raise ExtensionError(str(error)) from error

    config.sagelab_edition = settings.edition
    placeholders = [page.lab for page in pages if page.placeholder]
    logger.info(
        "[sagelab] %d lab page(s) written for the %s edition; placeholders for missing labs: %s",
        len(pages),
        settings.edition,
        ", ".join(placeholders) or "none",
    )


def drop_thebe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Remove sphinx-thebe's script tags from a page's template context."""
    scripts = context.get("script_files")
    if not scripts:
        return
    context["script_files"] = [script for script in scripts if not _is_thebe_script(script)]


def _is_thebe_script(script: Any) -> bool:
    text = f"{script} {getattr(script, 'filename', '')} {getattr(script, 'attributes', {})}"
    return any(marker in text for marker in THEBE_SCRIPT_MARKERS)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("sagelab_edition", "student", "env")
    # sphinx-external-toc reads _toc.yml at priority 900 and globs the source tree then,
    # so the generated pages must exist before it runs.
    app.connect("config-inited", generate_lab_pages, priority=400)
    app.connect("html-page-context", drop_thebe_scripts, priority=900)
    # After pydata-sphinx-theme's own handler (default priority 500) has set the function.
    app.connect("html-page-context", wrap_toctree_function, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
