"""Hyperparameter, channel and data errors end the job Failed with the container's message."""

from __future__ import annotations

import pytest
from xgboost_job_helpers import JobBuilder, binary_data, csv_text

from sandbox.algorithms.xgboost import train

GOOD_CSV = csv_text(binary_data(60))
ACCEPTED = (
    "csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, "
    "application/x-parquet, application/x-recordio-protobuf."
)


def failure(job, version: str = "1.7-1") -> str:
    """Run the job, check the failure shape, and return the failure file's text."""
    outcome = train(
        job, log=lambda line: None, should_stop=lambda: False, nthread=1, version=version
    )
    text = (job / "output" / "failure").read_text()

    assert outcome.status == "Failed"
    assert text.startswith("framework error: \nTraceback (most recent call last):\n")
    assert outcome.failure_reason == f"AlgorithmError: {text}"[:1024]
    assert not (job / "model" / "xgboost-model").exists()
    return text


def last_message(job, version: str = "1.7-1") -> str:
    """Return the message after the traceback (the traceback ends with a blank line)."""
    return failure(job, version).rsplit("\n\n", 1)[-1]


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"objective": "binary:logistic"}, "Missing required hyperparameter: num_round"),
        ({"num_round": "5", "silent": "0"}, "Extraneous hyperparameter found: silent"),
        ({"num_round": "5", "n_estimators": "10"}, "Extraneous hyperparameter found: n_estimators"),
        ({"num_round": "5", "eta": "2"}, "Hyperparameter eta: 2.0 is not in [0, 1]"),
        ({"num_round": "5", "learning_rate": "1.5"}, "Hyperparameter eta: 1.5 is not in [0, 1]"),
        ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
        ({"num_round": "5", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
        (
            {"num_round": "ten"},
            "Hyperparameter num_round: could not parse value (caused by ValueError)",
        ),
        (
            {"num_round": "5", "booster": "forest"},
            "Hyperparameter booster: forest is not in ['gbtree', 'gblinear', 'dart']",
        ),
        (
            {"num_round": "5", "objective": "reg:squarederror", "eval_metric": "auc"},
            "Metric 'auc' can only be applied for classification and ranking problems.",
        ),
        (
            {"num_round": "5", "eval_metric": "auc"},
            "Metric 'auc' can only be applied for classification and ranking problems.",
        ),
        (
            {"num_round": "5", "objective": "multi:softmax"},
            "Require input for parameter 'num_class' for multi-classification",
        ),
        (
            {"num_round": "5", "num_class": "3"},
            "Do not need to setup parameter 'num_class' for learning task other than "
            "multi-classification.",
        ),
        (
            {"num_round": "5", "objective": "multi:softprob", "num_class": "1"},
            "Hyperparameter num_class: 1 is not in [2, +inf)",
        ),
        (
            {"num_round": "5", "eval_metric": "logloss@0.5", "objective": "binary:logistic"},
            "Metric 'logloss@0.5' is not supported. Parameter 'eval_metric' with customized "
            "threshold should be one of these options: 'error', 'ndcg', 'map'.",
        ),
        (
            {"num_round": "5", "eval_metric": "error@high", "objective": "binary:logistic"},
            "Threshold value 't' in 'error@t' expects float input.",
        ),
        (
            {"num_round": "5", "monotone_constraints": "(1,-1,0,0)"},
            "monotone_constraints can be used only when the tree_method parameter is set to "
            "either 'exact' or 'hist'.",
        ),
        (
            {"num_round": "5", "_tuning_objective_metric": "train:auc"},
            "Hyperparameter _tuning_objective_metric: train:auc is not in ",
        ),
        (
            {"num_round": "5", "_kfold": "5"},
            "Hyperparameter _kfold: k-fold cross-validation is not supported by the sandbox. "
            "Remove _kfold and _num_cv_round to train one model on the train channel.",
        ),
    ],
)
def test_hyperparameter_errors(make_job: JobBuilder, hyperparameters: dict, message: str) -> None:
    job = make_job(hyperparameters, {"train": ("text/csv", {"a.csv": GOOD_CSV})})
    assert last_message(job).startswith(message)


def test_unknown_eval_metric_lists_range(make_job: JobBuilder) -> None:
    job = make_job(
        {"num_round": "5", "eval_metric": "rmse,foo"}, {"train": ("text/csv", {"a.csv": GOOD_CSV})}
    )
    assert last_message(job).startswith(
        "Hyperparameter eval_metric: value ['rmse', 'foo'] not in range ['accuracy', 'auc',"
    )


