"""Inference through XGBoostModelServer: status codes, messages and body formats."""

from __future__ import annotations

import io
import json
import math
import pickle
import struct
import tarfile

import numpy as np
import pytest
import xgboost as xgb
from xgboost_job_helpers import binary_data

from sandbox.algorithms.xgboost import (
    InferenceResponse,
    ModelLoadError,
    XGBoostModelServer,
    recordio,
)
from sandbox.algorithms.xgboost.serving import format_csv_lines

ACCEPTED = (
    "csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, "
    "application/x-parquet, application/x-recordio-protobuf."
)


def archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def model_bytes(booster: xgb.Booster) -> bytes:
    return bytes(booster.save_raw("ubj"))


@pytest.fixture(scope="module")
def binary_booster() -> xgb.Booster:
    table = binary_data(200)
    dtrain = xgb.DMatrix(table[:, 1:], label=table[:, 0])
    return xgb.train({"objective": "binary:logistic", "nthread": 1}, dtrain, num_boost_round=5)


@pytest.fixture(scope="module")
def softprob_booster() -> xgb.Booster:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(150, 3))
    labels = np.digitize(features[:, 0], [-0.5, 0.5]).astype(float)
    params = {"objective": "multi:softprob", "num_class": 3, "nthread": 1}
    return xgb.train(params, xgb.DMatrix(features, label=labels), num_boost_round=3)


def server(booster: xgb.Booster, **environment: str) -> XGBoostModelServer:
    return XGBoostModelServer.from_model_archive(
        archive({"xgboost-model": model_bytes(booster)}), environment
    )


ROWS = np.array([[0.5, -1.0, 2.0, 0.1], [-0.3, 0.2, 0.0, 1.5]])
ROWS_CSV = b"0.5,-1.0,2.0,0.1\n-0.3,0.2,0.0,1.5\n"


def expected(booster: xgb.Booster, rows: np.ndarray) -> list[float]:
    return booster.predict(xgb.DMatrix(rows)).tolist()


def text(response: InferenceResponse) -> str:
    return response.body.decode("utf-8")


def test_empty_body_returns_204(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"", "text/csv", "text/csv")
    assert response.status == 204
    assert response.body == b""


