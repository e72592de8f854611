"""`python -m sandbox doctor`: check that a real AWS account is ready for the labs.

Each check returns a result with a status and, unless it passed, what to do. A check
that cannot run (for instance because the credentials are missing) is reported as
skipped instead of raising.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .. import guardrails, images
from ..aws import REGION_FIX, call_aws, studio_execution_role
from ..session import SandboxError

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    message: str

    def line(self) -> str:
        return f"[{self.status.value:>7}] {self.name}: {self.message}"


@dataclass
class Doctor:
    """The checks in order; later checks read what earlier ones found."""

    boto_session: boto3.Session
    policy: guardrails.GuardrailPolicy
    account_id: str | None = None
    role_arn: str | None = None
    results: list[CheckResult] = field(default_factory=list)

    def run(self) -> list[CheckResult]:
        checks: list[Callable[[], CheckResult]] = [
            self.check_region,
            self.check_credentials,
            self.check_role,
            self.check_bucket,
            self.check_quotas,
        ]
        for check in checks:
            self.results.append(check())
        return self.results

    @property
    def region(self) -> str | None:
        region: str | None = self.boto_session.region_name
        return region

    def client(self, service: str) -> Any:
        return self.boto_session.client(service, region_name=self.region)

    def check_region(self) -> CheckResult:
        if self.region is None:
            return CheckResult("region", Status.FAIL, REGION_FIX)
        try:
            images.image_uri("xgboost", "1.7-1", self.region)
        except images.ImageError as error:
            return CheckResult("region", Status.FAIL, f"{error}; pick another region")
        return CheckResult("region", Status.OK, self.region)

    def check_credentials(self) -> CheckResult:
        if self.region is None:
            return CheckResult("credentials", Status.SKIPPED, "needs a region")
        try:
            identity = call_aws(self.client("sts").get_caller_identity, "identify the account")
        except SandboxError as error:
            return CheckResult("credentials", Status.FAIL, str(error))
        self.account_id = identity["Account"]
        return CheckResult(
            "credentials", Status.OK, f"account {identity['Account']} as {identity['Arn']}"
        )

    def check_role(self) -> CheckResult:
        if self.account_id is None:
            return CheckResult("role", Status.SKIPPED, "needs working credentials")
        try:
            self.role_arn = os.environ.get("SAGELAB_ROLE_ARN") or studio_execution_role(
                self.client("sagemaker")
            )
        except SandboxError as error:
            return CheckResult("role", Status.FAIL, str(error))
        if not self.role_arn:
            return CheckResult(
                "role",
                Status.FAIL,
                "SAGELAB_ROLE_ARN is not set: set it to a role SageMaker can assume, e.g. "
                f"arn:aws:iam::{self.account_id}:role/SageMakerExecutionRole",
            )
        return self._check_trust(self.role_arn)

    def _check_trust(self, role_arn: str) -> CheckResult:
        role_name = role_arn.rsplit("/", 1)[-1]
        try:
            role = self.client("iam").get_role(RoleName=role_name)["Role"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "NoSuchEntity":
                return CheckResult(
                    "role", Status.FAIL, f"{role_arn} does not exist: create it or fix the ARN"
                )
            return CheckResult(
                "role", Status.WARN, f"{role_arn} could not be read ({code}); trust not checked"
            )
        if SAGEMAKER_PRINCIPAL not in str(role.get("AssumeRolePolicyDocument", "")):
            return CheckResult(
                "role",
                Status.FAIL,
                f"{role_arn} does not trust {SAGEMAKER_PRINCIPAL}: add it as a Service "
                "principal of the role's trust policy",
            )
        return CheckResult("role", Status.OK, f"{role_arn} trusts {SAGEMAKER_PRINCIPAL}")

    def check_bucket(self) -> CheckResult:
        if self.account_id is None or self.region is None:
            return CheckResult("bucket", Status.SKIPPED, "needs working credentials")
        bucket = f"sagemaker-{self.region}-{self.account_id}"
        try:
            self.client("s3").head_bucket(Bucket=bucket)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchBucket"):
                return CheckResult(
                    "bucket", Status.WARN, f"{bucket} does not exist yet: connect() creates it"
                )
            return CheckResult(
                "bucket",
                Status.FAIL,
                f"{bucket} cannot be used ({code}): give the role s3:ListBucket on it",
            )
        return CheckResult("bucket", Status.OK, bucket)

    def check_quotas(self) -> CheckResult:
        if self.account_id is None:
            return CheckResult("quotas", Status.SKIPPED, "needs working credentials")
        try:
            quotas = _sagemaker_quotas(self.client("service-quotas"))
        except (ClientError, BotoCoreError) as error:
            return CheckResult("quotas", Status.WARN, f"quotas could not be read: {error}")
        missing = [
            name
            for instance_type in sorted(self.policy.allowed_instance_types)
            for name, value in quotas.items()
            if name.startswith(f"{instance_type} for ") and value < 1
        ]
        if missing:
            return CheckResult(
                "quotas",
                Status.WARN,
                "these quotas are 0: " + "; ".join(missing) + ". Request an increase in the "
                "Service Quotas console (service Amazon SageMaker), or drop the type with "
                "SAGELAB_ALLOWED_INSTANCE_TYPES",
            )
        return CheckResult("quotas", Status.OK, "every allowed instance type has a quota")


def _sagemaker_quotas(service_quotas: Any) -> dict[str, float]:
    quotas: dict[str, float] = {}
    paginator = service_quotas.get_paginator("list_service_quotas")
    for page in paginator.paginate(ServiceCode="sagemaker"):
        for quota in page.get("Quotas", []):
            quotas[quota["QuotaName"]] = float(quota.get("Value", 0))
    return quotas
