"""Helpers shared by the hosting tests: a small trained model and endpoint builders."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import numpy as np
import xgboost as xgb
from moto.sagemakerruntime.models import sagemakerruntime_backends

import sandbox

FEATURES = 4


def small_rows(count: int, seed: int = 0) -> np.ndarray:
    """Return label-first rows of a learnable binary problem with FEATURES features."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(count, FEATURES))
    labels = (values[:, 0] - 0.5 * values[:, 1] > 0).astype(float)
    return np.column_stack([labels, values])


def csv_body(values: np.ndarray) -> str:
    return "\n".join(",".join(f"{value:.6g}" for value in row) for row in values) + "\n"


def train_model(session: sandbox.Session, job_name: str) -> str:
    """Train a small XGBoost model through the sandbox and return its ModelDataUrl."""
    sagemaker = session.client("sagemaker")
    s3 = session.client("s3")
    prefix = f"hosting-data/{job_name}"
    s3.put_object(
        Bucket=session.bucket, Key=f"{prefix}/train/data.csv", Body=csv_body(small_rows(200))
    )
    sagemaker.create_training_job(
        TrainingJobName=job_name,
        RoleArn=session.role_arn,
        AlgorithmSpecification={
            "TrainingImage": session.image_uri("xgboost", "1.7-1"),
            "TrainingInputMode": "File",
        },
        HyperParameters={"objective": "binary:logistic", "num_round": "5", "max_depth": "2"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{session.bucket}/{prefix}/train/",
                    }
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{session.bucket}/{prefix}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    sagemaker.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job_name)
    described = sagemaker.describe_training_job(TrainingJobName=job_name)
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    url: str = described["ModelArtifacts"]["S3ModelArtifacts"]
    return url


def load_booster(session: sandbox.Session, model_data_url: str) -> xgb.Booster:
    """Download a model.tar.gz and load its xgboost-model, as a student would."""
    bucket, _, key = model_data_url[len("s3://") :].partition("/")
    archive = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        raw = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster


def create_model(
    session: sandbox.Session, name: str, model_data_url: str, **container: Any
) -> None:
    session.client("sagemaker").create_model(
        ModelName=name,
        ExecutionRoleArn=session.role_arn,
        PrimaryContainer={
            "Image": container.pop("Image", session.image_uri("xgboost", "1.7-1")),
            "ModelDataUrl": model_data_url,
            **container,
        },
    )


def variant(name: str, model: str, weight: float = 1.0, count: int = 1) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
    }


def deploy(
    session: sandbox.Session,
    endpoint: str,
    variants: list[dict[str, Any]],
    **config: Any,
) -> dict[str, Any]:
    """Create a configuration named after the endpoint, the endpoint, and wait for InService."""
    sagemaker = session.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{endpoint}-config", ProductionVariants=variants, **config
    )
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-config")
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=endpoint)
    described: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=endpoint)
    return described


def seed_traffic(session: sandbox.Session, seed: int) -> None:
    """Reseed the generator of traffic routing and capture sampling (as SAGELAB_SANDBOX_SEED)."""
    sagemakerruntime_backends[session.account_id][session.region].rng.seed(seed)


def client_error(excinfo: Any) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]
