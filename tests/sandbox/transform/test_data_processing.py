"""The JSONPath subset and the join rules of DataProcessing, on plain records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sandbox.emulator.transform.jsonpath import JsonPathError, parse
from sandbox.emulator.transform.records import (
    DataProcessing,
    RecordError,
    pack,
    pack_lines,
    split_records,
)

COLUMNS = ["c0", "c1", "c2", "c3", "c4"]


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("$", COLUMNS),
        ("$[1:3]", ["c1", "c2", "c3"]),
        ("$[1:]", ["c1", "c2", "c3", "c4"]),
        ("$[:1]", ["c0", "c1"]),
        ("$[0,-1]", ["c0", "c4"]),
        ("$[0,3:]", ["c0", "c3", "c4"]),
        ("$[2]", "c2"),
        ("$[-2]", "c3"),
        ("$[*]", COLUMNS),
    ],
)
def test_array_selection_is_inclusive(path, selected):
    assert parse(path).apply(COLUMNS) == selected


def test_object_selection():
    record = {"id": 7, "features": [1, 2], "nested": {"a": 1}}

    assert parse("$.features").apply(record) == [1, 2]
    assert parse("$.nested.a").apply(record) == 1
    assert parse("$['id','features']").apply(record) == {"id": 7, "features": [1, 2]}
    assert parse("$.features[1]").apply(record) == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("features", "JSONPath 'features' must start with '$'"),
        ("$[5]", "JSONPath '$[5]' selects index 5, but the record has 5 columns"),
        ("$.id", "JSONPath '$.id' selects key 'id', which the record lacks"),
        (
            "$[a:b]",
            "JSONPath '$[a:b]' has an unsupported bracket [a:b]: use indices, "
            "inclusive slices such as [1:3], or quoted names such as ['a','b']",
        ),
    ],
)
def test_bad_paths_name_the_problem(path, message):
    with pytest.raises(JsonPathError) as excinfo:
        parse(path).apply(COLUMNS)

    assert str(excinfo.value) == message


def test_csv_join_and_output_filter():
    processing = DataProcessing.from_request(
        {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}, "text/csv"
    )
    assert processing is not None

    parsed, payload = processing.model_input(b"id-1,0.5,0.25")

    assert payload == b"0.5,0.25"
    assert processing.output(parsed, "0.75") == "id-1,0.75"


def test_json_join_adds_sagemaker_output():
    processing = DataProcessing.from_request(
        {
            "InputFilter": "$.features",
            "JoinSource": "Input",
            "OutputFilter": "$['id','SageMakerOutput']",
        },
        "application/jsonlines",
    )
    assert processing is not None

    parsed, payload = processing.model_input(b'{"id": 3, "features": [1, 2]}')
    output = json.loads(processing.output(parsed, "0.5"))

    assert json.loads(payload) == [1, 2]
    assert output == {"id": 3, "SageMakerOutput": 0.5}


def test_json_join_wraps_non_object_input():
    processing = DataProcessing.from_request({"JoinSource": "Input"}, "application/json")
    assert processing is not None

    parsed, _ = processing.model_input(b"[1, 2]")

    assert json.loads(processing.output(parsed, "0.5")) == {
        "SageMakerInput": [1, 2],
        "SageMakerOutput": 0.5,
    }


def test_default_processing_is_none():
    assert (
        DataProcessing.from_request({"InputFilter": "$", "JoinSource": "None"}, "text/csv") is None
    )


def test_split_and_pack_respect_the_payload_limit():
    records = split_records(b"aaa\r\n\nbbb\nccc\n", "Line")

    assert records == [b"aaa", b"bbb", b"ccc"]
    assert list(pack(records, multi_record=True, max_bytes=7)) == [[b"aaa", b"bbb"], [b"ccc"]]
    assert list(pack(records, multi_record=False, max_bytes=7)) == [[b"aaa"], [b"bbb"], [b"ccc"]]
    assert split_records(b"whole\nobject", "None") == [b"whole\nobject"]


def test_split_drops_whitespace_only_lines():
    records = split_records(b"1,2\n \n\t3,4\n\x0c\n5,6 \r\n", "Line")

    assert records == [b"1,2", b"\t3,4", b"5,6 "]


def test_pack_fills_batches_up_to_the_limit():
    records = [b"a" * 3, b"b" * 2, b"c" * 4, b"d", b"e" * 5]

    assert list(pack(records, multi_record=True, max_bytes=6)) == [
        [b"aaa", b"bb"],
        [b"cccc", b"d"],
        [b"eeeee"],
    ]
    assert list(pack(records, multi_record=True, max_bytes=100)) == [records]


def test_pack_rejects_an_oversized_record():
    with pytest.raises(RecordError) as raised:
        list(pack([b"ab", b"abcdef"], multi_record=True, max_bytes=5))

    assert str(raised.value) == (
        "A record of 6 bytes exceeds MaxPayloadInMB (5 bytes): raise MaxPayloadInMB, or set "
        "SplitType to Line so that each line is a record."
    )


def joined_batches(data: bytes, max_bytes: int) -> list[bytes]:
    """Return the payloads of split_records and pack, the general path."""
    records = split_records(data, "Line")
    return [b"\n".join(batch) for batch in pack(records, multi_record=True, max_bytes=max_bytes)]


def test_pack_lines_matches_split_and_pack():
    rng = np.random.default_rng(3)
    for _ in range(300):
        count = int(rng.integers(1, 60))
        lines = [b"x" * int(length) for length in rng.integers(1, 12, size=count)]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        max_bytes = int(rng.integers(11, 80))

        assert pack_lines(data, max_bytes) == joined_batches(data, max_bytes)


@pytest.mark.parametrize(
    "data",
    [b"", b"\n1,2\n", b"1,2\n\n3,4\n", b"1,2\n3,4\n\n", b"1,2\r\n3,4\n", b"1, 2\n", b"1\t2\n"],
)
def test_pack_lines_leaves_blank_lines_and_whitespace(data: bytes):
    assert pack_lines(data, 100) is None


def test_pack_lines_rejects_an_oversized_record():
    with pytest.raises(RecordError) as raised:
        pack_lines(b"ab\nabcdef\n", 5)

    assert str(raised.value) == (
        "A record of 6 bytes exceeds MaxPayloadInMB (5 bytes): raise MaxPayloadInMB, "
        "or set SplitType to Line so that each line is a record."
    )
