"""Find reflection cells, the images they reference and the words of their text."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import mistune

#: Cell metadata key and the values of its ``reflection`` entry.
METADATA_KEY = "sagelab"
SCREENSHOT = "screenshot"
TEXT = "text"
PROMPT = "prompt"
REFLECTION_KINDS = (SCREENSHOT, TEXT, PROMPT)

#: nbgrader's default ``ClearSolutions.text_stub``, left in cells students did not edit.
ANSWER_STUB = "YOUR ANSWER HERE"
#: A run of at least this many words copied from a prompt is not counted as the student's.
PROMPT_COPY_MIN_WORDS = 4

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_HTML_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_MARKDOWN_NOISE = re.compile(r"!\[[^\]]*\]\([^)]*\)|<[^>]+>|\b(?:data|https?|attachment):\S+")
_markdown_ast = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])


@dataclass(frozen=True)
class ImageRef:
    """An image reference found in a cell: ``kind`` is attachment, data, remote or file."""

    kind: str
    target: str
    cell: int

    @property
    def label(self) -> str:
        if self.kind == "attachment":
            return f"attachment:{self.target}"
        if self.kind == "data":
            return "inline data URI"
        return self.target


def _metadata(cell: Any, key: str) -> dict[str, Any]:
    """Return ``cell.metadata[key]``, or an empty dict when any level is not a dict."""
    metadata = cell.get("metadata")
    value = metadata.get(key) if isinstance(metadata, dict) else None
    return value if isinstance(value, dict) else {}


def reflection_kind(cell: Any) -> str | None:
    """Return the cell's ``sagelab.reflection`` value, or None when it is not a reflection cell."""
    kind = _metadata(cell, METADATA_KEY).get("reflection")
    return kind if kind in REFLECTION_KINDS else None


def cell_name(cell: Any, index: int) -> str:
    """Return ``sagelab.name``, else the nbgrader ``grade_id``, else ``cell-<index>``."""
    name = _metadata(cell, METADATA_KEY).get("name")
    return str(name or grade_id(cell) or f"cell-{index}")


def grade_id(cell: Any) -> str | None:
    value = _metadata(cell, "nbgrader").get("grade_id")
    return str(value) if value else None


def is_instructor_cell(cell: Any) -> bool:
    """Return whether nbgrader locks the cell, so a student cannot have pasted an image into it."""
    nbgrader = _metadata(cell, "nbgrader")
    locked = bool(nbgrader.get("locked"))
    test_cell = bool(nbgrader.get("grade")) and not nbgrader.get("solution")
    return locked or test_cell or bool(nbgrader.get("task"))


def cell_source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def image_refs(cell: Any, index: int) -> list[ImageRef]:
    """List the images a markdown or raw cell references, in document order."""
    if cell.get("cell_type") not in ("markdown", "raw"):
        return []
    source = cell_source(cell)
    urls = [url for url in _markdown_image_urls(source)]
    urls.extend(
        next(group for group in match.groups() if group is not None)
        for match in _HTML_IMG_SRC.finditer(source)
    )
    return [_classify(url.strip(), index) for url in urls if url.strip()]


def _markdown_image_urls(source: str) -> Iterator[str]:
    tokens = _markdown_ast(source)
    stack = list(tokens) if isinstance(tokens, list) else []
    while stack:
        token = stack.pop(0)
        if token.get("type") == "image":
            yield str(token.get("attrs", {}).get("url", ""))
        stack[0:0] = token.get("children") or []


def _classify(url: str, index: int) -> ImageRef:
    lowered = url.lower()
    if lowered.startswith("attachment:"):
        return ImageRef("attachment", url[len("attachment:") :], index)
    if lowered.startswith("data:"):
        return ImageRef("data", url, index)
    if urlsplit(url).scheme:
        return ImageRef("remote", url, index)
    return ImageRef("file", unquote(urlsplit(url).path), index)


def unreferenced_attachments(cell: Any, refs: list[ImageRef]) -> list[str]:
    attachments = cell.get("attachments")
    if not isinstance(attachments, dict):
        return []
    used = {ref.target for ref in refs if ref.kind == "attachment"}
    return [name for name in attachments if name not in used]


def words(text: str) -> list[str]:
    """Return the lower-cased words of markdown prose, without images, tags and URLs."""
    prose = _MARKDOWN_NOISE.sub(" ", text).replace(ANSWER_STUB, " ")
    return [word.lower() for word in _WORD.findall(prose)]


def remove_prompt_words(answer: list[str], prompts: list[list[str]]) -> list[str]:
    """Drop every run of PROMPT_COPY_MIN_WORDS or more words copied from one of the prompts."""
    remaining = list(answer)
    for prompt in prompts:
        while True:
            matcher = difflib.SequenceMatcher(None, prompt, remaining, autojunk=False)
            block = matcher.find_longest_match(0, len(prompt), 0, len(remaining))
            if block.size < PROMPT_COPY_MIN_WORDS:
                break
            del remaining[block.b : block.b + block.size]
    return remaining