def test_absolute_error_needs_image_1_7(make_job: JobBuilder) -> None:
    hyperparameters = {"num_round": "2", "objective": "reg:absoluteerror"}
    job = make_job(hyperparameters, {"train": ("text/csv", {"a.csv": GOOD_CSV})})
    assert last_message(job, "1.5-1").startswith(
        "Hyperparameter objective: reg:absoluteerror is not in"
    )


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ({"validation": ("text/csv", {"a.csv": GOOD_CSV})}, "Missing required channel: train"),
        (
            {"train": ("text/csv", {"a.csv": GOOD_CSV}), "test": ("text/csv", {"a.csv": GOOD_CSV})},
            "Extraneous channel found: test",
        ),
        (
            {"train": ("application/json", {"a.csv": GOOD_CSV})},
            f"application/json is not an accepted ContentType: {ACCEPTED}",
        ),
        (
            {"train": ("text/csv;label_size=2", {"a.csv": GOOD_CSV})},
            "text/csv;label_size=2 is not an accepted csv ContentType. "
            "Optional parameter label_size must be equal to 1",
        ),
        (
            {"train": ("text/csv", {"a.csv": GOOD_CSV, ".hidden": "x"})},
            "Hidden file found in the data path! Remove that before training.",
        ),
        ({"train": ("text/csv", {})}, "No data in training channel path /opt/ml/input/data/train"),
        (
            {"train": ("text/csv", {"a.csv": GOOD_CSV}), "validation": ("text/csv", {})},
            "No data in validation channel path /opt/ml/input/data/validation",
        ),
        (
            {"train": ("text/csv", {"a.csv": "label,x1,x2\n1,2,3\n"})},
            "First line 'label,x1,x2...' of file 'a.csv' is not 'CSV' format. "
            "Please ensure the file is in 'CSV' format.",
        ),
        (
            {"train": ("text/csv", {"a.csv": "1,2,3\n0,1\n"})},
            "Failed to load csv data with exception:\nLine 2 of file 'a.csv' has 2 columns, "
            "but the data before it has 3. Every row needs the same number of columns.",
        ),
        (
            {"train": ("text/libsvm", {"a": "yes 1:2 2:3\n"})},
            "First line 'yes 1:2 2:3...' of file 'a' is not 'LIBSVM' format. "
            "Please ensure the file is in 'LIBSVM' format.",
        ),
        (
            {"train": ("application/x-recordio-protobuf", {"a.rec": b"\x00" * 16})},
            "Failed to load recordio-protobuf data with exception:\n"
            "invalid RecordIO magic number 0x0 at byte 0",
        ),
        (
            {"train": ("application/x-parquet", {"a.parquet": b"not parquet"})},
            "Failed to load parquet data with exception:\n",
        ),
    ],
)
def test_channel_and_data_errors(make_job: JobBuilder, channels: dict, message: str) -> None:
    job = make_job({"num_round": "2"}, channels)
    assert last_message(job).startswith(message)


def test_logistic_labels_outside_unit_interval(make_job: JobBuilder) -> None:
    table = binary_data(60)
    table[:, 0] *= 3
    channels = {"train": ("text/csv", {"a.csv": csv_text(table)})}
    job = make_job({"num_round": "2", "objective": "binary:logistic"}, channels)
    assert last_message(job) == "label must be in [0,1] for logistic regression"


def test_logistic_labels_on_xgboost_3_image(make_job: JobBuilder) -> None:
    table = binary_data(60)
    table[:, 0] *= 3
    channels = {"train": ("text/csv", {"a.csv": csv_text(table)})}
    job = make_job({"num_round": "2", "objective": "binary:logistic"}, channels)
    assert "base_score must be in (0,1) for the logistic loss" in last_message(job, "3.0-5")


def test_failure_reason_is_truncated(make_job: JobBuilder) -> None:
    job = make_job({"num_round": "2", "silent": "0"}, {"train": ("text/csv", {"a.csv": GOOD_CSV})})
    outcome = train(job, log=lambda line: None, should_stop=lambda: False, nthread=1)
    assert outcome.failure_reason is not None
    assert len(outcome.failure_reason) <= 1024
    assert outcome.failure_reason.startswith("AlgorithmError: framework error: \nTraceback")
