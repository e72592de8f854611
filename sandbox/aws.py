"""The real-AWS backend: the default credential chain, a bucket, a role and guardrails.

Every SageMaker client of an `AwsSession` checks create requests against the
guardrails (allowed instance types, an instance cap) and tags them with the course and
lab before botocore sends them; see `sandbox.guardrails`.

NOTE: no AWS account is reachable where this code is tested. The tests check each
request against botocore's service model with `Stubber`; the responses of a real account
(for instance the 403 of a bucket owned by someone else) follow the API reference and
were not observed here.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from . import guardrails
from .session import SandboxError, Session

logger = logging.getLogger(__name__)

# Written by SageMaker Studio and notebook instances; names the domain and user profile.
STUDIO_METADATA = Path("/opt/ml/metadata/resource-metadata.json")

CREDENTIALS_FIX = (
    "no AWS credentials found: run `aws configure` (or `aws sso login`), or set "
    "AWS_PROFILE, or unset SAGELAB_BACKEND to use the local sandbox"
)
REGION_FIX = (
    "no AWS region is configured: set AWS_DEFAULT_REGION or SAGELAB_REGION, "
    "e.g. export AWS_DEFAULT_REGION=us-east-1"
)


class AwsSession(Session):
    """A real account, found through the default credential chain."""

    backend = "aws"

    def __init__(
        self,
        region: str | None = None,
        *,
        lab: str | None = None,
        boto_session: boto3.Session | None = None,
        policy: guardrails.GuardrailPolicy | None = None,
    ) -> None:
        boto_session = boto_session or boto3.Session(
            region_name=region or os.environ.get("SAGELAB_REGION")
        )
        if boto_session.region_name is None:
            raise SandboxError(REGION_FIX)
        self.policy = policy or guardrails.GuardrailPolicy.from_env(lab)
        guardrails.install(boto_session.events, self.policy)
        super().__init__(boto_session)
        self.region = boto_session.region_name
        self.account_id = self._account_id()
        self.role_arn = self._role_arn()
        self.bucket = f"sagemaker-{self.region}-{self.account_id}"
        ensure_bucket(self.client("s3"), self.bucket, self.region)

    def _account_id(self) -> str:
        identity = call_aws(self.client("sts").get_caller_identity, "identify the AWS account")
        account: str = identity["Account"]
        return account

    def _role_arn(self) -> str:
        role = os.environ.get("SAGELAB_ROLE_ARN")
        if role:
            return role
        studio_role = studio_execution_role(self.client("sagemaker"))
        if studio_role:
            return studio_role
        raise SandboxError(
            "SAGELAB_ROLE_ARN is not set and this is not a SageMaker Studio or notebook "
            "instance: set it to the ARN of an IAM role that SageMaker can assume, e.g. "
            f"arn:aws:iam::{self.account_id}:role/SageMakerExecutionRole"
        )


def call_aws(method: Any, action: str, **params: Any) -> Any:
    """Call a boto3 method and turn credential and region errors into one-line SandboxErrors."""
    try:
        return method(**params)
    except (NoCredentialsError, PartialCredentialsError):
        raise SandboxError(CREDENTIALS_FIX) from None
    except NoRegionError:
        raise SandboxError(REGION_FIX) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"):
            raise SandboxError(
                f"the AWS credentials were rejected ({code}): refresh them with "
                "`aws sso login` or `aws configure`"
            ) from None
        raise SandboxError(f"could not {action}: {error}") from None
    except EndpointConnectionError:
        raise  # the caller knows whether the endpoint is AWS or a sandbox server
    except BotoCoreError as error:
        raise SandboxError(f"could not {action}: {error}") from None


def ensure_bucket(s3: Any, bucket: str, region: str) -> bool:
    """Create the course bucket unless it exists; return True if it was created."""
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = error.response.get("Error", {}).get("Code")
        if status == 403 or code == "403":
            raise SandboxError(
                f"bucket {bucket} exists but this account cannot use it: give the role "
                "s3:ListBucket on it, or delete the bucket if it belongs to you"
            ) from None
        if code not in ("404", "NoSuchBucket"):
            raise SandboxError(f"could not check bucket {bucket}: {error}") from None
    if region == "us-east-1":
        call_aws(s3.create_bucket, f"create bucket {bucket}", Bucket=bucket)
    else:
        call_aws(
            s3.create_bucket,
            f"create bucket {bucket}",
            Bucket=bucket,
            CreateBucketConfiguration={"LocationConstraint": region},
        )
    logger.info("created bucket %s in %s", bucket, region)
    return True


def studio_execution_role(sagemaker: Any, metadata_path: Path = STUDIO_METADATA) -> str | None:
    """Return the execution role of this Studio user profile or notebook instance, if any."""
    if not metadata_path.is_file():
        return None
    metadata = json.loads(metadata_path.read_text())
    if metadata.get("DomainId") and metadata.get("UserProfileName"):
        profile = call_aws(
            sagemaker.describe_user_profile,
            "read the Studio user profile",
            DomainId=metadata["DomainId"],
            UserProfileName=metadata["UserProfileName"],
        )
        role = profile.get("UserSettings", {}).get("ExecutionRole")
        if role:
            return str(role)
        domain = call_aws(
            sagemaker.describe_domain, "read the Studio domain", DomainId=metadata["DomainId"]
        )
        domain_role = domain.get("DefaultUserSettings", {}).get("ExecutionRole")
        return str(domain_role) if domain_role else None
    if metadata.get("ResourceName"):
        instance = call_aws(
            sagemaker.describe_notebook_instance,
            "read the notebook instance",
            NotebookInstanceName=metadata["ResourceName"],
        )
        return str(instance["RoleArn"])
    return None
