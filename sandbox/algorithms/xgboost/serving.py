"""Inference of the built-in XGBoost container (the single-model Flask path).

The server checks a request in the container's order and stops at the first
problem: body size (413), empty body (204), payload parsing (415), prediction
(400), Accept (406) and response encoding (500).
"""

from __future__ import annotations

import io
import json
import logging
import os
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import scipy.sparse
import xgboost as xgb

from sandbox.algorithms.xgboost import data, recordio
from sandbox.algorithms.xgboost.errors import ModelLoadError, UserError
from sandbox.algorithms.xgboost.selectable import encode_selected, selected_keys

logger = logging.getLogger(__name__)

SUPPORTED_ACCEPTS = [
    "application/json",
    "application/jsonlines",
    "application/x-recordio-protobuf",
    "text/csv",
]
DEFAULT_MAX_CONTENT_LENGTH = 6291456
MAX_PAYLOAD_LIMIT = 20 * 1024**2
# Flask's default mimetype for plain responses, as the container sends its errors.
ERROR_CONTENT_TYPE = "text/html; charset=utf-8"
PICKLE_PROTOCOL_MARKER = 0x80
# The unsigned integer type with the bit pattern of a float, by size in bytes.
_BIT_TYPES = {2: np.uint16, 4: np.uint32, 8: np.uint64}
# Below this many values one str() call each is faster than grouping the distinct ones
# (12 against 1 microseconds for one value, even at about 100, measured on 2 cores).
DISTINCT_FORMAT_MIN_VALUES = 256


@dataclass
class InferenceResponse:
    """The container's response to one /invocations request."""

    status: int
    body: bytes
    content_type: str


def response_content_type(accept: str) -> str:
    """Return the Content-Type Flask sends for ``accept`` (charset only on text types)."""
    return f"{accept}; charset=utf-8" if accept.startswith("text/") else accept


def _error(status: int, message: str) -> InferenceResponse:
    return InferenceResponse(status, message.encode("utf-8"), ERROR_CONTENT_TYPE)


def _read_archive(archive: bytes) -> dict[str, bytes]:
    """Return the regular top-level files of a model.tar.gz, refusing unsafe members."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            files = {}
            for member in tar.getmembers():
                path = PurePosixPath(member.name)
                if path.is_absolute() or ".." in path.parts:
                    raise ModelLoadError(
                        f"model.tar.gz member {member.name!r} points outside the model folder; "
                        "rebuild the archive with relative paths."
                    )
                if member.issym() or member.islnk() or member.isdev():
                    raise ModelLoadError(
                        f"model.tar.gz member {member.name!r} is a link or device; "
                        "the archive may only contain regular files."
                    )
                parts = [part for part in path.parts if part != "."]
                if member.isfile() and len(parts) == 1:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    files[parts[0]] = extracted.read()
            return files
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ModelLoadError(
            f"model.tar.gz is not a valid gzip-compressed tar archive: {error}"
        ) from error


def _without_stack_trace(error: xgb.core.XGBoostError) -> str:
    """Return XGBoost's message without the native stack trace, which names local files."""
    return str(error).split("\nStack trace:", 1)[0]


def _load_booster(name: str, raw: bytes) -> xgb.Booster:
    if raw[:1] == bytes([PICKLE_PROTOCOL_MARKER]):
        raise ModelLoadError(
            f"Model file {name} is a Python pickle, the format of sagemaker-xgboost images "
            "1.2-2 and older. The sandbox never unpickles models: retrain the model with "
            "image version 1.3-1 or later."
        )
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(raw))
    except xgb.core.XGBoostError as error:
        message = _without_stack_trace(error)
        raise ModelLoadError(f"Model at {name} cannot be loaded:\n{message}") from error
    booster.set_param("nthread", "1")
    return booster


