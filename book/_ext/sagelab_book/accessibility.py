"""Accessible names for the theme's collapsible navigation entries.

pydata-sphinx-theme 0.17 turns each sidebar entry with children into a `<details>`
element whose `<summary>` holds only a decorative chevron icon, so the control has no
accessible name (axe-core rule `summary-name`, WCAG 4.1.2). This module wraps the
theme's `generate_toctree_html` template function and labels every such `<summary>`
with the title of the entry it expands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup


def label_toctree_toggles(html: str) -> str:
    """Return the sidebar HTML with an `aria-label` on every unnamed `<summary>`."""
    soup = BeautifulSoup(html, "html.parser")
    for summary in soup.select("details > summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        link = item.find("a", recursive=False) if item is not None else None
        title = link.get_text(" ", strip=True) if link is not None else ""
        summary["aria-label"] = f"Show or hide the pages of {title}" if title else "Show or hide"
    return str(soup)


def wrap_toctree_function(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Replace the page context's `generate_toctree_html` with a labelling wrapper."""
    original: Callable[..., Any] | None = context.get("generate_toctree_html")
    if original is None:
        return

    def generate_toctree_html(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        kind = kwargs.get("kind", args[0] if args else None)
        # For the sidebar the theme returns a BeautifulSoup tree that the template renders
        # with str(); other kinds return trees that callers keep working on.
        if kind == "sidebar" and isinstance(result, (str, BeautifulSoup)):
            return label_toctree_toggles(str(result))
        return result

    context["generate_toctree_html"] = generate_toctree_html
