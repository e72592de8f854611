"""Training channels: content types, data files and the loaders behind a DMatrix.

Messages name paths as they are inside the container (``/opt/ml/input/data/<channel>``)
because that is what real FailureReasons show.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import scipy.sparse
import xgboost as xgb

from sandbox.algorithms.xgboost import recordio
from sandbox.algorithms.xgboost.errors import UserError

CSV = "csv"
LIBSVM = "libsvm"
PARQUET = "parquet"
RECORDIO_PROTOBUF = "recordio-protobuf"

ACCEPTED_CONTENT_TYPES = (
    "csv",
    "libsvm",
    "parquet",
    "recordio-protobuf",
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-parquet",
    "application/x-recordio-protobuf",
)
_FORMATS = {
    "csv": CSV,
    "text/csv": CSV,
    "libsvm": LIBSVM,
    "text/libsvm": LIBSVM,
    "text/x-libsvm": LIBSVM,
    "parquet": PARQUET,
    "application/x-parquet": PARQUET,
    "recordio-protobuf": RECORDIO_PROTOBUF,
    "application/x-recordio-protobuf": RECORDIO_PROTOBUF,
}
MAX_FOLDER_DEPTH = 3
COLUMN_COUNT_BLOCK_BYTES = 16 * 1024**2
# Arrow's CSV reader takes about 0.2 ms even for 4 KB, where the field-by-field parse
# takes 0.1 ms. At 16 KB Arrow is faster (0.2 against 0.4 ms, measured on 2 cores).
FAST_PAYLOAD_MIN_BYTES = 16 * 1024
# Delimiters whose payloads Arrow reads exactly as splitting each line on them does.
FAST_PAYLOAD_DELIMITERS = (",", "\t", ";", "|", ":")
# Bytes of payloads that Arrow may read: digits, signs, points, exponents, delimiters,
# spaces and newlines. Words such as TRUE, nan or inf are left to the field-by-field parse,
# because Arrow and Python's float() do not accept the same words.
_PLAIN_NUMBER_BYTES = b"0123456789+-.eE \n" + "".join(FAST_PAYLOAD_DELIMITERS).encode()
CONTAINER_DATA_DIR = "/opt/ml/input/data"
NO_LABELS_MESSAGE = (
    "Got input data without labels. Please check the input data set. If training job is "
    "running on multiple instances, please switch to using single instance if number of "
    "records in the data set is less than number of workers (16 * number of instance) in "
    "the cluster."
)


def invalid_content_type_message(content_type: str) -> str:
    """Return the container's message for a ContentType it does not accept."""
    return f"{content_type} is not an accepted ContentType: {', '.join(ACCEPTED_CONTENT_TYPES)}."


def parse_content_type(content_type: str | None) -> str:
    """Map a channel or request ContentType to csv, libsvm, parquet or recordio-protobuf.

    A missing ContentType means libsvm. Parameters after ``;`` are allowed, but
    a CSV ``label_size`` must be 1.
    """
    if content_type is None:
        return LIBSVM
    media_type, _, parameter_text = content_type.lower().partition(";")
    media_type = media_type.strip()
    parameters = dict(
        (part.split("=", 1)[0].strip(), part.split("=", 1)[1].strip().strip('"'))
        for part in parameter_text.split(";")
        if "=" in part
    )
    data_format = _FORMATS.get(media_type)
    if data_format is None:
        raise UserError(invalid_content_type_message(content_type))
    if data_format == CSV and parameters.get("label_size", "1") != "1":
        raise UserError(
            f"{content_type} is not an accepted csv ContentType. "
            "Optional parameter label_size must be equal to 1"
        )
    return data_format


@dataclass(frozen=True)
class ChannelFiles:
    """The data files of one channel, in a stable order."""

    name: str
    container_path: str
    files: tuple[Path, ...]
    total_size: int


