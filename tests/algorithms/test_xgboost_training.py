"""Training through sandbox.algorithms.xgboost.train on small job folders."""

from __future__ import annotations

import io
import re
import struct
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from xgboost_job_helpers import JobBuilder, binary_data, csv_text

from sandbox.algorithms.xgboost import UnsupportedImageError, train

ROUND_LINE = re.compile(
    r"^\[(\d+)\]\ttrain-[\w@.-]+:-?\d+\.\d{5}(\t[\w@.-]+-[\w@.-]+:-?\d+\.\d{5})*$"
)
INFO_LINE = re.compile(r"^\[\d{4}-\d{2}-\d{2}:\d{2}:\d{2}:\d{2}:(INFO|WARNING)\] ")


def run(job, *, stop_after: int | None = None, version: str = "1.7-1"):
    lines: list[str] = []
    calls = {"count": 0}

    def should_stop() -> bool:
        calls["count"] += 1
        return stop_after is not None and calls["count"] >= stop_after

    outcome = train(job, log=lines.append, should_stop=should_stop, nthread=1, version=version)
    return outcome, lines


def load_model(job) -> xgb.Booster:
    booster = xgb.Booster()
    booster.load_model(bytearray((job / "model" / "xgboost-model").read_bytes()))
    return booster


def test_csv_training_matches_direct_xgboost(make_job: JobBuilder) -> None:
    table = binary_data()
    hyperparameters = {
        "num_round": "8",
        "objective": "binary:logistic",
        "max_depth": "3",
        "eta": "0.2",
    }
    job = make_job(hyperparameters, {"train": ("text/csv", {"train.csv": csv_text(table)})})

    outcome, _ = run(job)

    assert outcome.status == "Completed"
    assert outcome.failure_reason is None
    assert outcome.rounds_completed == 8
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.2, "nthread": 1}
    direct = xgb.train(params, xgb.DMatrix(table[:, 1:], label=table[:, 0]), num_boost_round=8)
    features = xgb.DMatrix(table[:, 1:])
    np.testing.assert_array_equal(load_model(job).predict(features), direct.predict(features))


def test_log_lines_have_container_shape(make_job: JobBuilder) -> None:
    hyperparameters = {"num_round": "3", "objective": "binary:logistic", "eval_metric": "auc,error"}
    channels = {
        "train": ("text/csv", {"train.csv": csv_text(binary_data())}),
        "validation": ("text/csv", {"validation.csv": csv_text(binary_data(100, seed=1))}),
    }
    outcome, lines = run(make_job(hyperparameters, channels))

    assert outcome.status == "Completed"
    rounds = [
        line for line in lines if line.startswith("[") and line[1].isdigit() and "]\t" in line
    ]
    assert len(rounds) == 3
    assert all(ROUND_LINE.match(line) for line in rounds)
    names = [field.split(":")[0] for field in rounds[0].split("\t")[1:]]
    assert names == ["train-auc", "train-error", "validation-auc", "validation-error"]
    others = [line for line in lines if line not in rounds]
    assert all(INFO_LINE.match(line) for line in others)
    assert any(line.endswith("] Determined delimiter of CSV input is ','") for line in others)
    assert any(line.endswith("] Train matrix has 300 rows and 4 columns") for line in others)
    assert any(line.endswith("] Validation matrix has 100 rows") for line in others)


def test_default_metric_follows_objective(make_job: JobBuilder) -> None:
    job = make_job(
        {"num_round": "1", "objective": "binary:logistic"},
        {"train": ("text/csv", {"a.csv": csv_text(binary_data())})},
    )
    _, lines = run(job)
    assert any(line.startswith("[0]\ttrain-logloss:") for line in lines)


def test_custom_metrics_are_computed(make_job: JobBuilder) -> None:
    table = binary_data()
    job = make_job(
        {"num_round": "2", "objective": "binary:logistic", "eval_metric": "accuracy,f1"},
        {"train": ("text/csv", {"a.csv": csv_text(table)})},
    )
    _, lines = run(job)

    last = [line for line in lines if line.startswith("[1]\t")][0]
    fields = dict(field.split(":") for field in last.split("\t")[1:])
    probabilities = load_model(job).predict(xgb.DMatrix(table[:, 1:]))
    expected = np.mean((probabilities > 0.5) == table[:, 0])
    assert fields["train-accuracy"] == f"{expected:.5f}"
    assert "train-f1" in fields


