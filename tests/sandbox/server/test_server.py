"""`python -m sandbox serve` in a subprocess on 127.0.0.1, driven by plain boto3 clients."""

from __future__ import annotations

import socket
import time
from typing import Any

import boto3
import numpy as np
import pytest

from sandbox import cli
from sandbox.server import ServerError, check_loopback_host, student_credentials

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/SageLabSageMakerRole"
BUCKET = "sagemaker-us-east-1-123456789012"
KEYS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}


def client(service: str, url: str, **keys: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, **(keys or KEYS))


def poll(read: Any, done: tuple[str, ...], timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status: str = read()
        if status in done:
            return status
        assert time.monotonic() < deadline, f"still {status} after {timeout} s"
        time.sleep(0.2)


def csv_rows(count: int) -> bytes:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(count, 3))
    labels = (values[:, 0] > 0).astype(int)
    lines = [
        f"{label}," + ",".join(f"{v:.5f}" for v in row)
        for label, row in zip(labels, values, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.slow
def test_train_deploy_invoke_through_http(server):
    sagemaker, s3 = client("sagemaker", server), client("s3", server)
    runtime = client("sagemaker-runtime", server)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="http/train/data.csv", Body=csv_rows(200))

    sagemaker.create_training_job(
        TrainingJobName="http-job",
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"objective": "binary:logistic", "num_round": "10"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{BUCKET}/http/train/",
                    }
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/http/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 300},
    )
    job_status = poll(
        lambda: sagemaker.describe_training_job(TrainingJobName="http-job")["TrainingJobStatus"],
        ("Completed", "Failed", "Stopped"),
    )
    artifact = sagemaker.describe_training_job(TrainingJobName="http-job")["ModelArtifacts"]

    sagemaker.create_model(
        ModelName="http-model",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifact["S3ModelArtifacts"]},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="http-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "http-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="http-endpoint", EndpointConfigName="http-config")
    endpoint_status = poll(
        lambda: sagemaker.describe_endpoint(EndpointName="http-endpoint")["EndpointStatus"],
        ("InService", "Failed"),
    )
    response = runtime.invoke_endpoint(
        EndpointName="http-endpoint", ContentType="text/csv", Body=b"1.5,0.2,-0.3\n-2.0,0.1,0.4\n"
    )
    scores = [float(line) for line in response["Body"].read().decode().splitlines()]

    assert job_status == "Completed"
    assert endpoint_status == "InService"
    assert response["ContentType"].startswith("text/csv")
    assert len(scores) == 2
    assert scores[0] > 0.5 > scores[1]


def test_accounts_keep_students_apart(server):
    alice = student_credentials(server, "111122223333", "alice")
    bob = student_credentials(server, "444455556666", "bob")
    client("s3", server, **alice).create_bucket(Bucket="alice-course-data")

    alice_buckets = [b["Name"] for b in client("s3", server, **alice).list_buckets()["Buckets"]]
    bob_buckets = [b["Name"] for b in client("s3", server, **bob).list_buckets()["Buckets"]]

    assert client("sts", server, **alice).get_caller_identity()["Account"] == "111122223333"
    assert client("sts", server, **bob).get_caller_identity()["Account"] == "444455556666"
    assert alice_buckets == ["alice-course-data"]
    assert bob_buckets == []


def test_status_lists_what_exists(server, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/sagelab-aws-credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/sagelab-aws-config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client("s3", server).create_bucket(Bucket="status-bucket")

    code = cli.main(["status", "--endpoint-url", server])

    output = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert output.startswith(f"sandbox at {server}\nbuckets (")
    assert "  status-bucket\n" in output
    assert "\nendpoints (" in output


def test_status_rejects_remote_endpoint(capsys):
    code = cli.main(["status", "--endpoint-url", "http://10.0.0.5:5000"])

    assert code == cli.EXIT_CONFIG
    assert capsys.readouterr().err == (
        "error: --endpoint-url http://10.0.0.5:5000 is not a loopback URL: a sandbox server "
        "listens on loopback only, e.g. http://127.0.0.1:5000\n"
    )


def test_status_without_server_says_how_to_start_one(capsys, free_port):
    url = f"http://127.0.0.1:{free_port()}"

    code = cli.main(["status", "--endpoint-url", url])

    assert code == cli.EXIT_UNREACHABLE
    assert capsys.readouterr().err.endswith("start one with `python -m sandbox serve`\n")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_serve_rejects_non_loopback_hosts(host):
    with pytest.raises(ServerError, match="loopback"):
        check_loopback_host(host)


def test_serve_command_rejects_wildcard_host(capsys, free_port):
    code = cli.main(["serve", "--host", "0.0.0.0", "--port", str(free_port())])

    assert code == cli.EXIT_CONFIG
    assert capsys.readouterr().err == (
        "error: --host 0.0.0.0 is not a loopback address: the sandbox server listens on "
        "loopback addresses only (127.0.0.0/8 or ::1), e.g. --host 127.0.0.1\n"
    )


def test_serve_on_a_busy_port_fails_fast(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        code = cli.main(["serve", "--port", str(port)])

    assert code == cli.EXIT_CONFIG
    assert capsys.readouterr().err == (
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): stop the "
        "process using that port, or pick another with --port\n"
    )
