"""Server-side checks of a request against the constraints in botocore's service model.

botocore validates only required members, types and minimums on the client; the service
itself rejects values that break a `max` length, a `pattern` or an `enum`. This module
walks the operation's input shape the same way and reports every violation in the
standard AWS form ("1 validation error detected: Value 'x' at 'trainingJobName' failed
to satisfy constraint: ...").
"""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from .exceptions import ValidationException

MAX_REPORTED = 10


@functools.lru_cache(maxsize=4)
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@functools.lru_cache(maxsize=256)
def _operation(service: str, operation: str) -> OperationModel:
    return _service_model(service).operation_model(operation)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """Compile a service-model pattern, or None if it uses Java-only syntax.

    NOTE: patterns with Java classes such as \\p{L} (some tag and ARN members) are not
    checked, because Python's re cannot compile them.
    """
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def check_request(operation: str, params: dict[str, Any], service: str = "sagemaker") -> None:
    """Raise ValidationException listing each length, pattern or enum violation in params."""
    shape = _operation(service, operation).input_shape
    violations: list[str] = []
    if shape is not None:
        _check_structure(shape, params, "", violations)
    if violations:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        detail = "; ".join(violations[:MAX_REPORTED])
        raise ValidationException(f"{count} validation {noun} detected: {detail}")


def _member_path(parent: str, name: str) -> str:
    camel = name[:1].lower() + name[1:]
    return f"{parent}.{camel}" if parent else camel


def _check(shape: Shape, value: Any, path: str, violations: list[str]) -> None:
    if value is None:
        return
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        _check_structure(shape, value, path, violations)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        _check_length(shape, value, path, violations)
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", violations)
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        _check_length(shape, value, path, violations)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.{key}.key", violations)
            _check(shape.value, item, f"{path}.{key}.value", violations)
    elif isinstance(value, str):
        _check_string(shape, value, path, violations)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(shape, value, path, violations)


def _check_structure(
    shape: StructureShape, value: dict[str, Any], path: str, violations: list[str]
) -> None:
    for name, member in shape.members.items():
        if name in value:
            _check(member, value[name], _member_path(path, name), violations)


def _check_length(shape: Shape, value: Any, path: str, violations: list[str]) -> None:
    maximum = shape.metadata.get("max")
    if maximum is not None and len(value) > maximum:
        violations.append(
            _violation(value, path, f"Member must have length less than or equal to {maximum}")
        )


def _check_string(shape: Shape, value: str, path: str, violations: list[str]) -> None:
    enum = shape.enum
    if enum and value not in enum:
        violations.append(
            _violation(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        )
        return
    _check_length(shape, value, path, violations)
    pattern = shape.metadata.get("pattern")
    compiled = _compiled(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        violations.append(
            _violation(value, path, f"Member must satisfy regular expression pattern: {pattern}")
        )


def _check_number(shape: Shape, value: float, path: str, violations: list[str]) -> None:
    maximum = shape.metadata.get("max")
    if maximum is not None and value > maximum:
        violations.append(
            _violation(value, path, f"Member must have value less than or equal to {maximum}")
        )


def _violation(value: Any, path: str, constraint: str) -> str:
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