def test_early_stopping_keeps_best_model(make_job: JobBuilder) -> None:
    rng = np.random.default_rng(3)
    noise_train = np.column_stack([rng.integers(0, 2, 200), rng.normal(size=(200, 3))])
    noise_validation = np.column_stack([rng.integers(0, 2, 100), rng.normal(size=(100, 3))])
    hyperparameters = {
        "num_round": "200",
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "early_stopping_rounds": "3",
        "eta": "0.5",
    }
    channels = {
        "train": ("text/csv", {"a.csv": csv_text(noise_train)}),
        "validation": ("text/csv", {"b.csv": csv_text(noise_validation)}),
    }
    outcome, lines = run(make_job(hyperparameters, channels))

    assert outcome.status == "Completed"
    assert outcome.rounds_completed < 200
    losses = [float(line.rsplit(":", 1)[1]) for line in lines if "\tvalidation-logloss:" in line]
    best = int(np.argmin(losses))
    assert outcome.rounds_completed == best + 3 + 1


def test_early_stopping_model_has_best_rounds(make_job: JobBuilder) -> None:
    rng = np.random.default_rng(3)
    noise_train = np.column_stack([rng.integers(0, 2, 200), rng.normal(size=(200, 3))])
    noise_validation = np.column_stack([rng.integers(0, 2, 100), rng.normal(size=(100, 3))])
    hyperparameters = {
        "num_round": "200",
        "objective": "binary:logistic",
        "eval_metric": "auc,logloss",
        "early_stopping_rounds": "3",
        "eta": "0.5",
    }
    channels = {
        "train": ("text/csv", {"a.csv": csv_text(noise_train)}),
        "validation": ("text/csv", {"b.csv": csv_text(noise_validation)}),
    }
    job = make_job(hyperparameters, channels)
    outcome, lines = run(job)

    losses = [float(line.rsplit(":", 1)[1]) for line in lines if "\tvalidation-logloss:" in line]
    best = int(np.argmin(losses))
    assert load_model(job).num_boosted_rounds() == best + 1
    assert outcome.rounds_completed == len(losses)


def test_tuning_objective_drives_early_stopping(make_job: JobBuilder) -> None:
    hyperparameters = {
        "num_round": "50",
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "early_stopping_rounds": "2",
        "_tuning_objective_metric": "validation:auc",
    }
    channels = {
        "train": ("text/csv", {"a.csv": csv_text(binary_data())}),
        "validation": ("text/csv", {"b.csv": csv_text(binary_data(100, seed=5))}),
    }
    _, lines = run(make_job(hyperparameters, channels))

    first = [line for line in lines if line.startswith("[0]\t")][0]
    assert [field.split(":")[0] for field in first.split("\t")[1:]] == [
        "train-auc",
        "train-logloss",
        "validation-auc",
        "validation-logloss",
    ]
    assert any(
        line.endswith("Will train until validation-auc hasn't improved in 2 rounds.")
        for line in lines
    )


def test_should_stop_ends_stopped_without_model(make_job: JobBuilder) -> None:
    job = make_job(
        {"num_round": "50", "objective": "binary:logistic"},
        {"train": ("text/csv", {"a.csv": csv_text(binary_data())})},
    )
    outcome, _ = run(job, stop_after=3)

    assert outcome.status == "Stopped"
    assert outcome.rounds_completed == 3
    assert not (job / "model" / "xgboost-model").exists()


def test_stop_saves_model_on_termination(make_job: JobBuilder) -> None:
    job = make_job(
        {"num_round": "50", "objective": "binary:logistic", "save_model_on_termination": "true"},
        {"train": ("text/csv", {"a.csv": csv_text(binary_data())})},
    )
    outcome, _ = run(job, stop_after=4)

    assert outcome.status == "Stopped"
    assert load_model(job).num_boosted_rounds() == 4


def test_csv_weights_use_column_one(make_job: JobBuilder) -> None:
    table = binary_data()
    weights = np.linspace(0.1, 3.0, len(table))
    weighted = np.column_stack([table[:, 0], weights, table[:, 1:]])
    job = make_job(
        {"num_round": "5", "objective": "binary:logistic", "csv_weights": "1"},
        {"train": ("text/csv", {"a.csv": csv_text(weighted)})},
    )
    outcome, lines = run(job)

    assert outcome.status == "Completed"
    assert any(line.endswith("Train matrix has 300 rows and 4 columns") for line in lines)
    dtrain = xgb.DMatrix(table[:, 1:], label=table[:, 0], weight=weights)
    direct = xgb.train({"objective": "binary:logistic", "nthread": 1}, dtrain, num_boost_round=5)
    features = xgb.DMatrix(table[:, 1:])
    np.testing.assert_array_equal(load_model(job).predict(features), direct.predict(features))


