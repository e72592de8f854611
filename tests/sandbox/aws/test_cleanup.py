"""Cleanup on a moto account (in process) holding tagged and untagged resources."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from sandbox_helpers import make_rows, to_csv, training_request, upload_channels

import sandbox
from sandbox import cli, guardrails
from sandbox.cli import cleanup

LONG_RUN = {"objective": "binary:logistic", "num_round": "100000"}


def create_family(session: Any, client: Any, prefix: str) -> None:
    """Create a model, an endpoint config, an endpoint and a running training job."""
    client.create_model(
        ModelName=f"{prefix}-model",
        ExecutionRoleArn=session.role_arn,
        PrimaryContainer={
            "Image": session.image_uri("xgboost", "1.7-1"),
            "ModelDataUrl": f"s3://{session.bucket}/{prefix}/model.tar.gz",
        },
    )
    client.create_endpoint_config(
        EndpointConfigName=f"{prefix}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{prefix}-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    client.create_endpoint(EndpointName=f"{prefix}-endpoint", EndpointConfigName=f"{prefix}-config")
    client.create_training_job(
        **training_request(session, f"{prefix}-job", "data", LONG_RUN, channels=("train",))
    )


@pytest.fixture
def account(monkeypatch):
    """A local sandbox account with tagged ('lab3', 'lab5') and untagged ('plain') resources."""
    monkeypatch.setattr(cleanup, "ENDPOINT_POLL_SECONDS", 0.1)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with sandbox.connect() as session:
        upload_channels(session, "data", to_csv(make_rows(200)))
        for lab, prefix in (("03-train", "lab3"), ("05-deploy", "lab5")):
            tagged = session.client("sagemaker")
            guardrails.install(tagged.meta.events, guardrails.GuardrailPolicy(lab=lab))
            create_family(session, tagged, prefix)
        plain = session.client("sagemaker")
        create_family(session, plain, "plain")
        yield session, plain
        _stop_running(plain)


def _stop_running(sagemaker: Any) -> None:
    """Stop the jobs still running and wait, so no worker writes after the mock resets."""
    jobs = sagemaker.list_training_jobs(StatusEquals="InProgress")["TrainingJobSummaries"]
    for job in jobs:
        sagemaker.stop_training_job(TrainingJobName=job["TrainingJobName"])
    for job in sagemaker.list_training_jobs()["TrainingJobSummaries"]:
        _wait_for_job(sagemaker, job["TrainingJobName"], ("Completed", "Failed", "Stopped"))


def names(resources: list[cleanup.Resource]) -> list[tuple[str, str]]:
    return sorted((resource.family.kind, resource.name) for resource in resources)


def test_find_tagged_lists_only_course_resources(account):
    _, sagemaker = account

    found = cleanup.find_tagged(sagemaker)

    assert names(found) == sorted(
        (kind, f"{prefix}-{suffix}")
        for prefix in ("lab3", "lab5")
        for kind, suffix in (
            ("endpoint", "endpoint"),
            ("endpoint config", "config"),
            ("model", "model"),
            ("training job", "job"),
        )
    )
    assert {resource.lab for resource in found} == {"03-train", "05-deploy"}


def test_find_tagged_filters_by_lab(account):
    _, sagemaker = account

    found = cleanup.find_tagged(sagemaker, lab="05-deploy")

    assert names(found) == [
        ("endpoint", "lab5-endpoint"),
        ("endpoint config", "lab5-config"),
        ("model", "lab5-model"),
        ("training job", "lab5-job"),
    ]


def test_cleanup_command_removes_tagged_and_keeps_the_rest(account, capsys):
    _, sagemaker = account

    code = cli.main(["cleanup", "--yes", "--region", "us-east-1", "--lab", "03-train"])

    output = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "4 cleaned up, 0 failed" in output
    endpoints = [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
    assert "lab3-endpoint" not in endpoints or _status(sagemaker, "lab3-endpoint") == "Deleting"
    assert "plain-endpoint" in endpoints
    assert "lab5-endpoint" in endpoints
    models = {m["ModelName"] for m in sagemaker.list_models()["Models"]}
    assert models == {"lab5-model", "plain-model"}
    configs = {
        c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
    }
    assert configs == {"lab5-config", "plain-config"}
    assert _job_status(sagemaker, "lab3-job") in ("Stopping", "Stopped")
    assert _job_status(sagemaker, "plain-job") == "InProgress"
    assert _job_status(sagemaker, "lab5-job") == "InProgress"


def test_declined_cleanup_changes_nothing(account, monkeypatch, capsys):
    _, sagemaker = account
    monkeypatch.setattr("builtins.input", lambda prompt: "n")

    code = cli.main(["cleanup", "--region", "us-east-1"])

    assert code == cli.EXIT_ABORTED
    assert "cleanup cancelled: nothing was changed" in capsys.readouterr().out
    assert len(sagemaker.list_models()["Models"]) == 3
    assert _job_status(sagemaker, "lab3-job") == "InProgress"


def test_finished_jobs_are_left_alone(account):
    _, sagemaker = account
    sagemaker.stop_training_job(TrainingJobName="lab3-job")
    _wait_for_job(sagemaker, "lab3-job", ("Stopped",))

    found = cleanup.find_tagged(sagemaker, lab="03-train")

    assert ("training job", "lab3-job") not in names(found)


def test_cleanup_without_credentials_is_one_line(monkeypatch, capsys):
    code = cli.main(["cleanup", "--yes", "--region", "us-east-1"])

    assert code == cli.EXIT_CONFIG
    assert capsys.readouterr().err == f"error: {sandbox.aws.CREDENTIALS_FIX}\n"


def test_failed_stop_is_reported_and_the_rest_continue():
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    arn = "arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/tune-1"
    by_kind = {family.kind: family for family in cleanup.FAMILIES}
    resources = [
        cleanup.Resource(by_kind["tuning job"], "tune-1", arn, "04-tune"),
        cleanup.Resource(by_kind["transform job"], "batch-1", arn, "06-batch"),
    ]
    lines: list[str] = []

    with Stubber(client) as stub:
        stub.add_client_error(
            "stop_hyper_parameter_tuning_job",
            service_error_code="ResourceNotFound",
            service_message="Could not find hyper parameter tuning job 'tune-1'.",
            expected_params={"HyperParameterTuningJobName": "tune-1"},
        )
        stub.add_response("stop_transform_job", {}, {"TransformJobName": "batch-1"})
        outcomes = cleanup.clean(client, resources, report=lines.append)

    assert [outcome.error for outcome in outcomes] == [
        "Could not find hyper parameter tuning job 'tune-1'.",
        None,
    ]
    assert lines == [
        "failed: stop tuning job tune-1 (lab 04-tune): "
        "Could not find hyper parameter tuning job 'tune-1'.",
        "done:   stop transform job batch-1 (lab 06-batch)",
    ]


def _status(sagemaker: Any, endpoint: str) -> str:
    status: str = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    return status


def _job_status(sagemaker: Any, name: str) -> str:
    status: str = sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
    return status


def _wait_for_job(sagemaker: Any, name: str, statuses: tuple[str, ...]) -> None:
    deadline = time.monotonic() + 30
    while _job_status(sagemaker, name) not in statuses:
        assert time.monotonic() < deadline, f"{name} did not reach {statuses}"
        time.sleep(0.1)


def tuning_request(session: Any, name: str) -> dict[str, Any]:
    """Return a tuning job whose single child trains long enough to be stopped."""
    job = training_request(session, "unused", "data", LONG_RUN)
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {
                "Type": "Minimize",
                "MetricName": "validation:logloss",
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.3"}]
            },
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": LONG_RUN,
            "AlgorithmSpecification": job["AlgorithmSpecification"],
            "RoleArn": job["RoleArn"],
            "InputDataConfig": job["InputDataConfig"],
            "OutputDataConfig": job["OutputDataConfig"],
            "ResourceConfig": job["ResourceConfig"],
            "StoppingCondition": job["StoppingCondition"],
        },
    }


def test_cleanup_stops_tagged_tuning_job(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with sandbox.connect() as session:
        upload_channels(session, "data", to_csv(make_rows(200)), to_csv(make_rows(50, seed=1)))
        tagged = session.client("sagemaker")
        guardrails.install(tagged.meta.events, guardrails.GuardrailPolicy(lab="04-tune"))
        tagged.create_hyper_parameter_tuning_job(**tuning_request(session, "tagged-tune"))
        plain = session.client("sagemaker")
        plain.create_hyper_parameter_tuning_job(**tuning_request(session, "plain-tune"))

        code = cli.main(["cleanup", "--yes", "--region", "us-east-1", "--lab", "04-tune"])
        tagged_status = _tuning_status(plain, "tagged-tune")
        plain_status = _tuning_status(plain, "plain-tune")
        plain.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="plain-tune")
        for name in ("tagged-tune", "plain-tune"):
            _wait_for_tuning(plain, name)

    output = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "done:   stop tuning job tagged-tune (lab 04-tune)" in output
    assert tagged_status in ("Stopping", "Stopped")
    assert plain_status == "InProgress"


def _tuning_status(sagemaker: Any, name: str) -> str:
    described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    status: str = described["HyperParameterTuningJobStatus"]
    return status


def _wait_for_tuning(sagemaker: Any, name: str) -> None:
    deadline = time.monotonic() + 30
    while _tuning_status(sagemaker, name) not in ("Completed", "Failed", "Stopped"):
        assert time.monotonic() < deadline, f"tuning job {name} did not end"
        time.sleep(0.1)