def list_channel_files(root: Path, channel: str, warn: Callable[[str], None]) -> ChannelFiles:
    """List the data files of a channel folder, as the container selects them.

    Any hidden file fails the job. Files whose names start with ``_`` are
    skipped, and files more than three folder levels deep are ignored.
    """
    container_path = f"{CONTAINER_DATA_DIR}/{channel}"
    total_size = 0
    files = []
    too_deep = False
    for folder, _, names in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts) + 1
        for name in sorted(names):
            if name.startswith("."):
                raise UserError("Hidden file found in the data path! Remove that before training.")
            path = Path(folder) / name
            total_size += path.stat().st_size
            if depth > MAX_FOLDER_DEPTH:
                too_deep = True
            elif not name.startswith("_"):
                files.append(path)
    if too_deep:
        warn(
            f"The depth of folder {container_path} exceed the limit {MAX_FOLDER_DEPTH}. Files in "
            "deeper sub dirs won't be loaded. Please adjust the folder structure accordingly."
        )
    return ChannelFiles(channel, container_path, tuple(sorted(files)), total_size)


def _invalid_format_message(line: str, file_name: str, label: str) -> str:
    return (
        f"First line '{line[:50]}...' of file '{file_name}' is not '{label}' format. "
        f"Please ensure the file is in '{label}' format."
    )


def sniff_delimiter(line: str) -> str:
    """Return the CSV delimiter of ``line``, or raise the container's UserError."""
    try:
        return csv.Sniffer().sniff(line).delimiter
    except csv.Error as error:
        raise UserError(f"Could not determine delimiter on line {line[:50]}:\n{error}") from error


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return field.strip() == ""
    return True


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def load_csv(channel: ChannelFiles, csv_weights: int, info: Callable[[str], None]) -> xgb.DMatrix:
    """Load CSV files: label in column 0, weight in column 1 when csv_weights is 1.

    Files are parsed by pandas' C reader into float32, which is what XGBoost stores, so a
    large channel costs about one copy of its numbers in memory.
    """
    raws = [path.read_bytes() for path in channel.files]
    first_lines = [_first_line(raw) for raw in raws]
    delimiter = sniff_delimiter(first_lines[0]) if first_lines else ","
    info(f"Determined delimiter of CSV input is '{delimiter}'")
    for path, line in zip(channel.files, first_lines, strict=True):
        if not all(_is_number(field) for field in line.split(delimiter)):
            raise UserError(_invalid_format_message(line, path.name, "CSV"))

    tables = []
    width: int | None = None
    for path, raw in zip(channel.files, raws, strict=True):
        width = _check_column_counts(raw, delimiter, path.name, width)
        if raw.strip():
            tables.append(_parse_csv(raw, delimiter, path.name))
    if not tables:
        return xgb.DMatrix(np.empty((0, 0)))

    data = np.vstack(tables) if len(tables) > 1 else tables[0]
    first_feature = 2 if csv_weights == 1 else 1
    weight = data[:, 1] if csv_weights == 1 else None
    return xgb.DMatrix(data[:, first_feature:], label=data[:, 0], weight=weight, missing=np.nan)


def _first_line(raw: bytes) -> str:
    return raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")


def _check_column_counts(
    raw: bytes, delimiter: str, file_name: str, width: int | None
) -> int | None:
    """Raise UserError at the first non-blank line whose column count differs from the first."""
    columns = _line_column_counts(np.frombuffer(raw, dtype=np.uint8), ord(delimiter))
    if columns.size == 0:
        return width
    width = width or int(columns[0])
    mismatched = np.flatnonzero(columns != width)
    if mismatched.size:
        number = int(mismatched[0]) + 1
        raise UserError(
            "Failed to load csv data with exception:\n"
            f"Line {number} of file '{file_name}' has {int(columns[mismatched[0]])} columns, but "
            f"the data before it has {width}. Every row needs the same number of columns."
        )
    return width


