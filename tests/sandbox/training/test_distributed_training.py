"""Multi-host XGBoost training in local worker processes: work layer and whole jobs."""

from __future__ import annotations

import io
import json
import logging
import os
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from sandbox_helpers import make_rows, to_csv, training_request, upload_channels, wait_for_job

from sandbox.algorithms.xgboost import distributed, train

HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "num_round": "8",
    "tree_method": "hist",
    "eval_metric": "auc",
}
PARAMS = {"objective": "binary:logistic", "tree_method": "hist", "eval_metric": "auc"}


def _job_dir(
    root: Path, parts: list[np.ndarray], hosts: int, distribution: str, **hyperparameters: str
) -> Path:
    config = root / "input" / "config"
    config.mkdir(parents=True)
    (root / "model").mkdir()
    channel = root / "input" / "data" / "train"
    channel.mkdir(parents=True)
    for index, rows in enumerate(parts):
        (channel / f"part-{index}.csv").write_bytes(to_csv(rows))
    inputs = {
        "train": {
            "ContentType": "text/csv",
            "S3DistributionType": distribution,
            "TrainingInputMode": "File",
        }
    }
    resources = {"current_host": "algo-1", "hosts": [f"algo-{n}" for n in range(1, hosts + 1)]}
    (config / "hyperparameters.json").write_text(json.dumps({**HYPERPARAMETERS, **hyperparameters}))
    (config / "inputdataconfig.json").write_text(json.dumps(inputs))
    (config / "resourceconfig.json").write_text(json.dumps(resources))
    return root


def _train_hosts(job_dir: Path) -> tuple[object, dict[str, list[str]]]:
    lines: dict[str, list[str]] = {}

    def host_log(host: str):
        return lines.setdefault(host, []).append

    outcome = train(
        job_dir,
        log=host_log("algo-1"),
        host_log=host_log,
        should_stop=lambda: False,
        nthread=2,
    )
    return outcome, lines


def _single_process_model(rows: np.ndarray, rounds: int = 8) -> xgb.Booster:
    # The job files hold six significant digits, so the reference reads the same text.
    parsed = np.loadtxt(to_csv(rows).decode().splitlines(), delimiter=",", dtype=np.float32)
    matrix = xgb.DMatrix(parsed[:, 1:], label=parsed[:, 0])
    return xgb.train({**PARAMS, "nthread": 1}, matrix, rounds)


def _predictions(booster: xgb.Booster, rows: np.ndarray) -> np.ndarray:
    return booster.predict(xgb.DMatrix(rows[:, 1:].astype(np.float32)))


def test_sharded_hosts_match_single_process_model(tmp_path):
    parts = [make_rows(150, seed=seed) for seed in range(4)]
    job_dir = _job_dir(tmp_path, parts, hosts=2, distribution="ShardedByS3Key")

    outcome, lines = _train_hosts(job_dir)

    assert outcome.status == "Completed"
    assert outcome.rounds_completed == 8
    everything = np.vstack(parts)
    model = xgb.Booster(model_file=str(job_dir / "model" / "xgboost-model"))
    expected = _single_process_model(np.vstack([parts[0], parts[2], parts[1], parts[3]]))
    difference = np.abs(_predictions(model, everything) - _predictions(expected, everything))
    assert difference.max() < 1e-5
    assert any("Train matrix has 300 rows" in line for line in lines["algo-1"])
    assert any("Train matrix has 300 rows" in line for line in lines["algo-2"])
    assert any("Distributed node training with 2 hosts" in line for line in lines["algo-2"])
    assert sum(line.startswith("[7]\ttrain-auc:") for line in lines["algo-2"]) == 1
    assert sorted(path.name for path in (job_dir / "model").iterdir()) == ["xgboost-model"]


def test_replicated_hosts_each_train_on_all_rows(tmp_path):
    rows = make_rows(300)
    job_dir = _job_dir(tmp_path, [rows], hosts=2, distribution="FullyReplicated")

    outcome, lines = _train_hosts(job_dir)

    assert outcome.status == "Completed"
    assert any("Train matrix has 300 rows" in line for line in lines["algo-2"])
    model = xgb.Booster(model_file=str(job_dir / "model" / "xgboost-model"))
    twice = _single_process_model(np.vstack([rows, rows]))
    once = _single_process_model(rows)
    assert np.abs(_predictions(model, rows) - _predictions(twice, rows)).max() < 1e-5
    # The hessian sums double, so the trees differ from one copy of the data.
    assert np.abs(_predictions(model, rows) - _predictions(once, rows)).max() > 1e-3


