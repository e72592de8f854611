"""Per-student feedback pages: test results and the notebook, safe to open in a browser.

Unlike nbgrader's ``generate_feedback``, the page leaves out the source of hidden tests
(recognised as described below), removes student scripts and event handlers, and renders a
dangling attachment as a placeholder instead of failing.

Hidden tests are recognised in two ways, and either is enough:

- the cell's nbgrader ``grade_id`` is in ``hidden_grade_ids`` or belongs to a TestRecord
  with ``hidden=True``, and then its whole source and its outputs are left out;
- the cell's source contains a ``BEGIN HIDDEN TESTS`` ... ``END HIDDEN TESTS`` region, and
  then only the lines outside the region are shown, without the cell's outputs.

Lines of hidden source that show up in outputs or test messages of any cell (a traceback
quoting the failing line, say) are replaced by a placeholder as well.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import logging
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import bleach
import mistune
import nbformat
from bleach.html5lib_shim import Filter

from grader.reflection.model import ReflectionResult
from grader.report.model import TestRecord

logger = logging.getLogger(__name__)

BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
HIDDEN_LINE = "[hidden test line]"
#: Hidden lines shorter than this (``)``, ``pass``) are too common to redact in outputs.
MIN_REDACTED_LINE = 6
MAX_TEXT_OUTPUT = 20_000
DEFAULT_MAX_IMAGE_BYTES = 5_000_000

_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_RASTER_MIMES = ("image/png", "image/jpeg", "image/gif")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "ul",
})  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
}
_LINK_SCHEMES = ("http", "https", "mailto")
_markdown_parser = mistune.create_markdown(
    renderer=mistune.HTMLRenderer(escape=False, allow_harmful_protocols=True),
    plugins=["table", "strikethrough"],
)


def _markdown(text: str) -> str:
    return str(_markdown_parser(text))


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
table.tests { border-collapse: collapse; width: 100%; }
table.tests td, table.tests th { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left;
  vertical-align: top; }
.passed { color: #176b2c; } .partial { color: #8a5a00; } .failed, .not_graded { color: #a11; }
.cell { border-left: 3px solid #ddd; margin: 1rem 0; padding: .2rem .8rem; }
.cell.code { border-color: #6a8fd0; } .cell.hidden { border-color: #a11; }
pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
pre.error { background: #fbeaea; }
.placeholder { display: inline-block; border: 1px dashed #999; padding: .3rem .6rem;
  color: #555; background: #fafafa; }
img { max-width: 100%; }
"""
# The page needs no script and loads nothing: inline styles and data: images only.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def render_feedback(
    notebook: nbformat.NotebookNode,
    *,
    student: str,
    lab: str,
    test_results: Sequence[TestRecord],
    hidden_grade_ids: Collection[str] = (),
    reflection: ReflectionResult | None = None,
    files_dir: Path | None = None,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> str:
    """Render the feedback page of one graded notebook as self-contained HTML.

    Images referenced by a relative path are embedded from ``files_dir`` when given (never
    from outside it) and otherwise replaced by a placeholder, as are remote images, SVG and
    images over ``max_image_bytes``.
    """
    hidden_ids = set(hidden_grade_ids) | {test.grade_id for test in test_results if test.hidden}
    cells = list(notebook.get("cells", []))
    views = [_CellView.of(cell, hidden_ids) for cell in cells]
    redactor = _Redactor(line for view in views for line in view.hidden_lines)
    images = functools.partial(_ImageResolver, files_dir=files_dir, max_bytes=max_image_bytes)

    body = [
        f"<h1>Feedback: {_esc(lab)}</h1>",
        f"<p>Student: <strong>{_esc(student)}</strong></p>",
        _tests_table(test_results, redactor),
    ]
    if reflection is not None:
        body.append(_reflection_section(reflection))
    body.append("<h2>Your notebook</h2>")
    body.extend(_render_cell(view, images(view.attachments), redactor) for view in views)

    hidden_count = sum(view.hidden for view in views)
    logger.info(
        "lab %s student %s: feedback rendered, %d cells, %d with hidden tests",
        lab,
        student,
        len(cells),
        hidden_count,
    )
    return _page(f"Feedback: {lab} ({student})", "\n".join(body))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


