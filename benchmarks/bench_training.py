"""Training job overhead and memory, measured against a direct xgboost.train.

For 10,000 and 100,000 rows: the wall time from CreateTrainingJob to the waiter's return,
and a direct `xgboost.train` on the same CSV files and hyperparameters with the thread
count the job gets, in one run. Both paths are warmed up first (XGBoost's first call
starts its thread pool), and each is timed REPEATS times, alternating, so the medians
compare like with like on a shared machine. Then the peak resident memory of one
1,000,000-row training job, in a fresh process.
"""

from __future__ import annotations

import io
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

import sandbox
from sandbox.emulator import workers
from sandbox.emulator.instances import vcpus

INSTANCE_TYPE = "ml.m5.large"
REPEATS = 5
HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "num_round": "50",
    "max_depth": "6",
}


def make_csv(rows: int, features: int = 20, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, features)).astype(np.float32)
    labels = (values[:, 0] + values[:, 1] * 0.5 + rng.normal(size=rows) > 0).astype(np.float32)
    frame = pd.DataFrame(np.column_stack([labels, values]))
    return frame.to_csv(header=False, index=False, float_format="%.5f").encode()


def sandbox_seconds(session: sandbox.Session, name: str, train: bytes, validation: bytes) -> float:
    upload(session, name, train, validation)
    return job_seconds(session, name)


def upload(session: sandbox.Session, name: str, train: bytes, validation: bytes) -> None:
    s3 = session.client("s3")
    for channel, body in (("train", train), ("validation", validation)):
        s3.put_object(Bucket=session.bucket, Key=f"{name}/{channel}/data.csv", Body=body)


def job_seconds(session: sandbox.Session, name: str) -> float:
    """Return the wall time from CreateTrainingJob to the waiter's return."""
    sagemaker = session.client("sagemaker")
    started = time.perf_counter()
    sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=session.role_arn,
        AlgorithmSpecification={
            "TrainingImage": session.image_uri("xgboost", "1.7-1"),
            "TrainingInputMode": "File",
        },
        HyperParameters=HYPERPARAMETERS,
        InputDataConfig=[
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{session.bucket}/{name}/{channel}/",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{session.bucket}/{name}/output"},
        ResourceConfig={"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    sagemaker.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name)
    elapsed = time.perf_counter() - started
    status = sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
    assert status == "Completed", status
    return elapsed


def direct_seconds(train: bytes, validation: bytes, nthread: int) -> float:
    started = time.perf_counter()
    matrices = []
    for body in (train, validation):
        frame = pd.read_csv(io.BytesIO(body), header=None)
        matrices.append(xgb.DMatrix(frame.iloc[:, 1:], label=frame.iloc[:, 0]))
    params = {k: v for k, v in HYPERPARAMETERS.items() if k != "num_round"}
    xgb.train(
        {**params, "nthread": nthread},
        matrices[0],
        num_boost_round=int(HYPERPARAMETERS["num_round"]),
        evals=[(matrices[0], "train"), (matrices[1], "validation")],
        verbose_eval=False,
    )
    return time.perf_counter() - started


def job_threads() -> int:
    """Return the XGBoost thread count a single job on INSTANCE_TYPE gets on this machine."""
    return workers.threads_for_job(vcpus(INSTANCE_TYPE))


def overhead() -> None:
    nthread = job_threads()
    print(f"direct xgboost.train with nthread={nthread}, medians of {REPEATS} alternating runs")
    print("rows      sandbox_s  direct_s  ratio  difference_s")
    with sandbox.connect() as session:
        warm_train, warm_validation = make_csv(1_000), make_csv(200, seed=1)
        direct_seconds(warm_train, warm_validation, nthread)
        sandbox_seconds(session, "bench-warm-up", warm_train, warm_validation)
        for rows in (10_000, 100_000):
            train, validation = make_csv(rows), make_csv(rows // 5, seed=1)
            direct_runs, sandbox_runs = [], []
            for repeat in range(REPEATS):
                direct_runs.append(direct_seconds(train, validation, nthread))
                name = f"bench-{rows}-{repeat}"
                sandbox_runs.append(sandbox_seconds(session, name, train, validation))
            direct = statistics.median(direct_runs)
            local = statistics.median(sandbox_runs)
            print(
                f"{rows:<8}  {local:9.2f}  {direct:8.2f}  {local / direct:5.2f}  "
                f"{local - direct:12.2f}"
            )


def peak_memory_child() -> None:
    with sandbox.connect() as session:
        upload(session, "bench-1m", make_csv(1_000_000), make_csv(100_000, seed=1))
        before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        job_seconds(session, "bench-1m")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory after generating and uploading the data: {before_mb:.0f} MB")
    print(f"peak resident memory of the 1,000,000-row job's process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    if sys.argv[1:] == ["--memory"]:
        peak_memory_child()
    else:
        overhead()
        subprocess.run([sys.executable, __file__, "--memory"], check=True)
