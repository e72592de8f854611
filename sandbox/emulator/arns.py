"""ARNs of SageMaker resources."""

from __future__ import annotations


def sagemaker_arn(resource: str, name: str, *, account_id: str, region: str) -> str:
    """Return e.g. arn:aws:sagemaker:us-east-1:123456789012:training-job/name.

    SageMaker lower-cases the name in every ARN it issues.
    """
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    return f"arn:{partition}:sagemaker:{region}:{account_id}:{resource}/{name.lower()}"
