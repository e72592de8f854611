"""The real-AWS backend: the default credential chain, a bucket and an execution role."""

from __future__ import annotations

import os

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from .session import SandboxError, Session


class AwsSession(Session):
    backend = "aws"

    def __init__(self, region: str | None = None) -> None:
        boto_session = boto3.Session(region_name=region or os.environ.get("SAGELAB_REGION"))
        if boto_session.region_name is None:
            raise SandboxError(
                "no AWS region is configured: set AWS_DEFAULT_REGION or SAGELAB_REGION, "
                "e.g. export AWS_DEFAULT_REGION=us-east-1"
            )
        super().__init__(boto_session)
        self.region = boto_session.region_name
        self.account_id = self._account_id()
        self.role_arn = self._role_arn()
        self.bucket = f"sagemaker-{self.region}-{self.account_id}"

    def _account_id(self) -> str:
        try:
            identity = self.client("sts").get_caller_identity()
        except NoCredentialsError:
            raise SandboxError(
                "no AWS credentials found: run `aws configure` or set AWS_PROFILE, "
                "or unset SAGELAB_BACKEND to use the local sandbox"
            ) from None
        except (BotoCoreError, ClientError) as error:
            raise SandboxError(f"could not identify the AWS account: {error}") from None
        account: str = identity["Account"]
        return account

    def _role_arn(self) -> str:
        role = os.environ.get("SAGELAB_ROLE_ARN")
        if not role:
            raise SandboxError(
                "SAGELAB_ROLE_ARN is not set: set it to the ARN of an IAM role that SageMaker "
                "can assume, e.g. arn:aws:iam::<account>:role/SageMakerExecutionRole"
            )
        return role
