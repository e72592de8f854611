"""Request builders and polling helpers for the tuning tests."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import sandbox

PREFIX = "tuning-tests"
TRAIN_ROWS = 300
VALIDATION_ROWS = 200


def upload_data(session: sandbox.Session) -> None:
    """Upload a small learnable binary classification problem as train and validation CSV."""
    rng = np.random.default_rng(0)
    s3 = session.client("s3")
    for channel, rows in (("train", TRAIN_ROWS), ("validation", VALIDATION_ROWS)):
        s3.put_object(
            Bucket=session.bucket, Key=f"{PREFIX}/{channel}/{channel}.csv", Body=_csv(rows, rng)
        )


def _csv(rows: int, rng: np.random.Generator) -> bytes:
    features = rng.normal(size=(rows, 5))
    noise = rng.normal(size=rows) * 0.8
    labels = (features[:, 0] + 0.5 * features[:, 1] + noise > 0).astype(int)
    lines = [",".join(f"{value:g}" for value in row) for row in np.column_stack([labels, features])]
    return ("\n".join(lines) + "\n").encode()


def definition(
    session: sandbox.Session,
    static: dict[str, str] | None = None,
    image_version: str = "1.7-1",
    prefix: str = PREFIX,
) -> dict[str, Any]:
    """Return a TrainingJobDefinition for the built-in XGBoost on the data under `prefix`."""
    hyperparameters = {"objective": "binary:logistic", "num_round": "20"}
    hyperparameters.update(static or {})
    return {
        "StaticHyperParameters": hyperparameters,
        "AlgorithmSpecification": {
            "TrainingImage": session.image_uri("xgboost", image_version),
            "TrainingInputMode": "File",
        },
        "RoleArn": session.role_arn,
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{session.bucket}/{prefix}/{channel}",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{session.bucket}/{prefix}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def config(
    strategy: str = "Random",
    ranges: dict[str, Any] | None = None,
    max_jobs: int | None = 4,
    parallel: int = 2,
    metric: str = "validation:auc",
    **extra: Any,
) -> dict[str, Any]:
    """Return a HyperParameterTuningJobConfig; `extra` adds or replaces members."""
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": parallel}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    settings: dict[str, Any] = {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": metric},
        "ResourceLimits": limits,
        "ParameterRanges": ranges if ranges is not None else DEFAULT_RANGES,
        "RandomSeed": 7,
    }
    settings.update(extra)
    return settings


DEFAULT_RANGES: dict[str, Any] = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
    ],
    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "6"}],
}


def wait_for_tuning(sm: Any, name: str, timeout: float = 180.0) -> dict[str, Any]:
    """Poll DescribeHyperParameterTuningJob until the job ends; fail the test on time-out."""
    deadline = time.monotonic() + timeout
    while True:
        described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] not in ("InProgress", "Stopping"):
            return described
        if time.monotonic() > deadline:
            pytest.fail(f"tuning job {name} still {described['HyperParameterTuningJobStatus']}")
        time.sleep(0.1)


def children(sm: Any, name: str) -> list[dict[str, Any]]:
    """Return every child summary, sorted by name."""
    response = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=100
    )
    return response["TrainingJobSummaries"]