def test_libsvm_is_default_content_type(make_job: JobBuilder) -> None:
    table = binary_data(200)
    text = "".join(
        f"{int(row[0])} "
        + " ".join(f"{i + 1}:{float(value)!r}" for i, value in enumerate(row[1:]))
        + "\n"
        for row in table
    )
    job = make_job(
        {"num_round": "4", "objective": "binary:logistic"}, {"train": (None, {"a": text})}
    )
    outcome, lines = run(job)

    assert outcome.status == "Completed"
    assert any(line.endswith("Train matrix has 200 rows and 4 columns") for line in lines)
    direct = xgb.train(
        {"objective": "binary:logistic", "nthread": 1},
        xgb.DMatrix(table[:, 1:], label=table[:, 0]),
        num_boost_round=4,
    )
    features = xgb.DMatrix(table[:, 1:])
    np.testing.assert_allclose(
        load_model(job).predict(features), direct.predict(features), rtol=1e-6
    )


def test_parquet_uses_first_column_as_label(make_job: JobBuilder) -> None:
    table = binary_data(200)
    frame = pd.DataFrame(table, columns=["label", "a", "b", "c", "d"])
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    job = make_job(
        {"num_round": "3", "objective": "binary:logistic"},
        {"train": ("application/x-parquet", {"part-0.parquet": buffer.getvalue()})},
    )
    outcome, lines = run(job)

    assert outcome.status == "Completed"
    assert any(line.endswith("Train matrix has 200 rows and 4 columns") for line in lines)


def record_bytes(features: list[float], label: float) -> bytes:
    """Encode one RecordIO-protobuf record by hand from the wire format."""
    tensor = b"\x0a" + bytes([4 * len(features)]) + struct.pack(f"<{len(features)}f", *features)
    value = b"\x12" + bytes([len(tensor)]) + tensor
    entry = b"\x0a\x06values\x12" + bytes([len(value)]) + value
    label_tensor = b"\x0a\x04" + struct.pack("<f", label)
    label_value = b"\x12" + bytes([len(label_tensor)]) + label_tensor
    label_entry = b"\x0a\x06values\x12" + bytes([len(label_value)]) + label_value
    payload = (
        b"\x0a" + bytes([len(entry)]) + entry + b"\x12" + bytes([len(label_entry)]) + label_entry
    )
    return struct.pack("<II", 0xCED7230A, len(payload)) + payload + b"\0" * (-len(payload) % 4)


def test_recordio_protobuf_dense_training(make_job: JobBuilder) -> None:
    table = binary_data(120).astype(np.float32)
    stream = b"".join(record_bytes(list(row[1:]), float(row[0])) for row in table)
    job = make_job(
        {"num_round": "3", "objective": "binary:logistic"},
        {"train": ("application/x-recordio-protobuf", {"data.rec": stream})},
    )
    outcome, _ = run(job)

    assert outcome.status == "Completed"
    direct = xgb.train(
        {"objective": "binary:logistic", "nthread": 1},
        xgb.DMatrix(table[:, 1:], label=table[:, 0]),
        num_boost_round=3,
    )
    features = xgb.DMatrix(table[:, 1:])
    np.testing.assert_array_equal(load_model(job).predict(features), direct.predict(features))


def test_files_in_subfolders_are_read(make_job: JobBuilder) -> None:
    table = binary_data(200)
    files = {"part/a.csv": csv_text(table[:100]), "part/deeper/b.csv": csv_text(table[100:])}
    job = make_job({"num_round": "2"}, {"train": ("text/csv", files)})
    _, lines = run(job)
    assert any(line.endswith("Train matrix has 200 rows and 4 columns") for line in lines)


def test_multi_host_job_trains_in_worker_processes(make_job: JobBuilder) -> None:
    job = make_job(
        {"num_round": "2"}, {"train": ("text/csv", {"a.csv": csv_text(binary_data())})}, hosts=2
    )
    outcome, lines = run(job)

    assert outcome.status == "Completed"
    assert outcome.rounds_completed == 2
    assert any(
        line.endswith("Distributed node training with 2 hosts: ['algo-1', 'algo-2']")
        for line in lines
    )
    assert (job / "model" / "xgboost-model").exists()


@pytest.mark.parametrize("version", ["0.90-2", "1.0-1", "1.2-2"])
def test_pickle_era_versions_cannot_run(make_job: JobBuilder, version: str) -> None:
    job = make_job({"num_round": "2"}, {"train": ("text/csv", {"a.csv": csv_text(binary_data())})})
    with pytest.raises(UnsupportedImageError, match=f"cannot run sagemaker-xgboost:{version}"):
        run(job, version=version)


def test_model_saved_as_ubjson_without_warning(make_job: JobBuilder, tmp_path) -> None:
    table = binary_data()
    hyperparameters = {"num_round": "3", "objective": "binary:logistic"}
    job = make_job(hyperparameters, {"train": ("text/csv", {"train.csv": csv_text(table)})})

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome, _ = run(job)

    assert outcome.status == "Completed"
    assert [str(warning.message) for warning in caught if "UBJSON" in str(warning.message)] == []
    saved = job / "model" / "xgboost-model"
    reference = tmp_path / "xgboost-model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_model(job).save_model(reference)
    assert saved.read_bytes() == reference.read_bytes()