def _line_column_counts(data: np.ndarray, delimiter: int) -> np.ndarray:
    """Return the column count of each non-blank line (a lone "\\r" counts as blank).

    Delimiters are located one block of lines at a time, so their positions (8 bytes each)
    cover at most COLUMN_COUNT_BLOCK_BYTES of the file instead of the whole file at once.
    """
    ends = np.flatnonzero(data == ord("\n"))
    if data.size and data[-1] != ord("\n"):
        ends = np.append(ends, data.size)
    starts = np.concatenate(([0], ends[:-1] + 1)) if ends.size else np.empty(0, dtype=np.int64)
    counts = np.empty(ends.size, dtype=np.int64)
    first_line = 0
    while first_line < ends.size:
        block_start = starts[first_line]
        last_line = int(np.searchsorted(ends, block_start + COLUMN_COUNT_BLOCK_BYTES))
        last_line = min(max(last_line, first_line + 1), ends.size)
        block = data[block_start : ends[last_line - 1]]
        positions = np.flatnonzero(block == delimiter) + block_start
        boundaries = np.searchsorted(positions, ends[first_line:last_line])
        counts[first_line:last_line] = np.diff(boundaries, prepend=0) + 1
        first_line = last_line

    lengths = ends - starts
    blank = lengths == 0
    single = np.flatnonzero(lengths == 1)
    blank[single] = data[starts[single]] == ord("\r")
    return counts[~blank]


def _parse_csv(raw: bytes, delimiter: str, file_name: str) -> np.ndarray:
    try:
        frame = pd.read_csv(
            io.BytesIO(raw), header=None, sep=delimiter, dtype=np.float32, engine="c"
        )
    except ValueError as error:
        raise UserError(f"Failed to load csv data with exception:\n{file_name}: {error}") from error
    return frame.to_numpy(dtype=np.float32, copy=False)


def _validate_libsvm_line(line: str, file_name: str) -> None:
    tokens = line.split()
    label_parts = tokens[0].split(":") if tokens else [""]
    valid = len(label_parts) <= 2 and all(_is_number(part) and part for part in label_parts)
    valid = valid and all(len(token.split(":")) == 2 for token in tokens[1:])
    if not valid:
        raise UserError(_invalid_format_message(line, file_name, "LIBSVM"))


def parse_libsvm_lines(
    lines: list[str],
) -> tuple[scipy.sparse.csr_matrix, np.ndarray, np.ndarray | None]:
    """Parse LIBSVM rows into (features, labels, weights or None).

    Indices are shifted to 0-based when no index 0 appears, as XGBoost's
    LIBSVM parser does in its default indexing mode.
    """
    labels, weights, rows, columns, values = [], [], [], [], []
    for row, line in enumerate(lines):
        tokens = line.split("#", 1)[0].split()
        label, _, weight = tokens[0].partition(":")
        labels.append(float(label))
        weights.append(float(weight) if weight else 1.0)
        for token in tokens[1:]:
            index, _, value = token.partition(":")
            if index == "qid":
                continue
            rows.append(row)
            columns.append(int(index))
            values.append(float(value))
    column_array = np.asarray(columns, dtype=np.int64)
    if column_array.size and column_array.min() >= 1:
        column_array -= 1
    width = int(column_array.max()) + 1 if column_array.size else 0
    matrix = scipy.sparse.csr_matrix((values, (rows, column_array)), shape=(len(lines), width))
    has_weights = any(weight != 1.0 for weight in weights)
    return matrix, np.asarray(labels), np.asarray(weights) if has_weights else None


def load_libsvm(channel: ChannelFiles) -> xgb.DMatrix:
    """Load LIBSVM files: ``<label>[:<weight>] <index>:<value> ...`` per line."""
    lines = []
    for path in channel.files:
        file_lines = [line for line in _read_text(path).splitlines() if line.strip()]
        first = next((line for line in file_lines if len(line.split()) > 1), None)
        if file_lines:
            _validate_libsvm_line(first or file_lines[0], path.name)
        lines.extend(file_lines)
    try:
        matrix, labels, weights = parse_libsvm_lines(lines)
    except ValueError as error:
        raise UserError(f"Failed to load libsvm data with exception:\n{error}") from error
    return xgb.DMatrix(matrix, label=labels, weight=weights)


