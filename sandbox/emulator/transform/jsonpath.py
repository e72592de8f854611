"""The JSONPath subset of batch transform's InputFilter and OutputFilter.

SageMaker accepts `$`, `.name`, `.*`, `['a','b']`, `[i]`, `[i,j,k]` (negative indices
count from the end) and `[start:end]`, where a slice includes **both** ends, unlike
Python: `$[1:3]` selects columns 2, 3 and 4. A missing start or end means the first or
the last element, and items can be mixed in one bracket (`$[0,5:]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_FILTER_LENGTH = 63

_NAME = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*|\*)")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_QUOTED = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)")\s*""")
_INDEX = re.compile(r"\s*(-?\d+)\s*")
_SLICE = re.compile(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*")


class JsonPathError(ValueError):
    """A filter is not in the supported JSONPath subset, or does not fit the data."""


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Names:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Slice:
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Items:
    """A bracket with several indices or slices: always selects a list."""

    items: tuple[Index | Slice, ...]


Segment = Name | Names | Wildcard | Index | Items


@dataclass(frozen=True)
class JsonPath:
    text: str
    segments: tuple[Segment, ...]

    @property
    def is_root(self) -> bool:
        return not self.segments

    def apply(self, value: Any) -> Any:
        """Return the part of `value` the path selects; raise JsonPathError if it is missing."""
        for segment in self.segments:
            value = _apply(segment, value, self.text)
        return value


def parse(text: str) -> JsonPath:
    """Parse a filter expression, raising JsonPathError that names the bad part."""
    if len(text) > MAX_FILTER_LENGTH:
        raise JsonPathError(
            f"JSONPath {text!r} is {len(text)} characters long: the maximum is {MAX_FILTER_LENGTH}"
        )
    if not text.startswith("$"):
        raise JsonPathError(f"JSONPath {text!r} must start with '$'")
    segments: list[Segment] = []
    position = 1
    while position < len(text):
        name = _NAME.match(text, position)
        bracket = _BRACKET.match(text, position)
        if name:
            segments.append(Wildcard() if name.group(1) == "*" else Name(name.group(1)))
            position = name.end()
        elif bracket:
            segments.append(_parse_bracket(bracket.group(1), text))
            position = bracket.end()
        else:
            raise JsonPathError(
                f"JSONPath {text!r} is not supported at {text[position:]!r}: use $, .name, "
                "['a','b'], [i], [i,j] or [start:end]"
            )
    return JsonPath(text, tuple(segments))


def _parse_bracket(content: str, text: str) -> Segment:
    if content.strip() == "*":
        return Wildcard()
    parts = content.split(",")
    quoted = [_QUOTED.fullmatch(part) for part in parts]
    if all(quoted):
        names = tuple(
            match.group(1) if match.group(1) is not None else match.group(2)
            for match in quoted
            if match
        )
        return Name(names[0]) if len(names) == 1 else Names(names)
    items: list[Index | Slice] = []
    for part in parts:
        index = _INDEX.fullmatch(part)
        piece = _SLICE.fullmatch(part)
        if index:
            items.append(Index(int(index.group(1))))
        elif piece:
            start, end = piece.groups()
            items.append(Slice(_int(start), _int(end)))
        else:
            raise JsonPathError(
                f"JSONPath {text!r} has an unsupported bracket [{content}]: use indices, "
                "inclusive slices such as [1:3], or quoted names such as ['a','b']"
            )
    if len(items) == 1 and isinstance(items[0], Index):
        return items[0]
    return Items(tuple(items))


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def _apply(segment: Segment, value: Any, text: str) -> Any:
    if isinstance(segment, Name):
        return _member(value, segment.name, text)
    if isinstance(segment, Names):
        return {name: _member(value, name, text) for name in segment.names}
    if isinstance(segment, Wildcard):
        return list(value.values()) if isinstance(value, dict) else list(_as_list(value, text))
    if isinstance(segment, Index):
        return _element(_as_list(value, text), segment.index, text)
    selected: list[Any] = []
    elements = _as_list(value, text)
    for item in segment.items:
        if isinstance(item, Index):
            selected.append(_element(elements, item.index, text))
        else:
            selected.extend(_inclusive_slice(elements, item))
    return selected


def _member(value: Any, name: str, text: str) -> Any:
    if not isinstance(value, dict) or name not in value:
        raise JsonPathError(f"JSONPath {text!r} selects key {name!r}, which the record lacks")
    return value[name]


def _as_list(value: Any, text: str) -> list[Any]:
    if not isinstance(value, list):
        raise JsonPathError(f"JSONPath {text!r} indexes a value that is not an array: {value!r}")
    return value


def _element(elements: list[Any], index: int, text: str) -> Any:
    if not -len(elements) <= index < len(elements):
        raise JsonPathError(
            f"JSONPath {text!r} selects index {index}, but the record has {len(elements)} columns"
        )
    return elements[index]


def _inclusive_slice(elements: list[Any], piece: Slice) -> list[Any]:
    size = len(elements)
    start = 0 if piece.start is None else piece.start
    end = size - 1 if piece.end is None else piece.end
    if start < 0:
        start += size
    if end < 0:
        end += size
    return elements[max(0, start) : min(size, end + 1)]