def test_csv_rows_return_one_value_per_line(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(ROWS_CSV, "text/csv; charset=utf-8", "text/csv")

    assert response.status == 200
    assert response.content_type == "text/csv; charset=utf-8"
    values = expected(binary_booster, ROWS)
    assert text(response) == f"{values[0]!r}\n{values[1]!r}\n"


def test_single_csv_row_without_newline(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"0.5,-1.0,2.0,0.1", "text/csv", None)
    assert text(response) == f"{expected(binary_booster, ROWS[:1])[0]!r}\n"


def test_empty_csv_field_is_missing(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"0.5,,2.0,0.1", "text/csv", "text/csv")
    rows = np.array([[0.5, np.nan, 2.0, 0.1]])
    assert text(response) == f"{expected(binary_booster, rows)[0]!r}\n"


def test_libsvm_request(binary_booster: xgb.Booster) -> None:
    body = b"1:0.5 2:-1.0 3:2.0 4:0.1\n1:-0.3 2:0.2 4:1.5"
    response = server(binary_booster).invoke(body, "text/libsvm", "text/csv")
    rows = ROWS.copy()
    rows[1, 2] = np.nan
    assert text(response).splitlines() == [repr(v) for v in expected(binary_booster, rows)]


def test_recordio_protobuf_request(binary_booster: xgb.Booster) -> None:
    body = b"".join(
        recordio.frame(recordio.encode_record({"values": list(row)}, {})) for row in ROWS
    )
    response = server(binary_booster).invoke(body, "application/x-recordio-protobuf", "text/csv")
    rows = ROWS.astype(np.float32)
    assert text(response).splitlines() == [repr(v) for v in expected(binary_booster, rows)]


def test_json_accept(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(ROWS_CSV, "text/csv", "application/json")

    assert response.status == 200
    assert response.content_type == "application/json"
    scores = [{"score": value} for value in expected(binary_booster, ROWS)]
    assert json.loads(response.body) == {"predictions": scores}


def test_default_accept_from_environment(binary_booster: xgb.Booster) -> None:
    model = server(binary_booster, SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/json")
    assert model.invoke(ROWS_CSV, "text/csv", "*/*").content_type == "application/json"
    assert model.invoke(ROWS_CSV, "text/csv", None).content_type == "application/json"


def test_unsupported_accept_returns_406(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(ROWS_CSV, "text/csv", "text/plain")
    assert response.status == 406
    assert text(response) == (
        "Accept type text/plain is not supported. Please use supported accept types: "
        "['application/json', 'application/jsonlines', 'application/x-recordio-protobuf', "
        "'text/csv']."
    )


def test_jsonlines_without_selectable_output_fails(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(ROWS_CSV, "text/csv", "application/jsonlines")
    assert response.status == 500
    assert (
        text(response) == "Content type application/jsonlines is not supported by this framework."
    )


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("application/x-parquet", "Content-type application/x-parquet is not supported."),
        ("application/json", f"application/json is not an accepted ContentType: {ACCEPTED}"),
        ("image/png", f"image/png is not an accepted ContentType: {ACCEPTED}"),
    ],
)
def test_rejected_content_types_return_415(
    binary_booster: xgb.Booster, content_type: str, message: str
) -> None:
    response = server(binary_booster).invoke(ROWS_CSV, content_type, "text/csv")
    assert response.status == 415
    assert text(response) == message


def test_unparseable_csv_returns_415(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"abc,1,2,3", "text/csv", "text/csv")
    assert response.status == 415
    assert text(response) == (
        "Loading csv data failed with Exception, please ensure data is in csv format:\n"
        " <class 'ValueError'>\n could not convert string to float: 'abc'"
    )


def test_ragged_csv_rows_return_415(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"1,2,3,4\n1,2,3", "text/csv", "text/csv")
    assert response.status == 415
    assert text(response) == (
        "Loading csv data failed with Exception, please ensure data is in csv format:\n"
        " <class 'ValueError'>\n setting an array element with a sequence. The requested "
        "array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + "
        "inhomogeneous part."
    )


def test_csv_boolean_word_returns_415(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"1,2,3,TRUE", "text/csv", "text/csv")
    assert response.status == 415
    assert text(response).endswith(" could not convert string to float: 'TRUE'")


@pytest.mark.parametrize(
    "body",
    [
        b"0.5;-1.0;2.0;0.1\n-0.3;0.2;0.0;1.5",
        b"0.5\t-1.0\t2.0\t0.1\r\n-0.3\t0.2\t0.0\t1.5\r\n",
        b"5e-1,-1.0,2.0,0.1\n-0.3,0.2,+0.0,1.5",
        b"0.5,-1.0,2.0,0.1\n-0.3,0.2,0.0,1.5",
        b"0.5,-1.0,2.0,0.1\n-0.3,0.2,nan,1.5",
    ],
)
def test_csv_delimiters_and_number_forms(binary_booster: xgb.Booster, body: bytes) -> None:
    rows = ROWS.copy()
    if b"nan" in body:
        rows[1, 2] = math.nan
    response = server(binary_booster).invoke(body, "text/csv", "text/csv")
    assert response.status == 200
    values = [float(line) for line in text(response).splitlines()]
    assert values == pytest.approx(expected(binary_booster, rows))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_large_csv_payload_rows(binary_booster: xgb.Booster, delimiter: str) -> None:
    rows = np.random.default_rng(3).normal(size=(2000, 4)).round(6)
    rows[5, 2] = math.nan
    lines = [delimiter.join("" if math.isnan(v) else repr(v) for v in row) for row in rows.tolist()]
    body = "\n".join(lines).encode()
    assert len(body) > 16 * 1024

    response = server(binary_booster).invoke(body, "text/csv", "text/csv")

    assert response.status == 200
    assert text(response) == "".join(f"{value}\n" for value in expected(binary_booster, rows))


def test_large_ragged_csv_payload_returns_415(binary_booster: xgb.Booster) -> None:
    body = b"1,2,3,4\n" * 5000 + b"1,2,3"

    response = server(binary_booster).invoke(body, "text/csv", "text/csv")

    assert response.status == 415
    assert text(response).endswith(
        "The requested array has an inhomogeneous shape after 1 dimensions. The detected "
        "shape was (5001,) + inhomogeneous part."
    )


def large_payload(rows: np.ndarray) -> bytes:
    """Return rows as CSV text, with empty fields for NaN, as large as the fast parse needs."""
    lines = [",".join("" if math.isnan(v) else repr(v) for v in row) for row in rows.tolist()]
    return "\n".join(lines).encode()


def predict_bits(booster: xgb.Booster, rows: np.ndarray) -> bytes:
    return format_csv_lines(booster.predict(xgb.DMatrix(rows), validate_features=False))


@pytest.mark.parametrize("booster_type", ["gbtree", "dart", "gblinear"])
@pytest.mark.parametrize("objective", ["binary:logistic", "multi:softprob", "reg:squarederror"])
def test_large_payload_matches_dmatrix_predict(booster_type: str, objective: str) -> None:
    rng = np.random.default_rng(4)
    features = rng.normal(size=(300, 4))
    labels = np.digitize(features[:, 0], [-0.5, 0.5]).astype(float)
    params: dict[str, object] = {"objective": objective, "booster": booster_type, "nthread": 1}
    if objective == "binary:logistic":
        labels = (labels > 0).astype(float)
    if objective == "multi:softprob":
        params["num_class"] = 3
    booster = xgb.train(params, xgb.DMatrix(features, label=labels), num_boost_round=6)
    rows = rng.normal(size=(3000, 4))
    rows[::7, 1] = math.nan

    response = server(booster).invoke(large_payload(rows), "text/csv", "text/csv", batch=True)

    assert response.status == 200
    assert response.body == predict_bits(booster, rows)


def test_large_payload_of_an_ensemble(binary_booster: xgb.Booster) -> None:
    other = xgb.train(
        {"objective": "binary:logistic", "nthread": 1, "max_depth": 1},
        xgb.DMatrix(binary_data(100)[:, 1:], label=binary_data(100)[:, 0]),
        num_boost_round=3,
    )
    model = XGBoostModelServer.from_model_archive(
        archive({"a-model": model_bytes(binary_booster), "b-model": model_bytes(other)}), {}
    )
    rows = np.random.default_rng(5).normal(size=(3000, 4))

    response = model.invoke(large_payload(rows), "text/csv", "text/csv", batch=True)

    predictions = [b.predict(xgb.DMatrix(rows)) for b in (binary_booster, other)]
    assert response.body == format_csv_lines(np.mean(predictions, axis=0))


@pytest.mark.parametrize("value", ["1e39", "-3.5e38", "1e500"])
def test_large_payload_too_large_for_float32(binary_booster: xgb.Booster, value: str) -> None:
    rows = np.random.default_rng(6).normal(size=(3000, 4))
    body = large_payload(rows)
    body = value.encode() + body[body.index(b",") :]

    response = server(binary_booster).invoke(body, "text/csv", "text/csv")

    assert response.status == 415
    assert text(response).startswith(
        "Loading csv data failed with Exception, please ensure data is in csv format:\n"
        " <class 'xgboost.core.XGBoostError'>\n"
    )
    assert "Input data contains `inf` or a value too large" in text(response)


def test_too_many_features_returns_400(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(b"1,0.5,-1.0,2.0,0.1", "text/csv", "text/csv")
    assert response.status == 400
    assert text(response).startswith("Unable to evaluate payload provided: ")
    assert text(response).endswith(
        "(4 vs. 5) : Number of columns does not match number of features in booster."
    )
    assert "Stack trace" not in text(response)


def test_softprob_rows_are_comma_joined(softprob_booster: xgb.Booster) -> None:
    rows = np.array([[0.1, 0.2, 0.3], [-1.0, 0.0, 1.0]])
    body = b"0.1,0.2,0.3\n-1.0,0.0,1.0"
    model = server(softprob_booster)
    probabilities = expected(softprob_booster, rows)

    csv_lines = text(model.invoke(body, "text/csv", "text/csv")).splitlines()
    assert csv_lines == [",".join(repr(p) for p in row) for row in probabilities]
    as_json = json.loads(model.invoke(body, "text/csv", "application/json").body)
    assert as_json == {"predictions": [{"score": row} for row in probabilities]}


def test_batch_is_newline_separated(binary_booster: xgb.Booster) -> None:
    response = server(binary_booster).invoke(ROWS_CSV, "text/csv", "application/json", batch=True)
    values = expected(binary_booster, ROWS)
    assert text(response) == f"{values[0]!r}\n{values[1]!r}\n"


def reference_csv_lines(predictions: np.ndarray) -> bytes:
    """Format predictions with one str() call per value, the container's formatting."""
    if predictions.ndim == 1:
        rows = [str(value) for value in predictions.tolist()]
    else:
        rows = [",".join(str(value) for value in row) for row in predictions.tolist()]
    return ("\n".join(rows) + "\n").encode("utf-8")


def random_floats(dtype: type, count: int, seed: int) -> np.ndarray:
    """Return floats of every kind: random bit patterns, repeats, zeros of both signs, NaN, inf."""
    rng = np.random.default_rng(seed)
    bits = np.dtype(dtype).itemsize * 8
    unsigned = {32: np.uint32, 64: np.uint64}[bits]
    patterns = rng.integers(0, 2**bits, size=count, dtype=unsigned).view(dtype)
    repeated = rng.choice(rng.random(50).astype(dtype), size=count)
    special = np.array([0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, 5e-324], dtype=dtype)
    return np.concatenate([patterns, repeated, special, rng.random(count).astype(dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_csv_formatting_matches_str(dtype: type) -> None:
    values = random_floats(dtype, 100_000, seed=7)
    assert format_csv_lines(values) == reference_csv_lines(values)


def test_csv_formatting_of_rows_matches_str() -> None:
    values = random_floats(np.float32, 30_000, seed=8)[:90_000].reshape(-1, 3)
    assert format_csv_lines(values) == reference_csv_lines(values)


@pytest.mark.parametrize("repeats", [1, 1000])
def test_csv_formatting_keeps_negative_zero(repeats: int) -> None:
    values = np.tile(np.array([0.0, -0.0, 0.0, -0.0], dtype=np.float32), repeats)
    assert format_csv_lines(values) == b"0.0\n-0.0\n0.0\n-0.0\n" * repeats


def test_csv_formatting_of_empty_shapes() -> None:
    assert format_csv_lines(np.zeros(0, dtype=np.float32)) == b"\n"
    assert format_csv_lines(np.zeros((2, 0), dtype=np.float32)) == b"\n\n"
    assert format_csv_lines(np.zeros((0, 3), dtype=np.float32)) == b"\n"


def test_selectable_output_json(binary_booster: xgb.Booster) -> None:
    model = server(binary_booster, SAGEMAKER_INFERENCE_OUTPUT="predicted_label, probability")
    response = model.invoke(ROWS_CSV, "text/csv", "application/json")

    values = expected(binary_booster, ROWS)
    assert json.loads(response.body) == {
        "predictions": [{"predicted_label": int(v > 0.5), "probability": v} for v in values]
    }


def test_selectable_output_csv_and_jsonlines(binary_booster: xgb.Booster) -> None:
    model = server(binary_booster, SAGEMAKER_INFERENCE_OUTPUT="probabilities,predicted_label")
    values = expected(binary_booster, ROWS)

    csv_body = text(model.invoke(ROWS_CSV, "text/csv", "text/csv"))
    assert csv_body == "\n".join(f'"{[1.0 - v, v]}",{int(v > 0.5)}' for v in values)
    lines = text(model.invoke(ROWS_CSV, "text/csv", "application/jsonlines")).split("\n")
    assert [json.loads(line)["predicted_label"] for line in lines] == [int(v > 0.5) for v in values]


def test_selectable_invalid_key_is_nan(binary_booster: xgb.Booster) -> None:
    model = server(binary_booster, SAGEMAKER_INFERENCE_OUTPUT="predicted_score")
    body = json.loads(model.invoke(ROWS_CSV, "text/csv", "application/json").body)
    assert all(math.isnan(item["predicted_score"]) for item in body["predictions"])


def test_selectable_recordio_output(softprob_booster: xgb.Booster) -> None:
    model = server(softprob_booster, SAGEMAKER_INFERENCE_OUTPUT="predicted_label,probabilities")
    response = model.invoke(b"0.1,0.2,0.3", "text/csv", "application/x-recordio-protobuf")

    (record,) = list(recordio.read_records(response.body))
    probabilities = expected(softprob_booster, np.array([[0.1, 0.2, 0.3]]))[0]
    assert record.label["predicted_label"].values == [float(np.argmax(probabilities))]
    np.testing.assert_allclose(record.label["probabilities"].values, probabilities, rtol=1e-6)


def test_pickled_model_is_rejected(binary_booster: xgb.Booster) -> None:
    payload = archive({"xgboost-model": pickle.dumps({"not": "a booster"})})
    with pytest.raises(ModelLoadError, match="is a Python pickle"):
        XGBoostModelServer.from_model_archive(payload, {})


@pytest.mark.parametrize("name", ["../xgboost-model", "/etc/xgboost-model"])
def test_unsafe_archive_paths_are_rejected(binary_booster: xgb.Booster, name: str) -> None:
    payload = archive({name: model_bytes(binary_booster)})
    with pytest.raises(ModelLoadError, match="points outside the model folder"):
        XGBoostModelServer.from_model_archive(payload, {})


def test_corrupt_archives_are_rejected() -> None:
    with pytest.raises(ModelLoadError, match="not a valid gzip-compressed tar archive"):
        XGBoostModelServer.from_model_archive(b"not a tarball", {})
    with pytest.raises(ModelLoadError, match="contains no model file"):
        XGBoostModelServer.from_model_archive(archive({}), {})
    with pytest.raises(ModelLoadError, match="Model at xgboost-model cannot be loaded"):
        XGBoostModelServer.from_model_archive(archive({"xgboost-model": b"{garbage"}), {})


def test_ensemble_averages_models(binary_booster: xgb.Booster) -> None:
    table = binary_data(200, seed=9)
    other = xgb.train(
        {"objective": "binary:logistic", "nthread": 1},
        xgb.DMatrix(table[:, 1:], label=table[:, 0]),
        num_boost_round=2,
    )
    files = {"xgboost-model-0": model_bytes(binary_booster), "xgboost-model-1": model_bytes(other)}
    model = XGBoostModelServer.from_model_archive(archive(files), {})

    values = text(model.invoke(ROWS_CSV, "text/csv", "text/csv")).splitlines()
    average = np.mean(
        [expected(binary_booster, ROWS), expected(other, ROWS)], axis=0, dtype=np.float32
    )
    np.testing.assert_allclose([float(v) for v in values], average, rtol=1e-6)


def test_parameters_and_feature_count(binary_booster: xgb.Booster) -> None:
    model = server(binary_booster)
    assert model.num_features == 4
    parameters = model.execution_parameters()
    assert parameters["BatchStrategy"] == "MULTI_RECORD"
    assert parameters["MaxPayloadInMB"] == 6


def test_oversized_body_returns_413(binary_booster: xgb.Booster) -> None:
    model = server(binary_booster, MAX_CONTENT_LENGTH="1024")
    response = model.invoke(ROWS_CSV * 100, "text/csv", "text/csv")
    assert response.status == 413


def test_recordio_round_trip_of_handmade_record() -> None:
    tensor = b"\x0a\x08" + struct.pack("<2f", 1.5, 2.0)
    value = b"\x12\x0a" + tensor
    entry = b"\x0a\x06values\x12\x0c" + value
    payload = b"\x0a\x16" + entry
    stream = struct.pack("<II", 0xCED7230A, len(payload)) + payload + b"\0" * (-len(payload) % 4)

    (record,) = list(recordio.read_records(stream))
    assert record.features["values"].values == [1.5, 2.0]
    assert recordio.encode_record({"values": [1.5, 2.0]}, {}) == payload
