"""The SageMaker Python SDK v2 against the sandbox, in process, through the server and in
the SDK variants of labs 03 and 05.

The SDK caps packages that .venv needs newer, so `make test-sdk` (part of `make test`) runs
this module in .venv-sdk. In .venv it is skipped. Every test blocks and records connections
beyond loopback in its own process, in the clients it starts and in notebook kernels, and
expects none.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sandbox
from sagelab.course import run_lab

# Each test imports the SDK only after sandbox.connect() has set credentials: on import,
# sagemaker builds a default boto3 session, and without credentials botocore would ask the
# EC2 instance metadata address for some.
if importlib.util.find_spec("sagemaker") is None:
    pytest.skip(
        "sagemaker>=2,<3 is not installed here: `make test-sdk` runs these tests in .venv-sdk",
        allow_module_level=True,
    )
SDK_VERSION = importlib.metadata.version("sagemaker")
if not SDK_VERSION.startswith("2."):
    pytest.skip(
        f"sagemaker {SDK_VERSION} is installed; these tests need 2.x", allow_module_level=True
    )

ROOT = Path(__file__).resolve().parents[3]
OFFLINE_GUARD = Path(__file__).resolve().parent / "offline" / "sitecustomize.py"

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


@pytest.fixture
def blocked_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file that lists every lookup or connection beyond loopback, each one blocked.

    The guard covers this process and, through PYTHONPATH, the Python processes the test
    starts: clients and notebook kernels. The module-scoped server started earlier is not
    covered, because it runs moto, which sends nothing out.
    """
    log = tmp_path / "blocked-connections.txt"
    log.touch()
    spec = importlib.util.spec_from_file_location("sdk_offline_guard", OFFLINE_GUARD)
    assert spec is not None and spec.loader is not None
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)

    monkeypatch.setattr(socket, "getaddrinfo", guard.blocking_getaddrinfo(socket.getaddrinfo, log))
    monkeypatch.setattr(
        socket.socket, "connect", guard.blocking_connect(socket.socket.connect, log)
    )
    search_path = [str(OFFLINE_GUARD.parent), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, search_path)))
    monkeypatch.setenv(guard.LOG_VARIABLE, str(log))
    return log


@pytest.mark.slow
def test_estimator_fit_deploy_predict_in_process(sdk_config, blocked_connections):
    with sandbox.connect() as lab:
        import sagemaker
        from sagemaker.estimator import Estimator
        from sagemaker.inputs import TrainingInput
        from sagemaker.serializers import CSVSerializer

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
    assert blocked_connections.read_text() == ""


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
def test_estimator_through_the_server(server, sdk_config, blocked_connections):
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
    assert blocked_connections.read_text() == ""


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
def test_tuner_analytics_and_transformer_in_process(sdk_config, blocked_connections):
    with sandbox.connect() as lab:
        import sagemaker
        from sagemaker.estimator import Estimator
        from sagemaker.inputs import TrainingInput
        from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

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
    assert blocked_connections.read_text() == ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("notebook", "headline_ranges"),
    [
        ("03-train-sdk", {"validation AUC": (0.75, 1.0), "test AUC": (0.75, 1.0)}),
        ("05-deploy-sdk", {"test AUC": (0.75, 1.0), "batch vs real-time max diff": (0.0, 1e-5)}),
    ],
)
def test_sdk_lab_runs(notebook, headline_ranges, tmp_path, blocked_connections):
    """The notebooks switch telemetry off themselves, so this test sets no SDK config file."""
    run = run_lab(ROOT / "labs" / "sdk" / f"{notebook}.ipynb", output_dir=tmp_path)

    assert run.status == "passed", run.error
    for metric, (low, high) in headline_ranges.items():
        assert low <= run.headline[metric] <= high, f"{metric} = {run.headline[metric]}"
    assert blocked_connections.read_text() == ""