def test_host_without_shard_is_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "MAX_WORKER_PROCESSES", 1)
    parts = [make_rows(100, seed=seed) for seed in range(2)]
    job_dir = _job_dir(
        tmp_path, parts, hosts=3, distribution="ShardedByS3Key", eval_metric="auc,f1"
    )

    outcome, lines = _train_hosts(job_dir)

    assert outcome.status == "Completed"
    assert any(
        "Host algo-3 does not have train data. Will broadcast to cluster" in line
        for line in lines["algo-3"]
    )
    assert any("3 hosts share 1 worker processes (at most 1)" in line for line in lines["algo-1"])
    assert any(
        "host algo-2 trains in the worker process of algo-1" in line for line in lines["algo-2"]
    )
    assert any("Train matrix has 200 rows" in line for line in lines["algo-1"])
    assert any(
        line.startswith("[7]\ttrain-auc:") and "train-f1:" in line for line in lines["algo-1"]
    )


def test_invalid_hyperparameter_fails_before_workers_start(tmp_path):
    job_dir = _job_dir(
        tmp_path, [make_rows(50)], hosts=2, distribution="FullyReplicated", max_depth="-1"
    )

    outcome, lines = _train_hosts(job_dir)

    assert outcome.status == "Failed"
    assert outcome.failure_reason is not None
    assert "max_depth" in outcome.failure_reason
    assert not (job_dir / "distributed").exists()
    assert any("Running XGBoost Sagemaker in algorithm mode" in line for line in lines["algo-1"])


def test_no_training_data_on_any_host_fails(tmp_path):
    job_dir = _job_dir(tmp_path, [], hosts=2, distribution="ShardedByS3Key")

    outcome, _ = _train_hosts(job_dir)

    assert outcome.status == "Failed"
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.endswith(
        "No data in training channel path /opt/ml/input/data/train"
    )


@pytest.mark.parametrize(
    ("distribution", "host", "expected"),
    [
        ("ShardedByS3Key", 0, ["a", "c", "e"]),
        ("ShardedByS3Key", 1, ["b", "d"]),
        ("FullyReplicated", 1, ["a", "b", "c", "d", "e"]),
    ],
)
def test_host_share_deals_files_in_key_order(tmp_path, distribution, host, expected):
    for name in "abcde":
        (tmp_path / name).write_text("1,2\n")
    files = distributed.data.list_channel_files(tmp_path, "train", lambda _message: None)

    share = distributed.host_share(files, distribution, host, 2)

    assert [path.name for path in share.files] == expected
    assert share.total_size == 4 * len(expected)


def _worker_pids(caplog) -> list[int]:
    return [
        pid
        for record in caplog.records
        if "worker processes" in record.getMessage()
        for pid in record.args[2]
    ]


def _wait_for_log_line(session, job_name: str, prefix: str, timeout: float = 60.0) -> None:
    logs = session.client("logs")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            streams = logs.describe_log_streams(
                logGroupName="/aws/sagemaker/TrainingJobs",
                logStreamNamePrefix=f"{job_name}/algo-1-",
            )["logStreams"]
        except logs.exceptions.ResourceNotFoundException:
            streams = []
        for stream in streams:
            events = logs.get_log_events(
                logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"]
            )["events"]
            if any(event["message"].startswith(prefix) for event in events):
                return
        time.sleep(0.1)
    raise TimeoutError(f"no log line of {job_name} starts with {prefix!r}")


def test_stopped_job_terminates_workers_and_keeps_model(session, sagemaker, s3, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.algorithms.xgboost.distributed")
    upload_channels(session, "dstop", to_csv(make_rows(1000)))
    hyperparameters = {
        "objective": "binary:logistic",
        "num_round": "100000",
        "max_depth": "6",
        "save_model_on_termination": "true",
    }
    request = training_request(session, "job-dstop", "dstop", hyperparameters, channels=("train",))
    request["ResourceConfig"]["InstanceCount"] = 2
    sagemaker.create_training_job(**request)

    _wait_for_log_line(session, "job-dstop", "[3]")
    sagemaker.stop_training_job(TrainingJobName="job-dstop")
    described = wait_for_job(sagemaker, "job-dstop")

    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "Stopped"
    artifact = described["ModelArtifacts"]["S3ModelArtifacts"].split("/", 3)[3]
    archive = s3.get_object(Bucket=session.bucket, Key=artifact)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as members:
        assert members.getnames() == ["xgboost-model"]
    pids = _worker_pids(caplog)
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_max_runtime_terminates_starting_workers(session, sagemaker, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.algorithms.xgboost.distributed")
    upload_channels(session, "druntime", to_csv(make_rows(200)))
    request = training_request(session, "job-druntime", "druntime", channels=("train",))
    request["ResourceConfig"]["InstanceCount"] = 2
    request["StoppingCondition"]["MaxRuntimeInSeconds"] = 1
    sagemaker.create_training_job(**request)

    described = wait_for_job(sagemaker, "job-druntime")

    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "MaxRuntimeExceeded"
    pids = _worker_pids(caplog)
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
