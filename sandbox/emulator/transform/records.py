"""Split input objects into records, pack records into requests, join and filter outputs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .jsonpath import JsonPath, JsonPathError, parse

CSV_TYPE = "text/csv"
JSON_TYPES = ("application/json", "application/jsonlines")
PROCESSING_TYPES = (CSV_TYPE, *JSON_TYPES)
OUTPUT_KEY = "SageMakerOutput"
INPUT_KEY = "SageMakerInput"


class RecordError(ValueError):
    """An input object cannot be split, packed or joined with the job's settings."""


def split_records(data: bytes, split_type: str) -> list[bytes]:
    """Return the records of one object: the whole object, or its non-blank lines."""
    if split_type == "None":
        return [data] if data else []
    records = []
    for line in data.split(b"\n"):
        line = line.rstrip(b"\r")
        if line.strip():
            records.append(line)
    return records


def pack(records: list[bytes], *, multi_record: bool, max_bytes: int) -> Iterator[list[bytes]]:
    """Yield mini-batches: one record each, or as many as fit in `max_bytes` joined by newlines."""
    batch: list[bytes] = []
    size = 0
    for record in records:
        if len(record) > max_bytes:
            raise RecordError(
                f"A record of {len(record)} bytes exceeds MaxPayloadInMB ({max_bytes} bytes): "
                "raise MaxPayloadInMB, or set SplitType to Line so that each line is a record."
            )
        if not multi_record:
            yield [record]
            continue
        added = len(record) + (1 if batch else 0)
        if batch and size + added > max_bytes:
            yield batch
            batch, size = [], 0
            added = len(record)
        batch.append(record)
        size += added
    if batch:
        yield batch


def response_records(body: bytes, expected: int) -> list[str]:
    """Split a batch response into one prediction line per input record."""
    lines = body.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != expected:
        raise RecordError(
            f"The model returned {len(lines)} predictions for {expected} records, so outputs "
            "cannot be joined to their inputs."
        )
    return lines


@dataclass(frozen=True)
class DataProcessing:
    """InputFilter, JoinSource and OutputFilter of a transform job, for one content type."""

    input_filter: JsonPath
    output_filter: JsonPath
    join_input: bool
    json_records: bool

    @classmethod
    def from_request(
        cls, config: dict[str, Any] | None, content_type: str | None
    ) -> DataProcessing | None:
        """Return the processing steps, or None when the request sets none."""
        config = config or {}
        input_filter = parse(config.get("InputFilter", "$"))
        output_filter = parse(config.get("OutputFilter", "$"))
        join_input = config.get("JoinSource", "None") == "Input"
        if input_filter.is_root and output_filter.is_root and not join_input:
            return None
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        return cls(input_filter, output_filter, join_input, media_type in JSON_TYPES)

    def model_input(self, record: bytes) -> tuple[Any, bytes]:
        """Parse a record and return it with the filtered payload for the model."""
        text = record.decode("utf-8")
        parsed: Any = json.loads(text) if self.json_records else _csv_columns(text)
        selected = self.input_filter.apply(parsed)
        if self.json_records:
            return parsed, json.dumps(selected).encode("utf-8")
        return parsed, _csv_line(selected).encode("utf-8")

    def output(self, parsed_input: Any, prediction: str) -> str:
        """Join a record's prediction to its input if asked, then apply the OutputFilter."""
        if self.json_records:
            return json.dumps(self.output_filter.apply(self._joined_json(parsed_input, prediction)))
        columns = _csv_columns(prediction)
        joined = list(parsed_input) + columns if self.join_input else columns
        return _csv_line(self.output_filter.apply(joined))

    def _joined_json(self, parsed_input: Any, prediction: str) -> Any:
        try:
            value: Any = json.loads(prediction)
        except ValueError:
            value = prediction
        if not self.join_input:
            return value
        if isinstance(parsed_input, dict):
            if OUTPUT_KEY in parsed_input:
                raise RecordError(
                    f"An input record already contains the key {OUTPUT_KEY}, which JoinSource "
                    "Input adds: rename that key in the input."
                )
            return {**parsed_input, OUTPUT_KEY: value}
        return {INPUT_KEY: parsed_input, OUTPUT_KEY: value}


def _csv_columns(text: str) -> list[str]:
    return next(csv.reader([text]), [])


def _csv_line(value: Any) -> str:
    if not isinstance(value, list):
        return str(value)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(value)
    return buffer.getvalue()


__all__ = [
    "PROCESSING_TYPES",
    "DataProcessing",
    "JsonPathError",
    "RecordError",
    "pack",
    "response_records",
    "split_records",
]
