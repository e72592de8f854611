"""`python -m sandbox doctor` checks, with every AWS response from a Stubber."""

from __future__ import annotations

import json

from sandbox import cli
from sandbox.cli.doctor import Doctor, Status
from sandbox.guardrails import GuardrailPolicy

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def role_response(trust: str) -> dict:
    return {
        "Role": {
            "Path": "/",
            "RoleName": "SageMakerExecutionRole",
            "RoleId": "AROAEXAMPLEEXAMPLE01",
            "Arn": ROLE,
            "CreateDate": "2026-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": trust,
        }
    }


def quota(name: str, value: float) -> dict:
    return {"ServiceCode": "sagemaker", "QuotaName": name, "QuotaCode": "L-1", "Value": value}


def plan_account(stubbed, trust: str, quotas: list[dict]) -> None:
    stubbed.plan(
        "sts",
        lambda stub: stub.add_response(
            "get_caller_identity", {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/s"}
        ),
    )
    stubbed.plan(
        "iam",
        lambda stub: stub.add_response(
            "get_role", role_response(trust), {"RoleName": "SageMakerExecutionRole"}
        ),
    )
    stubbed.plan(
        "s3",
        lambda stub: stub.add_client_error(
            "head_bucket", service_error_code="404", http_status_code=404
        ),
    )
    stubbed.plan(
        "service-quotas",
        lambda stub: stub.add_response(
            "list_service_quotas", {"Quotas": quotas}, {"ServiceCode": "sagemaker"}
        ),
    )


def test_ready_account_passes(stubbed, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    plan_account(stubbed, TRUST, [quota("ml.m5.large for training job usage", 2)])
    policy = GuardrailPolicy(allowed_instance_types=frozenset({"ml.m5.large"}))

    results = Doctor(stubbed.boto_session, policy).run()

    stubbed.assert_all_answered()
    assert [(r.name, r.status) for r in results] == [
        ("region", Status.OK),
        ("credentials", Status.OK),
        ("role", Status.OK),
        ("bucket", Status.WARN),
        ("quotas", Status.OK),
    ]
    assert results[3].message == (
        f"sagemaker-us-east-1-{ACCOUNT} does not exist yet: connect() creates it"
    )


def test_untrusted_role_and_zero_quota(stubbed, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    untrusted = TRUST.replace("sagemaker.amazonaws.com", "ec2.amazonaws.com")
    plan_account(stubbed, untrusted, [quota("ml.m5.large for endpoint usage", 0)])
    policy = GuardrailPolicy(allowed_instance_types=frozenset({"ml.m5.large"}))

    role, quotas = [
        r for r in Doctor(stubbed.boto_session, policy).run() if r.name in ("role", "quotas")
    ]

    assert role.status is Status.FAIL
    assert role.message == (
        f"{ROLE} does not trust sagemaker.amazonaws.com: add it as a Service principal of "
        "the role's trust policy"
    )
    assert quotas.status is Status.WARN
    assert quotas.message.startswith("these quotas are 0: ml.m5.large for endpoint usage. ")


def test_doctor_command_without_credentials(capsys):
    code = cli.main(["doctor", "--region", "us-east-1"])

    output = capsys.readouterr().out.splitlines()
    assert code == cli.EXIT_FAILED
    assert output[0] == "[     ok] region: us-east-1"
    assert output[1].startswith("[   FAIL] credentials: no AWS credentials found: run ")
    assert output[2:] == [
        "[skipped] role: needs working credentials",
        "[skipped] bucket: needs working credentials",
        "[skipped] quotas: needs working credentials",
    ]
