"""RecordIO-protobuf, the SageMaker ``Record`` message in RecordIO framing.

Each record is a little-endian uint32 magic ``0xCED7230A``, a uint32 whose low
29 bits are the payload length, the payload, and zero padding to 4 bytes. The
payload is the protobuf message of SageMaker's record.proto::

    Record { map<string, Value> features = 1; map<string, Value> label = 2; ... }
    Value  { Float32Tensor float32_tensor = 2; Float64Tensor float64_tensor = 3;
             Int32Tensor int32_tensor = 7; Bytes bytes = 9; }
    *Tensor { repeated values = 1 [packed]; repeated uint64 keys = 2 [packed];
              repeated uint64 shape = 3 [packed]; }

Dense tensors and sparse ones (``keys`` plus ``shape``) are read. The codec is
written against the wire format so that no protobuf package is needed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

MAGIC = 0xCED7230A
_LENGTH_MASK = (1 << 29) - 1
_TENSOR_TYPES = {2: "<f", 3: "<d", 7: "int32"}


@dataclass
class Tensor:
    """A decoded tensor: values, and for a sparse tensor its keys and shape."""

    values: list[float] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    shape: list[int] = field(default_factory=list)

    def dense(self, width: int | None = None) -> np.ndarray:
        """Return the tensor as a flat float array, filling sparse gaps with NaN."""
        if not self.keys:
            return np.asarray(self.values, dtype=np.float64)
        if width is not None:
            size = width
        elif self.shape:
            size = self.shape[0]
        else:
            size = max(self.keys) + 1
        row = np.full(size, np.nan)
        row[np.asarray(self.keys, dtype=np.int64)] = self.values
        return row


@dataclass
class Record:
    """One Record message: named feature tensors and named label tensors."""

    features: dict[str, Tensor] = field(default_factory=dict)
    label: dict[str, Tensor] = field(default_factory=dict)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated varint in protobuf payload")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(data, position)
            yield number, wire_type, value
        elif wire_type == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ValueError("truncated length-delimited field in protobuf payload")
            yield number, wire_type, data[position : position + length]
            position += length
        elif wire_type == 5:
            yield number, wire_type, data[position : position + 4]
            position += 4
        elif wire_type == 1:
            yield number, wire_type, data[position : position + 8]
            position += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")


def _packed_varints(data: bytes) -> list[int]:
    values = []
    position = 0
    while position < len(data):
        value, position = _varint(data, position)
        values.append(value)
    return values


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _tensor(kind: int, data: bytes) -> Tensor:
    tensor = Tensor()
    for number, _, value in _fields(data):
        if number == 1 and kind == 7:
            raw = _packed_varints(value) if isinstance(value, bytes) else [value]
            tensor.values.extend(float(_signed32(item)) for item in raw)
        elif number == 1:
            fmt = _TENSOR_TYPES[kind]
            size = struct.calcsize(fmt)
            assert isinstance(value, bytes)
            tensor.values.extend(
                x for (x,) in struct.iter_unpack(fmt, value[: len(value) // size * size])
            )
        elif number in (2, 3):
            items = _packed_varints(value) if isinstance(value, bytes) else [value]
            (tensor.keys if number == 2 else tensor.shape).extend(items)
    return tensor


def _value(data: bytes) -> Tensor:
    for number, _, value in _fields(data):
        if number in _TENSOR_TYPES and isinstance(value, bytes):
            return _tensor(number, value)
        if number == 9:
            raise ValueError("Bytes values are not supported: use float32 tensors")
    return Tensor()


def _map_entry(data: bytes) -> tuple[str, Tensor]:
    key = ""
    tensor = Tensor()
    for number, _, value in _fields(data):
        if number == 1 and isinstance(value, bytes):
            key = value.decode("utf-8")
        elif number == 2 and isinstance(value, bytes):
            tensor = _value(value)
    return key, tensor


def decode_record(payload: bytes) -> Record:
    """Decode one Record protobuf message."""
    record = Record()
    for number, _, value in _fields(payload):
        if number in (1, 2) and isinstance(value, bytes):
            key, tensor = _map_entry(value)
            (record.features if number == 1 else record.label)[key] = tensor
    return record


def read_records(data: bytes) -> Iterator[Record]:
    """Yield the records of a RecordIO stream; raise ValueError on bad framing."""
    position = 0
    while position < len(data):
        if position + 8 > len(data):
            raise ValueError(f"truncated RecordIO header at byte {position}")
        magic, header = struct.unpack_from("<II", data, position)
        if magic != MAGIC:
            raise ValueError(f"invalid RecordIO magic number {magic:#x} at byte {position}")
        length = header & _LENGTH_MASK
        start = position + 8
        if start + length > len(data):
            raise ValueError(f"truncated RecordIO record at byte {position}")
        yield decode_record(data[start : start + length])
        position = start + length + (-length % 4)


def to_arrays(records: Sequence[Record]) -> tuple[np.ndarray, np.ndarray]:
    """Stack the ``values`` feature and label tensors into (features, labels)."""
    if not records:
        return np.empty((0, 0)), np.empty(0)
    widths = [
        tensor.shape[0] for r in records if (tensor := r.features.get("values")) and tensor.shape
    ]
    width = max(widths) if widths else None
    rows = []
    for index, record in enumerate(records):
        tensor = record.features.get("values")
        if tensor is None:
            raise ValueError(f"record {index} has no 'values' feature tensor")
        rows.append(tensor.dense(width))
    if len({row.size for row in rows}) > 1:
        raise ValueError("records have different numbers of features")
    labels = [value for r in records if (t := r.label.get("values")) for value in t.values]
    return np.vstack(rows), np.asarray(labels, dtype=np.float64)


# Encoding: used for application/x-recordio-protobuf responses.


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def encode_record(
    features: Mapping[str, Sequence[float]], label: Mapping[str, Sequence[float]]
) -> bytes:
    """Encode a Record whose tensors are dense float32 values."""
    message = b""
    for number, mapping in ((1, features), (2, label)):
        for key, values in mapping.items():
            packed = struct.pack(f"<{len(values)}f", *values)
            tensor = _length_delimited(1, packed)
            value = _length_delimited(2, tensor)
            entry = _length_delimited(1, key.encode("utf-8")) + _length_delimited(2, value)
            message += _length_delimited(number, entry)
    return message


def frame(payload: bytes) -> bytes:
    """Wrap one payload in RecordIO framing."""
    return struct.pack("<II", MAGIC, len(payload)) + payload + b"\0" * (-len(payload) % 4)