class XGBoostModelServer:
    """Serves invocations with the boosters of one model archive."""

    def __init__(self, boosters: list[xgb.Booster], environment: Mapping[str, str]) -> None:
        if not boosters:
            raise ModelLoadError("No model to serve.")
        self._boosters = boosters
        self._environment = dict(environment)
        config = json.loads(boosters[0].save_config())
        self._objective: str = config["learner"]["objective"]["name"]
        self._num_class: str = config["learner"]["learner_model_param"].get("num_class", "")
        self._max_content_length = min(
            int(self._environment.get("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH)),
            MAX_PAYLOAD_LIMIT,
        )
        self._array_width = _inplace_width(boosters)

    @classmethod
    def from_model_archive(
        cls, archive: bytes, environment: Mapping[str, str]
    ) -> XGBoostModelServer:
        """Load the model files of a model.tar.gz without writing them to disk.

        Raises ModelLoadError for a corrupt archive, unsafe members, no model
        file, pickled models, or files XGBoost cannot load.
        """
        files = _read_archive(archive)
        if not files:
            raise ModelLoadError("model.tar.gz contains no model file; expected xgboost-model.")
        names = sorted(files)
        if environment.get("SAGEMAKER_INFERENCE_ENSEMBLE", "true").lower() == "false":
            names = names[:1]
        boosters = [_load_booster(name, files[name]) for name in names]
        logger.info("loaded %d model file(s): %s", len(boosters), ", ".join(names))
        return cls(boosters, environment)

    @property
    def num_features(self) -> int:
        """Number of features the model was trained on."""
        return int(self._boosters[0].num_features())

    def execution_parameters(self) -> dict[str, object]:
        """Return the /execution-parameters response that batch transform reads."""
        return {
            "MaxConcurrentTransforms": os.cpu_count() or 1,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": self._max_content_length // 1024**2,
        }

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, *, batch: bool = False
    ) -> InferenceResponse:
        """Answer one /invocations request as the container would."""
        if len(body) > self._max_content_length:
            return _error(
                413,
                "Request Entity Too Large: The data value transmitted exceeds the capacity limit.",
            )
        if not body:
            return InferenceResponse(204, b"", ERROR_CONTENT_TYPE)

        try:
            features = parse_payload(body, content_type, array_width=self._array_width)
        except (UserError, ValueError) as error:
            return _error(415, str(error))

        try:
            predictions = self._predict(features)
        except xgb.core.XGBoostError as error:
            return _error(
                400, f"Unable to evaluate payload provided: {_without_stack_trace(error)}"
            )

        try:
            chosen_accept = self._resolve_accept(accept)
        except ValueError as error:
            return _error(406, str(error))
        return self._encode(predictions, chosen_accept, batch)

    def _predict(self, features: xgb.DMatrix | np.ndarray) -> np.ndarray:
        if isinstance(features, np.ndarray):
            results = [
                booster.inplace_predict(features, validate_features=False)
                for booster in self._boosters
            ]
        else:
            results = [
                booster.predict(features, validate_features=False) for booster in self._boosters
            ]
        return results[0] if len(results) == 1 else np.mean(results, axis=0)

    def _resolve_accept(self, accept: str | None) -> str:
        media_type = (accept or "").split(";", 1)[0].strip()
        if not media_type or media_type == "*/*":
            return self._environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/csv")
        if media_type.lower() not in SUPPORTED_ACCEPTS:
            raise ValueError(
                f"Accept type {media_type} is not supported. "
                f"Please use supported accept types: {SUPPORTED_ACCEPTS}."
            )
        return media_type.lower()

    def _encode(self, predictions: np.ndarray, accept: str, batch: bool) -> InferenceResponse:
        keys = selected_keys(self._environment)
        if keys is not None:
            try:
                body = encode_selected(
                    predictions, keys, accept, self._objective, self._num_class, batch
                )
            except ValueError as error:
                return _error(500, str(error))
            return InferenceResponse(200, body, response_content_type(accept))

        if batch or accept == "text/csv":
            return InferenceResponse(
                200, format_csv_lines(predictions), response_content_type("text/csv")
            )
        if accept == "application/json":
            scores = [{"score": value} for value in predictions.tolist()]
            return InferenceResponse(200, json.dumps({"predictions": scores}).encode(), accept)
        # The container's generic encoder has no JSON Lines or RecordIO mapping.
        return _error(500, f"Content type {accept} is not supported by this framework.")


def format_csv_lines(predictions: np.ndarray) -> bytes:
    """Format one prediction per line, each value as Python's ``str`` prints it.

    Each distinct value is formatted once: the predictions of a tree ensemble repeat a
    few leaf sums, and one ``str`` call per row costs more than the rest of a large
    request. Values are grouped by their bit pattern, so -0.0 and 0.0 stay distinct.
    """
    rows: Iterable[str]
    if predictions.ndim == 1:
        rows = _format_values(predictions)
    elif predictions.ndim == 2 and predictions.shape[1] > 0:
        texts = _format_values(predictions)
        width = predictions.shape[1]
        rows = (",".join(texts[start : start + width]) for start in range(0, len(texts), width))
    else:
        rows = (",".join(map(str, row)) for row in predictions.tolist())
    return ("\n".join(rows) + "\n").encode("utf-8")


def _format_values(predictions: np.ndarray) -> list[str]:
    """Return ``str`` of every value in row-major order."""
    flat = np.ascontiguousarray(predictions).reshape(-1)
    bit_type = _BIT_TYPES.get(flat.dtype.itemsize) if flat.dtype.kind == "f" else None
    if bit_type is None or flat.size < DISTINCT_FORMAT_MIN_VALUES:
        return list(map(str, flat.tolist()))
    # pandas.factorize hashes the patterns, several times faster than np.unique's sort.
    positions, patterns = pd.factorize(flat.view(bit_type))
    distinct = np.array(list(map(str, patterns.view(flat.dtype).tolist())), dtype=object)
    texts: list[str] = distinct[positions].tolist()
    return texts


def parse_payload(
    body: bytes, content_type: str | None, *, array_width: int | None = None
) -> xgb.DMatrix | np.ndarray:
    """Parse a request body into a DMatrix, raising ValueError with the container's message.

    A CSV payload of `array_width` columns whose values a DMatrix accepts is returned as
    the float64 array itself, for Booster.inplace_predict.
    """
    data_format = data.parse_content_type(content_type)
    if data_format == data.PARQUET:
        raise ValueError(f"Content-type {content_type} is not supported.")
    if data_format == data.CSV:
        try:
            table = data.read_csv_payload(body.strip())
            if table.shape[1] == array_width and _dmatrix_accepts(table):
                return table
            return _dmatrix(table)
        except ValueError as error:
            raise ValueError(
                "Loading csv data failed with Exception, please ensure data is in csv format:\n"
                f" {type(error)}\n {error}"
            ) from error
    if data_format == data.LIBSVM:
        try:
            return _dmatrix(_libsvm_payload(body.strip().decode("utf-8")))
        except ValueError as error:
            raise ValueError(
                "Loading libsvm data failed with Exception, "
                "please ensure data is in libsvm format:\n"
                f" {type(error)}\n {error}"
            ) from error
    try:
        features, _ = recordio.to_arrays(list(recordio.read_records(body)))
    except ValueError as error:
        raise ValueError(
            "Loading recordio-protobuf data failed with Exception, please ensure data is in "
            f"recordio-protobuf format: {type(error)} {error}"
        ) from error
    return _dmatrix(features)


def _dmatrix(features: np.ndarray | scipy.sparse.csr_matrix) -> xgb.DMatrix:
    # One thread, as the boosters predict with: waking XGBoost's whole thread pool costs
    # milliseconds per request on a busy machine, more than a single-row request needs.
    return xgb.DMatrix(features, nthread=1)


def _inplace_width(boosters: list[xgb.Booster]) -> int | None:
    """Return the feature count when every booster predicts in place exactly as on a DMatrix.

    inplace_predict gives the bits of predict for gbtree models (checked with XGBoost 3.2
    on nine objectives), but scales dart trees otherwise and rejects gblinear models.
    """
    widths = set()
    for booster in boosters:
        config = json.loads(booster.save_config())
        if config["learner"]["gradient_booster"]["name"] != "gbtree":
            return None
        widths.add(booster.num_features())
    return widths.pop() if len(widths) == 1 else None


def _dmatrix_accepts(table: np.ndarray) -> bool:
    """Tell whether a DMatrix takes the values: it rejects those that are inf as float32."""
    with np.errstate(over="ignore"):
        return not np.isinf(table.astype(np.float32)).any()


def _libsvm_payload(text: str) -> scipy.sparse.csr_matrix:
    rows, columns, values = [], [], []
    lines = text.split("\n")
    for row, line in enumerate(lines):
        for token in line.split():
            if ":" in token:
                index, value = token.split(":", 1)
                rows.append(row)
                columns.append(int(index))
                values.append(float(value))
    column_array = np.asarray(columns, dtype=np.int64)
    if column_array.size and column_array.min() >= 1:
        column_array -= 1
    width = int(column_array.max()) + 1 if column_array.size else 0
    return scipy.sparse.csr_matrix((values, (rows, column_array)), shape=(len(lines), width))