# Hidden tests


class _CellView:
    """A cell with its hidden test lines split from the source the student may see."""

    def __init__(self, cell: Any, visible: str, hidden_lines: list[str], hidden: bool) -> None:
        self.cell = cell
        self.visible = visible
        self.hidden_lines = hidden_lines
        self.hidden = hidden
        attachments = cell.get("attachments")
        self.attachments: Mapping[str, Any] = attachments if isinstance(attachments, dict) else {}

    @classmethod
    def of(cls, cell: Any, hidden_ids: set[str]) -> _CellView:
        source = cell.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None

        if BEGIN_HIDDEN.lower() in source.lower():
            visible, hidden_lines = _split_hidden(source)
            return cls(cell, visible, hidden_lines, hidden=True)
        if grade_id is not None and str(grade_id) in hidden_ids:
            return cls(cell, "", source.splitlines(), hidden=True)
        return cls(cell, source, [], hidden=False)


def _split_hidden(source: str) -> tuple[str, list[str]]:
    """Split source into the lines outside hidden regions and the lines inside them.

    An unterminated region runs to the end of the cell.
    """
    visible: list[str] = []
    hidden: list[str] = []
    inside = False
    for line in source.splitlines():
        upper = line.upper()
        if BEGIN_HIDDEN in upper:
            inside = True
        target = hidden if inside else visible
        target.append(line)
        if END_HIDDEN in upper:
            inside = False
    return "\n".join(visible), hidden


