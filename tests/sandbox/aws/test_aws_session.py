"""The AWS backend against stubbed clients: account, role, bucket and one-line errors.

No AWS account is reachable from the tests, so every response comes from a botocore
Stubber, which also validates each request against the service model.
"""

from __future__ import annotations

import json

import boto3
import pytest

import sandbox
from sandbox import aws
from sandbox.guardrails import GuardrailPolicy

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/student", "UserId": "AID"}


def plan_identity(stub):
    stub.add_response("get_caller_identity", IDENTITY, {})


def test_session_reads_account_role_and_existing_bucket(stubbed, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    stubbed.plan("sts", plan_identity)
    stubbed.plan(
        "s3",
        lambda stub: stub.add_response(
            "head_bucket", {}, {"Bucket": f"sagemaker-us-east-1-{ACCOUNT}"}
        ),
    )

    session = aws.AwsSession(boto_session=stubbed.boto_session)

    stubbed.assert_all_answered()
    assert session.backend == "aws"
    assert session.account_id == ACCOUNT
    assert session.role_arn == ROLE
    assert session.bucket == f"sagemaker-us-east-1-{ACCOUNT}"
    assert session.image_uri("xgboost", "1.7-1") == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    )


def test_missing_bucket_is_created_in_the_region(stubbed_in, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    stubbed = stubbed_in(region="eu-west-1")
    bucket = f"sagemaker-eu-west-1-{ACCOUNT}"

    def plan_s3(stub):
        stub.add_client_error(
            "head_bucket",
            service_error_code="404",
            http_status_code=404,
            expected_params={"Bucket": bucket},
        )
        stub.add_response(
            "create_bucket",
            {"Location": f"http://{bucket}.s3.amazonaws.com/"},
            {"Bucket": bucket, "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}},
        )

    stubbed.plan("sts", plan_identity)
    stubbed.plan("s3", plan_s3)

    session = aws.AwsSession(boto_session=stubbed.boto_session)

    stubbed.assert_all_answered()
    assert session.bucket == bucket


def test_bucket_owned_elsewhere_names_the_bucket(stubbed, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    stubbed.plan("sts", plan_identity)
    stubbed.plan(
        "s3",
        lambda stub: stub.add_client_error(
            "head_bucket", service_error_code="403", http_status_code=403
        ),
    )

    with pytest.raises(sandbox.SandboxError) as excinfo:
        aws.AwsSession(boto_session=stubbed.boto_session)

    assert str(excinfo.value) == (
        f"bucket sagemaker-us-east-1-{ACCOUNT} exists but this account cannot use it: give "
        "the role s3:ListBucket on it, or delete the bucket if it belongs to you"
    )


def test_missing_role_outside_studio_says_what_to_set(stubbed, monkeypatch, tmp_path):
    monkeypatch.setattr(aws, "STUDIO_METADATA", tmp_path / "absent.json")
    stubbed.plan("sts", plan_identity)

    with pytest.raises(sandbox.SandboxError) as excinfo:
        aws.AwsSession(boto_session=stubbed.boto_session)

    assert str(excinfo.value) == (
        "SAGELAB_ROLE_ARN is not set and this is not a SageMaker Studio or notebook "
        "instance: set it to the ARN of an IAM role that SageMaker can assume, e.g. "
        f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
    )


def test_missing_credentials_give_one_line(no_network):
    with pytest.raises(sandbox.SandboxError) as excinfo:
        aws.AwsSession(region="us-east-1")

    assert str(excinfo.value) == aws.CREDENTIALS_FIX
    assert "\n" not in str(excinfo.value)
    assert excinfo.value.__suppress_context__
    assert no_network == []


def test_connect_aws_without_region_names_the_variables(monkeypatch):
    monkeypatch.setenv("SAGELAB_BACKEND", "aws")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("SAGELAB_REGION", raising=False)

    with pytest.raises(sandbox.SandboxError) as excinfo:
        sandbox.connect()

    assert str(excinfo.value) == aws.REGION_FIX


def test_studio_user_profile_role(tmp_path):
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"DomainId": "d-abc123", "UserProfileName": "student-1"}))
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    from botocore.stub import Stubber

    with Stubber(client) as stub:
        stub.add_response(
            "describe_user_profile",
            {"UserSettings": {"ExecutionRole": ROLE}},
            {"DomainId": "d-abc123", "UserProfileName": "student-1"},
        )
        role = aws.studio_execution_role(client, metadata)

    assert role == ROLE


def test_studio_role_falls_back_to_the_domain(tmp_path):
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"DomainId": "d-abc123", "UserProfileName": "student-1"}))
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    from botocore.stub import Stubber

    with Stubber(client) as stub:
        stub.add_response("describe_user_profile", {"UserSettings": {}})
        stub.add_response(
            "describe_domain",
            {"DefaultUserSettings": {"ExecutionRole": ROLE}},
            {"DomainId": "d-abc123"},
        )
        role = aws.studio_execution_role(client, metadata)

    assert role == ROLE


def test_notebook_instance_role(tmp_path):
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceName": "course-notebook"}))
    client = boto3.client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    from botocore.stub import Stubber

    with Stubber(client) as stub:
        stub.add_response(
            "describe_notebook_instance",
            {"RoleArn": ROLE},
            {"NotebookInstanceName": "course-notebook"},
        )
        role = aws.studio_execution_role(client, metadata)

    assert role == ROLE


def test_session_policy_comes_from_lab_argument(stubbed, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    monkeypatch.setenv("SAGELAB_LAB", "03-train")
    stubbed.plan("sts", plan_identity)
    stubbed.plan("s3", lambda stub: stub.add_response("head_bucket", {}))

    session = aws.AwsSession(boto_session=stubbed.boto_session, lab="05-deploy")

    assert session.policy == GuardrailPolicy.from_env("05-deploy")
    assert session.policy.lab == "05-deploy"
