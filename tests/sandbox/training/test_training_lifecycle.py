"""Training jobs end to end through boto3: one test per terminal path."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import xgboost as xgb
from sandbox_helpers import (
    make_rows,
    to_csv,
    training_request,
    upload_channels,
    wait_for_job,
    wait_until_terminal,
)


def test_completed_job_walks_the_service_statuses(session, sagemaker):
    rows = make_rows(400)
    upload_channels(session, "ok", to_csv(rows), to_csv(make_rows(200, seed=1)))
    sagemaker.create_training_job(**training_request(session, "job-ok", "ok"))

    first = sagemaker.describe_training_job(TrainingJobName="job-ok")
    described = wait_for_job(sagemaker, "job-ok")

    assert first["TrainingJobStatus"] == "InProgress"
    assert described["TrainingJobStatus"] == "Completed"
    assert described["SecondaryStatus"] == "Completed"
    statuses = [t["Status"] for t in described["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert all("EndTime" in t for t in described["SecondaryStatusTransitions"][:-1])
    assert described["TrainingEndTime"] >= described["TrainingStartTime"]
    assert described["TrainingTimeInSeconds"] >= 1
    assert described["BillableTimeInSeconds"] == described["TrainingTimeInSeconds"]


def test_completed_job_reports_last_metric_values(session, sagemaker):
    upload_channels(session, "metrics", to_csv(make_rows(300)), to_csv(make_rows(100, seed=2)))
    sagemaker.create_training_job(**training_request(session, "job-metrics", "metrics"))

    described = wait_for_job(sagemaker, "job-metrics")

    names = sorted(metric["MetricName"] for metric in described["FinalMetricDataList"])
    assert names == ["train:auc", "validation:auc"]
    logs = session.client("logs")
    stream = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="job-metrics/"
    )["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)
    last_round = [e["message"] for e in events["events"] if e["message"].startswith("[19]")]
    assert last_round, "the log has no line for round 19"
    assert "#011train-auc:" in last_round[0]
    validation = next(
        m for m in described["FinalMetricDataList"] if m["MetricName"] == "validation:auc"
    )
    logged = float(last_round[0].split("#011validation-auc:")[1])
    assert validation["Value"] == logged


def test_completed_job_writes_a_loadable_model(session, sagemaker, s3):
    body = to_csv(make_rows(300))
    rows = np.loadtxt(io.BytesIO(body), delimiter=",")
    upload_channels(session, "model", body)
    request = training_request(session, "job-model", "model", channels=("train",))
    sagemaker.create_training_job(**request)

    described = wait_for_job(sagemaker, "job-model")

    uri = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{session.bucket}/model/output/job-model/output/model.tar.gz"
    body = s3.get_object(Bucket=session.bucket, Key=uri.split("/", 3)[3])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        assert archive.getnames() == ["xgboost-model"]
        booster = xgb.Booster()
        booster.load_model(bytearray(archive.extractfile("xgboost-model").read()))
    direct = xgb.train(
        {"objective": "binary:logistic", "eval_metric": "auc", "nthread": 1},
        xgb.DMatrix(rows[:, 1:], label=rows[:, 0]),
        num_boost_round=20,
    )
    features = xgb.DMatrix(rows[:, 1:])
    np.testing.assert_allclose(booster.predict(features), direct.predict(features), rtol=1e-5)


def test_header_row_fails_the_job_with_the_container_reason(session, sagemaker):
    upload_channels(session, "header", b"label,a,b,c,d\n" + to_csv(make_rows(50)))
    request = training_request(session, "job-header", "header", channels=("train",))
    sagemaker.create_training_job(**request)

    described = wait_until_terminal(sagemaker, "job-header")

    assert described["TrainingJobStatus"] == "Failed"
    assert described["SecondaryStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("AlgorithmError: framework error: \nTraceback")
    assert 'File "sandbox/algorithms/xgboost/' in reason
    assert "First line 'label,a,b,c,d" in reason
    assert len(reason) <= 1024
    logged = "\n".join(_log_messages(session, "job-header"))
    assert "Reporting training FAILURE" in logged
    assert logged.endswith(
        "First line 'label,a,b,c,d...' of file 'data.csv' is not 'CSV' format. "
        "Please ensure the file is in 'CSV' format."
    )


def test_legacy_hyperparameter_fails_the_job(session, sagemaker):
    upload_channels(session, "legacy", to_csv(make_rows(50)))
    hyperparameters = {"objective": "binary:logistic", "num_round": "5", "silent": "1"}
    request = training_request(
        session, "job-legacy", "legacy", hyperparameters, channels=("train",)
    )
    sagemaker.create_training_job(**request)

    described = wait_until_terminal(sagemaker, "job-legacy")

    assert described["TrainingJobStatus"] == "Failed"
    assert described["FailureReason"].endswith("Extraneous hyperparameter found: silent")


def test_stop_training_job_ends_stopped(session, sagemaker):
    upload_channels(session, "stop", to_csv(make_rows(2000)))
    hyperparameters = {"objective": "binary:logistic", "num_round": "100000", "max_depth": "8"}
    request = training_request(session, "job-stop", "stop", hyperparameters, channels=("train",))
    sagemaker.create_training_job(**request)

    _wait_for_secondary(sagemaker, "job-stop", "Training")
    sagemaker.stop_training_job(TrainingJobName="job-stop")
    stopping = sagemaker.describe_training_job(TrainingJobName="job-stop")
    described = wait_for_job(sagemaker, "job-stop")

    assert stopping["TrainingJobStatus"] in ("Stopping", "Stopped")
    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "Stopped"
    statuses = [t["Status"] for t in described["SecondaryStatusTransitions"]]
    assert statuses[-2:] == ["Stopping", "Stopped"]


def test_max_runtime_stops_the_job(session, sagemaker):
    upload_channels(session, "timeout", to_csv(make_rows(2000)))
    hyperparameters = {"objective": "binary:logistic", "num_round": "100000", "max_depth": "8"}
    request = training_request(
        session,
        "job-timeout",
        "timeout",
        hyperparameters,
        channels=("train",),
        StoppingCondition={"MaxRuntimeInSeconds": 1},
    )
    sagemaker.create_training_job(**request)

    described = wait_for_job(sagemaker, "job-timeout")

    assert described["TrainingJobStatus"] == "Stopped"
    assert described["SecondaryStatus"] == "MaxRuntimeExceeded"


def _log_messages(session, job_name: str) -> list[str]:
    logs = session.client("logs")
    stream = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{job_name}/"
    )["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)
    return [event["message"] for event in events["events"]]


def _wait_for_secondary(sagemaker, name: str, status: str) -> None:
    import time

    deadline = time.monotonic() + 30
    while sagemaker.describe_training_job(TrainingJobName=name)["SecondaryStatus"] != status:
        assert time.monotonic() < deadline, f"{name} never reached {status}"
        time.sleep(0.02)


def test_closing_the_session_stops_running_jobs(caplog):
    import sandbox

    session = sandbox.connect()
    upload_channels(session, "close", to_csv(make_rows(2000)))
    hyperparameters = {"objective": "binary:logistic", "num_round": "100000", "max_depth": "8"}
    request = training_request(session, "job-close", "close", hyperparameters, channels=("train",))
    sagemaker = session.client("sagemaker")
    sagemaker.create_training_job(**request)
    _wait_for_secondary(sagemaker, "job-close", "Training")
    backend = _backend_of(session)
    job = backend.training.get("job-close")

    session.close()

    assert job.status.value == "Stopped"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def _backend_of(session):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[session.account_id][session.region]
