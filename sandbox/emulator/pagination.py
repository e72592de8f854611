"""NextToken paging shared by the List* operations."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
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


def list_jobs(
    jobs: Iterable[Any],
    request: dict[str, Any],
    *,
    summaries_key: str,
    sort_keys: dict[str, Any],
    default_sort: str,
    default_order: str,
) -> dict[str, Any]:
    """Build a List*Jobs response: name, status and time filters, sort, then one page.

    Each job needs `name`, `status` (an enum whose value is the API string),
    `creation_time`, `last_modified_time` and `summary()`.
    """
    selected = list(jobs)
    if request.get("NameContains"):
        needle = request["NameContains"].lower()
        selected = [job for job in selected if needle in job.name.lower()]
    if request.get("StatusEquals"):
        selected = [job for job in selected if job.status.value == request["StatusEquals"]]
    selected = filter_by_time(selected, request, "creation_time", "CreationTime")
    selected = filter_by_time(selected, request, "last_modified_time", "LastModifiedTime")

    descending = request.get("SortOrder", default_order) == "Descending"
    selected.sort(key=sort_keys[request.get("SortBy", default_sort)], reverse=descending)
    page, token = paginate(selected, request.get("NextToken"), request.get("MaxResults"))
    response: dict[str, Any] = {summaries_key: [job.summary() for job in page]}
    if token:
        response["NextToken"] = token
    return response
