"""Channels, images, metric definitions and instance counts of training jobs."""

from __future__ import annotations

import json
import logging
import os

import pytest
from sandbox_helpers import (
    make_rows,
    to_csv,
    training_request,
    upload_channels,
    wait_for_job,
    wait_until_terminal,
)


def _log_messages(session, job_name: str) -> list[str]:
    logs = session.client("logs")
    stream = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{job_name}/"
    )["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)
    return [event["message"] for event in events["events"]]


def test_manifest_file_channel_reads_the_listed_objects(session, sagemaker, s3):
    rows = make_rows(200)
    for part, chunk in enumerate((rows[:100], rows[100:])):
        s3.put_object(Bucket=session.bucket, Key=f"manifest/parts/p{part}.csv", Body=to_csv(chunk))
    manifest = [{"prefix": f"s3://{session.bucket}/manifest/parts/"}, "p0.csv", "p1.csv"]
    s3.put_object(Bucket=session.bucket, Key="manifest/train.manifest", Body=json.dumps(manifest))
    request = training_request(session, "job-manifest", "manifest", channels=("train",))
    source = request["InputDataConfig"][0]["DataSource"]["S3DataSource"]
    source.update(S3DataType="ManifestFile", S3Uri=f"s3://{session.bucket}/manifest/train.manifest")
    sagemaker.create_training_job(**request)

    described = wait_for_job(sagemaker, "job-manifest")

    assert described["TrainingJobStatus"] == "Completed"
    assert any(
        "Train matrix has 200 rows" in line for line in _log_messages(session, "job-manifest")
    )


def test_image_the_sandbox_cannot_run_fails_with_a_reason(session, sagemaker):
    upload_channels(session, "image", to_csv(make_rows(50)))
    request = training_request(session, "job-image", "image", channels=("train",))
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-pytorch:latest"
    request["AlgorithmSpecification"]["TrainingImage"] = image
    sagemaker.create_training_job(**request)

    described = wait_until_terminal(sagemaker, "job-image")

    assert described["TrainingJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        f"ClientError: the sandbox cannot run the image {image}: it runs the built-in "
        "XGBoost algorithm only (repository sagemaker-xgboost)"
    )


def test_user_metric_definitions_are_applied_to_the_log(session, sagemaker):
    upload_channels(session, "defs", to_csv(make_rows(200)), to_csv(make_rows(100, seed=3)))
    request = training_request(session, "job-defs", "defs")
    request["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "my:validation-auc", "Regex": r"#011validation-auc:([0-9.]+)"}
    ]
    sagemaker.create_training_job(**request)

    described = wait_for_job(sagemaker, "job-defs")

    final = {m["MetricName"]: m["Value"] for m in described["FinalMetricDataList"]}
    assert final["my:validation-auc"] == final["validation:auc"]
    definitions = described["AlgorithmSpecification"]["MetricDefinitions"]
    assert definitions[0]["Name"] == "my:validation-auc"
    assert any(d["Name"] == "validation:auc" for d in definitions)


def test_several_instances_train_in_worker_processes(session, sagemaker, s3, caplog):
    upload_channels(session, "multi", to_csv(make_rows(100)))
    s3.put_object(Bucket=session.bucket, Key="multi/train/more.csv", Body=to_csv(make_rows(80)))
    request = training_request(session, "job-multi", "multi", channels=("train",))
    request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"] = (
        "ShardedByS3Key"
    )
    request["ResourceConfig"]["InstanceCount"] = 2
    caplog.set_level(logging.INFO, logger="sandbox.algorithms.xgboost.distributed")
    sagemaker.create_training_job(**request)

    described = wait_for_job(sagemaker, "job-multi")

    assert described["TrainingJobStatus"] == "Completed"
    assert [m["MetricName"] for m in described["FinalMetricDataList"]] == ["train:auc"]
    logs = session.client("logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="job-multi/"
    )["logStreams"]
    names = sorted(stream["logStreamName"].rsplit("-", 1)[0] for stream in streams)
    assert names == ["job-multi/algo-1", "job-multi/algo-2"]
    for stream in streams:
        events = logs.get_log_events(
            logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream["logStreamName"]
        )["events"]
        messages = [event["message"] for event in events]
        assert any("Distributed node training with 2 hosts" in line for line in messages)
        assert any(line.startswith("[19]#011train-auc:") for line in messages)
    rows = sorted(line for line in _log_messages(session, "job-multi") if "Train matrix" in line)
    assert len(rows) == 1
    assert "Train matrix has 80 rows" in rows[0] or "Train matrix has 100 rows" in rows[0]
    pids = [
        pid
        for record in caplog.records
        if "worker processes" in record.getMessage()
        for pid in record.args[2]
    ]
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_training_metrics_reach_cloudwatch(session, sagemaker):
    upload_channels(session, "cw", to_csv(make_rows(200)), to_csv(make_rows(100, seed=4)))
    sagemaker.create_training_job(**training_request(session, "job-cw", "cw"))
    described = wait_for_job(sagemaker, "job-cw")

    statistics = session.client("cloudwatch").get_metric_statistics(
        Namespace="/aws/sagemaker/TrainingJobs",
        MetricName="validation:auc",
        Dimensions=[{"Name": "TrainingJobName", "Value": "job-cw"}],
        StartTime=described["CreationTime"].replace(year=2000),
        EndTime=described["TrainingEndTime"].replace(year=2100),
        Period=3600,
        Statistics=["SampleCount", "Maximum"],
    )

    assert sum(point["SampleCount"] for point in statistics["Datapoints"]) == 20
