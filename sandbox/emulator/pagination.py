"""NextToken paging shared by the List* operations."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

from .exceptions import ValidationException

T = TypeVar("T")


def paginate(
    items: Sequence[T], next_token: str | None, max_results: int | None, default: int = 10
) -> tuple[list[T], str | None]:
    """Return one page of items and the token of the next page, if any."""
    start = _decode(next_token)
    size = max_results or default
    page = list(items[start : start + size])
    end = start + size
    token = _encode(end) if end < len(items) else None
    return page, token


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        label, _, offset = text.partition(":")
        if label != "offset":
            raise ValueError(label)
        return int(offset)
    except (ValueError, UnicodeDecodeError):
        raise ValidationException(f"Invalid pagination token: {token}") from None


def filter_by_time(
    items: Sequence[Any], request: dict[str, Any], attribute: str, prefix: str
) -> list[Any]:
    """Apply <prefix>After / <prefix>Before filters of a List request to a datetime attribute."""
    after = request.get(f"{prefix}After")
    before = request.get(f"{prefix}Before")
    kept = []
    for item in items:
        value = getattr(item, attribute)
        if after is not None and value <= after:
            continue
        if before is not None and value >= before:
            continue
        kept.append(item)
    return kept