def load_parquet(channel: ChannelFiles) -> xgb.DMatrix:
    """Load Parquet files: the first column is the label, the others are features."""
    try:
        tables = [pq.read_table(path) for path in channel.files]
        data = pa.concat_tables(tables).to_pandas().to_numpy(dtype=np.float64)
    except (pa.ArrowException, ValueError, TypeError) as error:
        raise UserError(f"Failed to load parquet data with exception:\n{error}") from error
    return xgb.DMatrix(data[:, 1:], label=data[:, 0])


def load_recordio_protobuf(channel: ChannelFiles) -> xgb.DMatrix:
    """Load RecordIO-protobuf files: ``values`` feature and label tensors."""
    try:
        records = [
            record for path in channel.files for record in recordio.read_records(path.read_bytes())
        ]
        features, labels = recordio.to_arrays(records)
    except ValueError as error:
        raise UserError(
            f"Failed to load recordio-protobuf data with exception:\n{error}"
        ) from error
    return xgb.DMatrix(features, label=labels if labels.size else None)


def load_channel(
    channel: ChannelFiles, data_format: str, csv_weights: int, info: Callable[[str], None]
) -> xgb.DMatrix:
    """Load one channel's files into a DMatrix and check that it has labels."""
    if data_format == CSV:
        dmatrix = load_csv(channel, csv_weights, info)
    elif data_format == LIBSVM:
        dmatrix = load_libsvm(channel)
    elif data_format == PARQUET:
        dmatrix = load_parquet(channel)
    else:
        dmatrix = load_recordio_protobuf(channel)
    if dmatrix.get_label().size == 0:
        raise UserError(NO_LABELS_MESSAGE)
    return dmatrix


def read_csv_payload(raw: bytes) -> np.ndarray:
    """Parse an inference CSV payload: no label column, empty fields become NaN.

    Large payloads whose rows have the same number of fields on a common delimiter go
    through Arrow's CSV reader, straight from the bytes. Anything else (small payloads,
    ragged rows, carriage returns, fields Arrow cannot read) is decoded as UTF-8 and goes
    through a field-by-field parse, which also raises the container's ValueError messages.
    """
    # 512 characters take at most 2,048 bytes of UTF-8.
    first_line = raw[:2048].decode("utf-8", errors="ignore")[:512].split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line).delimiter
    except csv.Error:
        delimiter = ","
    if delimiter.isalnum():
        delimiter = ","
    large = len(raw) >= FAST_PAYLOAD_MIN_BYTES
    if large and delimiter in FAST_PAYLOAD_DELIMITERS and b"\r" not in raw:
        table = _read_rectangular_payload(raw, delimiter)
        if table is not None:
            return table
    text = raw.decode("utf-8")
    rows = [
        [field if field != "" else "nan" for field in line.split(delimiter)]
        for line in text.split("\n")
    ]
    return np.array(rows, dtype=np.float64)


def _read_rectangular_payload(raw: bytes, delimiter: str) -> np.ndarray | None:
    """Return the payload as float64 when every line has the same field count, else None."""
    if raw.translate(None, _PLAIN_NUMBER_BYTES):
        return None
    first_line_end = raw.find(b"\n")
    fields = (
        raw.count(delimiter.encode(), 0, first_line_end if first_line_end >= 0 else len(raw)) + 1
    )
    # numpy counts a byte several times faster than bytes.count on a large payload.
    lines = int(np.count_nonzero(np.frombuffer(raw, dtype=np.uint8) == ord("\n"))) + 1

    # Arrow rejects a row whose field count differs from the first row's, and parses
    # numbers with correct rounding, as Python's float() does. One thread, as the
    # predictions are computed on.
    try:
        table = pyarrow.csv.read_csv(
            pa.py_buffer(raw),
            read_options=pyarrow.csv.ReadOptions(autogenerate_column_names=True, use_threads=False),
            parse_options=pyarrow.csv.ParseOptions(
                delimiter=delimiter, quote_char=False, ignore_empty_lines=False
            ),
            convert_options=pyarrow.csv.ConvertOptions(
                column_types=[(f"f{index}", pa.float64()) for index in range(fields)],
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.shape != (lines, fields):
        return None
    return np.column_stack(
        [column.to_numpy(zero_copy_only=False) for column in table.columns]
    ).astype(np.float64, copy=False)
