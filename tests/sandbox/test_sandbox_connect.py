"""sandbox.connect(): the session object, reconnecting, and the no-network promise."""

from __future__ import annotations

import socket

import boto3
import pytest

import sandbox


def test_local_session_offers_clients_bucket_role_and_images():
    with sandbox.connect() as session:
        buckets = [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]

        assert session.backend == "local"
        assert session.bucket in buckets
        assert session.bucket == f"sagemaker-us-east-1-{session.account_id}"
        assert session.role_arn.startswith(f"arn:aws:iam::{session.account_id}:role/")
        assert session.image_uri("xgboost", "1.7-1") == (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
        )


def test_connecting_twice_keeps_the_state():
    first = sandbox.connect()
    first.client("s3").put_object(Bucket=first.bucket, Key="kept.txt", Body=b"x")

    second = sandbox.connect()
    body = second.client("s3").get_object(Bucket=second.bucket, Key="kept.txt")["Body"].read()
    first.close()
    second.close()

    assert body == b"x"


def test_closed_session_refuses_new_clients():
    session = sandbox.connect()
    session.close()

    with pytest.raises(sandbox.SandboxError, match="closed"):
        session.client("s3")


def test_unknown_backend_names_the_value_and_the_choices(monkeypatch):
    monkeypatch.setenv("SAGELAB_BACKEND", "gcp")

    with pytest.raises(sandbox.SandboxError) as excinfo:
        sandbox.connect()

    assert "SAGELAB_BACKEND='gcp'" in str(excinfo.value)
    assert "'local'" in str(excinfo.value)
    assert "'aws'" in str(excinfo.value)


@pytest.fixture
def socket_connections(monkeypatch):
    """Record (and refuse) every socket connection the process attempts."""
    attempts: list[object] = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError(f"test refused a connection to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_real_credentials_never_reach_the_network(monkeypatch, socket_connections):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")

    with sandbox.connect() as session:
        session.client("s3").list_buckets()
        session.client("sagemaker").list_training_jobs()
        session.client("sts").get_caller_identity()
        boto3.client("sagemaker", region_name="us-east-1").list_endpoints()

    assert socket_connections == []


def test_request_moto_does_not_answer_is_refused(socket_connections):
    with sandbox.connect():
        client = boto3.client(
            "s3", region_name="us-east-1", endpoint_url="https://sagelab-forbidden.invalid"
        )
        with pytest.raises(sandbox.SandboxNetworkError) as excinfo:
            client.list_buckets()

    assert "https://sagelab-forbidden.invalid" in str(excinfo.value)
    assert socket_connections == []


def test_environment_endpoint_url_never_used(monkeypatch, socket_connections):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sagelab-forbidden.invalid")

    with sandbox.connect() as session:
        session.client("sagemaker").list_training_jobs()
        with pytest.raises(sandbox.SandboxNetworkError):
            boto3.client("sagemaker", region_name="us-east-1").list_endpoints()

    assert socket_connections == []


def test_endpoint_url_argument_is_rejected_in_local_mode():
    with sandbox.connect() as session:
        with pytest.raises(sandbox.SandboxError, match="endpoint_url"):
            session.client("s3", endpoint_url="http://127.0.0.1:5000")


def test_unknown_region_names_the_value(monkeypatch):
    monkeypatch.setenv("SAGELAB_REGION", "mars-1")

    with pytest.raises(sandbox.SandboxError) as excinfo:
        sandbox.connect()

    assert str(excinfo.value).startswith("region 'mars-1' has no SageMaker: set SAGELAB_REGION")
    assert "eu-west-1" in str(excinfo.value)
