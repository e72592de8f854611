"""The thinnest complete path: train, deploy, predict, and the workflow notebook."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from sandbox_helpers import make_rows, to_csv, training_request, upload_channels, wait_for_job

from sagelab.course import run_lab

ROOT = Path(__file__).resolve().parents[3]


def test_endpoint_predictions_equal_booster_predict(session, sagemaker, s3):
    upload_channels(session, "rt", to_csv(make_rows(500)), to_csv(make_rows(100, seed=1)))
    sagemaker.create_training_job(**training_request(session, "rt-job", "rt"))
    job = wait_for_job(sagemaker, "rt-job")
    image = session.image_uri("xgboost", "1.7-1")
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    sagemaker.create_model(
        ModelName="rt-model",
        ExecutionRoleArn=session.role_arn,
        PrimaryContainer={"Image": image, "ModelDataUrl": artifact},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="rt-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "rt-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="rt-endpoint", EndpointConfigName="rt-config")
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName="rt-endpoint")

    rows = make_rows(25, seed=7)[:, 1:]
    body = "".join(",".join(f"{value:.6g}" for value in row) + "\n" for row in rows)
    response = session.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="rt-endpoint", ContentType="text/csv", Body=body
    )
    served = [float(line) for line in response["Body"].read().decode().splitlines()]

    archive = s3.get_object(Bucket=session.bucket, Key=artifact.split("/", 3)[3])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        booster = xgb.Booster()
        booster.load_model(bytearray(tar.extractfile("xgboost-model").read()))
    parsed = np.loadtxt(io.StringIO(body), delimiter=",")
    expected = booster.predict(xgb.DMatrix(parsed))
    assert response["ContentType"] == "text/csv; charset=utf-8"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert len(served) == 25
    np.testing.assert_allclose(served, expected, rtol=1e-6)


@pytest.mark.slow
def test_capstone_notebook_runs_and_scores(tmp_path):
    run = run_lab(ROOT / "labs" / "08-capstone" / "08-capstone.ipynb", output_dir=tmp_path)

    assert run.status == "passed", run.error
    assert run.headline["test AUC"] >= 0.80
