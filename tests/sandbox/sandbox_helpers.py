"""Helpers for driving the local sandbox's training jobs through real boto3 clients."""

from __future__ import annotations

from typing import Any

import numpy as np

import sandbox


def make_rows(count: int, features: int = 4, seed: int = 0) -> np.ndarray:
    """Return label-first rows of a learnable binary problem."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(count, features))
    noise = rng.normal(scale=0.7, size=count)
    labels = (values[:, 0] - 0.5 * values[:, 1] + noise > 0).astype(float)
    return np.column_stack([labels, values])


def to_csv(rows: np.ndarray) -> bytes:
    lines = [",".join(f"{value:.6g}" for value in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def upload_channels(
    session: sandbox.Session, prefix: str, train: bytes, validation: bytes | None = None
) -> None:
    s3 = session.client("s3")
    s3.put_object(Bucket=session.bucket, Key=f"{prefix}/train/data.csv", Body=train)
    if validation is not None:
        s3.put_object(Bucket=session.bucket, Key=f"{prefix}/validation/data.csv", Body=validation)


def training_request(
    session: sandbox.Session,
    name: str,
    prefix: str,
    hyperparameters: dict[str, str] | None = None,
    *,
    channels: tuple[str, ...] = ("train", "validation"),
    **overrides: Any,
) -> dict[str, Any]:
    """Return a CreateTrainingJob request for the built-in XGBoost on CSV channels."""
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "RoleArn": session.role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": session.image_uri("xgboost", "1.7-1"),
            "TrainingInputMode": "File",
        },
        "HyperParameters": hyperparameters
        or {"objective": "binary:logistic", "num_round": "20", "eval_metric": "auc"},
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{session.bucket}/{prefix}/{channel}/",
                    }
                },
            }
            for channel in channels
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{session.bucket}/{prefix}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    request.update(overrides)
    return request


def wait_for_job(sagemaker: Any, name: str) -> dict[str, Any]:
    sagemaker.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name)
    description: dict[str, Any] = sagemaker.describe_training_job(TrainingJobName=name)
    return description


def wait_until_terminal(sagemaker: Any, name: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll DescribeTrainingJob until the job ends, whatever the outcome."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        description: dict[str, Any] = sagemaker.describe_training_job(TrainingJobName=name)
        if description["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(f"training job {name} still {description['TrainingJobStatus']}")
        time.sleep(0.05)