class _Redactor:
    """Replace every output line that quotes a hidden test line."""

    def __init__(self, hidden_lines: Iterable[str]) -> None:
        stripped = {line.strip() for line in hidden_lines}
        long_lines = [line for line in stripped if len(line) >= MIN_REDACTED_LINE]
        # HTML outputs may carry a line in its escaped form (&quot; &lt; ...).
        escaped = [html.escape(line, quote=quote) for line in long_lines for quote in (True, False)]
        self.needles = sorted({*long_lines, *escaped}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not self.needles:
            return text
        lines = text.splitlines()
        redacted = [
            HIDDEN_LINE if any(needle in line for needle in self.needles) else line
            for line in lines
        ]
        return "\n".join(redacted)


# Test results and reflection


def _tests_table(tests: Sequence[TestRecord], redactor: _Redactor) -> str:
    if not tests:
        return "<h2>Tests</h2>\n<p>No autograded tests were recorded for this notebook.</p>"
    graded = [test for test in tests if test.points is not None]
    score = sum(test.points or 0.0 for test in graded)
    total = sum(test.max_points for test in tests)
    rows = [
        f'<tr class="{test.status}"><td>{_esc(test.label)}</td>'
        f"<td>{_points(test.points)} / {test.max_points:g}</td>"
        f"<td>{test.status.replace('_', ' ')}</td>"
        f"<td><pre>{_esc(_clip(redactor(_strip_ansi(test.message))))}</pre></td></tr>"
        for test in tests
    ]
    return (
        f"<h2>Tests: {score:g} / {total:g} points</h2>\n"
        '<table class="tests"><thead><tr><th>test</th><th>points</th><th>status</th>'
        "<th>message</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _points(points: float | None) -> str:
    return "-" if points is None else f"{points:g}"


def _reflection_section(reflection: ReflectionResult) -> str:
    return (
        f"<h2>Reflection: {reflection.points:g} / {reflection.max_points:g} automatic points</h2>"
        f"\n<pre>{_esc(reflection.comment)}</pre>"
    )


# Cells


def _render_cell(view: _CellView, images: _ImageResolver, redactor: _Redactor) -> str:
    cell_type = view.cell.get("cell_type")
    classes = f"cell {cell_type}" + (" hidden" if view.hidden else "")
    if cell_type == "markdown":
        inner = _sanitize(_markdown(view.visible), images)
    elif cell_type == "code":
        inner = _render_code(view, images, redactor)
    else:
        inner = f"<pre>{_esc(view.visible)}</pre>"
    return f'<div class="{classes}">\n{inner}\n</div>'


def _render_code(view: _CellView, images: _ImageResolver, redactor: _Redactor) -> str:
    parts = []
    if view.visible.strip():
        parts.append(f"<pre>{_esc(view.visible)}</pre>")
    if view.hidden:
        parts.append(
            '<p class="placeholder">Hidden tests are not shown. Their result is in the table '
            "above.</p>"
        )
        return "\n".join(parts)
    outputs = view.cell.get("outputs")
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict):
            parts.append(_render_output(output, images, redactor))
    return "\n".join(parts)


def _render_output(output: Mapping[str, Any], images: _ImageResolver, redactor: _Redactor) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{_esc(_clip(redactor(_strip_ansi(_text(output.get('text'))))))}</pre>"
    if kind == "error":
        lines = output.get("traceback")
        text = "\n".join(map(str, lines)) if isinstance(lines, list) else ""
        text = text or f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return f'<pre class="error">{_esc(_clip(redactor(_strip_ansi(text))))}</pre>'
    if kind in ("execute_result", "display_data"):
        data = output.get("data")
        return _render_mime_bundle(data if isinstance(data, dict) else {}, images, redactor)
    return _placeholder(f"output of unknown type {kind!r} not shown")


def _render_mime_bundle(
    data: Mapping[str, Any], images: _ImageResolver, redactor: _Redactor
) -> str:
    for mime in _RASTER_MIMES:
        if mime in data:
            uri, reason = images.from_base64(_text(data[mime]), f"{mime} output")
            return f'<img src="{uri}" alt="output image">' if uri else _placeholder(reason)
    if "text/html" in data:
        return _sanitize(redactor(_text(data["text/html"])), images)
    if "text/markdown" in data:
        return _sanitize(_markdown(redactor(_text(data["text/markdown"]))), images)
    if "text/plain" in data:
        return f"<pre>{_esc(_clip(redactor(_strip_ansi(_text(data['text/plain'])))))}</pre>"
    if data:
        return _placeholder(f"{', '.join(sorted(data))} output not shown")
    return ""


def _text(value: Any) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _clip(text: str) -> str:
    if len(text) <= MAX_TEXT_OUTPUT:
        return text
    return f"{text[:MAX_TEXT_OUTPUT]}\n[{len(text) - MAX_TEXT_OUTPUT} more characters not shown]"


def _placeholder(reason: str) -> str:
    return f'<span class="placeholder">[{_esc(reason)}]</span>'


# Images


class _ImageResolver:
    """Turn image URLs of one cell into checked data URIs, or into a placeholder reason.

    Only PNG, JPEG and GIF are embedded, recognised by their leading bytes, whatever MIME
    type the notebook declares, and the data URI is rebuilt from the decoded bytes.
    """

    def __init__(
        self, attachments: Mapping[str, Any], *, files_dir: Path | None, max_bytes: int
    ) -> None:
        self.attachments = attachments
        self.files_dir = files_dir
        self.max_bytes = max_bytes

    def resolve(self, url: str) -> tuple[str | None, str]:
        lowered = url.strip().lower()
        if lowered.startswith("attachment:"):
            return self._attachment(url.strip()[len("attachment:") :])
        if lowered.startswith("data:"):
            header, _, payload = url.partition(",")
            if ";base64" not in header.lower():
                return None, "inline image is not base64 encoded"
            return self.from_base64(payload, "inline image")
        if urlsplit(url).scheme:
            return None, f"external image {url} not loaded"
        return self._file(unquote(urlsplit(url).path))

    def from_base64(self, payload: str, label: str) -> tuple[str | None, str]:
        compact = "".join(payload.split())
        if len(compact) * 3 // 4 > self.max_bytes:
            return None, f"{label} is larger than {self.max_bytes} bytes"
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            return None, f"{label} is not valid base64"
        return self._data_uri(data, label)

    def _attachment(self, name: str) -> tuple[str | None, str]:
        bundle = self.attachments.get(name, self.attachments.get(unquote(name)))
        if bundle is None:
            return None, f"missing attachment {name}"
        if not isinstance(bundle, dict):
            return None, f"attachment {name} is invalid"
        mime = next((candidate for candidate in _RASTER_MIMES if candidate in bundle), None)
        if mime is None:
            kinds = ", ".join(sorted(map(str, bundle))) or "no data"
            return None, f"attachment {name} ({kinds}) not shown"
        return self.from_base64(_text(bundle[mime]), f"attachment {name}")

    def _file(self, relative: str) -> tuple[str | None, str]:
        if self.files_dir is None:
            return None, f"image file {relative} not embedded"
        root = self.files_dir.resolve()
        path = (root / relative).resolve()
        if Path(relative).is_absolute() or not path.is_relative_to(root):
            return None, f"image path {relative} is outside the submission"
        if not path.is_file():
            return None, f"image file {relative} not found"
        if path.stat().st_size > self.max_bytes:
            return None, f"image file {relative} is larger than {self.max_bytes} bytes"
        return self._data_uri(path.read_bytes(), f"image file {relative}")

    def _data_uri(self, data: bytes, label: str) -> tuple[str | None, str]:
        mime = next((mime for magic, mime in _IMAGE_SIGNATURES if data.startswith(magic)), None)
        if mime is None:
            return None, f"{label} is not a PNG, JPEG or GIF image"
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", ""


class _ImageFilter(Filter):  # type: ignore[misc]
    """Embed resolved images, replace the others with a placeholder, and drop unsafe links.

    Runs after bleach's sanitizer, so every token it receives is an allowed tag.
    """

    def __init__(self, source: Any, images: _ImageResolver) -> None:
        super().__init__(source)
        self.images = images

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            name = token.get("name")
            if token.get("type") == "EmptyTag" and name == "img":
                yield from self._image(token)
                continue
            if token.get("type") == "StartTag" and name == "a":
                self._check_link(token)
            yield token

    def _image(self, token: dict[str, Any]) -> Iterator[dict[str, Any]]:
        attributes = token.get("data") or {}
        src = attributes.get((None, "src"), "")
        uri, reason = self.images.resolve(src) if src else (None, "image without a source")
        if uri is not None:
            attributes[(None, "src")] = uri
            yield token
            return
        yield {"type": "StartTag", "name": "span", "data": {(None, "class"): "placeholder"}}
        yield {"type": "Characters", "data": f"[{reason}]"}
        yield {"type": "EndTag", "name": "span"}

    @staticmethod
    def _check_link(token: dict[str, Any]) -> None:
        attributes = token.get("data") or {}
        href = str(attributes.get((None, "href"), ""))
        scheme = urlsplit(href.strip()).scheme.lower()
        if scheme and scheme not in _LINK_SCHEMES:
            attributes.pop((None, "href"), None)
        else:
            attributes[(None, "rel")] = "nofollow noopener noreferrer"


def _sanitize(fragment: str, images: _ImageResolver) -> str:
    cleaner = bleach.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        # data: and attachment: stay so that _ImageFilter can check and embed images. It
        # drops them from links.
        protocols=frozenset({*_LINK_SCHEMES, "data", "attachment"}),
        strip=True,
        strip_comments=True,
        filters=[functools.partial(_ImageFilter, images=images)],
    )
    return str(cleaner.clean(fragment))
