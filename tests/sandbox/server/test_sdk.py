"""The SageMaker Python SDK v2 against the sandbox, in process and through the server.

Skipped unless `sagemaker>=2,<3` is installed (`pip install -e '.[sdk]'`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sandbox

sagemaker = pytest.importorskip("sagemaker", minversion="2")

TELEMETRY_OFF = (
    "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"
)


def training_csv() -> bytes:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(200, 3))
    labels = (values[:, 0] > 0).astype(int)
    rows = [
        f"{label}," + ",".join(f"{v:.4f}" for v in row)
        for label, row in zip(labels, values, strict=True)
    ]
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def sdk_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SDK defaults with telemetry off: the SDK would otherwise send a GET to an AWS host."""
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text(TELEMETRY_OFF)
    monkeypatch.setenv("SAGEMAKER_USER_CONFIG_OVERRIDE", str(config))
    return config


@pytest.mark.slow
def test_estimator_fit_deploy_predict_in_process(sdk_config):
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.serializers import CSVSerializer

    with sandbox.connect() as lab:
        lab.client("s3").put_object(
            Bucket=lab.bucket, Key="sdk/train/data.csv", Body=training_csv()
        )
        session = sagemaker.Session(boto_session=lab.boto_session, default_bucket=lab.bucket)
        estimator = Estimator(
            lab.image_uri("xgboost", "1.7-1"),
            lab.role_arn,
            instance_count=1,
            instance_type="ml.m5.large",
            sagemaker_session=session,
            hyperparameters={"objective": "binary:logistic", "num_round": 10},
        )
        estimator.fit(
            {"train": TrainingInput(f"s3://{lab.bucket}/sdk/train/", content_type="text/csv")},
            logs="None",
        )
        predictor = estimator.deploy(1, "ml.m5.large", serializer=CSVSerializer(), wait=False)
        session.wait_for_endpoint(predictor.endpoint_name, poll=1)
        scores = predictor.predict([[1.5, 0.2, -0.3], [-2.0, 0.1, 0.4]]).decode().split()
        job_status = estimator.latest_training_job.describe()["TrainingJobStatus"]
        predictor.delete_endpoint()

    assert job_status == "Completed"
    assert float(scores[0]) > 0.5 > float(scores[1])


SERVER_SCRIPT = """
import sys, boto3, sagemaker
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.serializers import CSVSerializer

bucket = "sagemaker-us-east-1-123456789012"
boto_session = boto3.Session(region_name="us-east-1")
s3 = boto_session.client("s3")
s3.create_bucket(Bucket=bucket)
s3.put_object(Bucket=bucket, Key="sdk/train/data.csv", Body=sys.stdin.buffer.read())
session = sagemaker.Session(boto_session=boto_session, default_bucket=bucket)
estimator = Estimator(
    sagemaker.image_uris.retrieve("xgboost", "us-east-1", "1.7-1"),
    "arn:aws:iam::123456789012:role/SageLabSageMakerRole",
    instance_count=1, instance_type="ml.m5.large", sagemaker_session=session,
    hyperparameters={"objective": "binary:logistic", "num_round": 10},
)
estimator.fit({"train": TrainingInput(f"s3://{bucket}/sdk/train/", content_type="text/csv")})
predictor = estimator.deploy(1, "ml.m5.large", serializer=CSVSerializer(), wait=False)
session.wait_for_endpoint(predictor.endpoint_name, poll=1)
print("scores", predictor.predict([[1.5, 0.2, -0.3]]).decode().strip())
"""


@pytest.mark.slow
def test_estimator_through_the_server(server, sdk_config):
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": server,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    result = subprocess.run(
        [sys.executable, "-c", SERVER_SCRIPT],
        input=training_csv(),
        env=environment,
        capture_output=True,
        timeout=180,
    )

    output = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert "[9]#011train-logloss:" in output  # fit(logs="All") streamed the training log
    assert float(output.rsplit("scores ", 1)[1]) > 0.5


def labelled_or_plain_csv(rows: int, seed: int, labelled: bool = True) -> bytes:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, 3))
    labels = (values[:, 0] > 0).astype(int)
    lines = [
        (f"{label}," if labelled else "") + ",".join(f"{v:.4f}" for v in row)
        for label, row in zip(labels, values, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.slow
def test_tuner_analytics_and_transformer_in_process(sdk_config):
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    with sandbox.connect() as lab:
        s3 = lab.client("s3")
        s3.put_object(Bucket=lab.bucket, Key="sdk/train/a.csv", Body=labelled_or_plain_csv(200, 0))
        s3.put_object(
            Bucket=lab.bucket, Key="sdk/validation/a.csv", Body=labelled_or_plain_csv(100, 1)
        )
        s3.put_object(
            Bucket=lab.bucket, Key="sdk/batch/a.csv", Body=labelled_or_plain_csv(20, 2, False)
        )
        session = sagemaker.Session(boto_session=lab.boto_session, default_bucket=lab.bucket)
        estimator = Estimator(
            lab.image_uri("xgboost", "1.7-1"),
            lab.role_arn,
            instance_count=1,
            instance_type="ml.m5.large",
            sagemaker_session=session,
            hyperparameters={"objective": "binary:logistic", "num_round": 10, "eval_metric": "auc"},
        )
        inputs = {
            channel: TrainingInput(f"s3://{lab.bucket}/sdk/{channel}/", content_type="text/csv")
            for channel in ("train", "validation")
        }
        tuner = HyperparameterTuner(
            estimator,
            "validation:auc",
            {"eta": ContinuousParameter(0.1, 0.5)},
            max_jobs=2,
            max_parallel_jobs=1,
        )
        tuner.fit(inputs)
        frame = tuner.analytics().dataframe()
        best = Estimator.attach(tuner.best_training_job(), sagemaker_session=session)
        transformer = best.transformer(
            1, "ml.m5.large", output_path=f"s3://{lab.bucket}/sdk/batch-out"
        )
        transformer.transform(
            f"s3://{lab.bucket}/sdk/batch/", content_type="text/csv", split_type="Line", logs=False
        )
        output = s3.get_object(Bucket=lab.bucket, Key="sdk/batch-out/a.csv.out")["Body"].read()

    assert len(frame) == 2
    assert set(frame["TrainingJobStatus"]) == {"Completed"}
    assert frame["FinalObjectiveValue"].between(0.5, 1.0).all()
    assert len(output.decode().split()) == 20
