"""Batch transform of 100,000 rows, measured against a direct predict in the same run.

The sandbox figure is the wall time from CreateTransformJob to the waiter's return,
with default settings (SplitType Line, MultiRecord, 6 MB mini-batches). The direct
figure parses the same CSV text with pandas, calls Booster.predict, formats one
prediction per line with the container's formatter and writes the result to a local
file. It predicts on one thread, as the job predicts its single mini-batch, and must
produce the same bytes as the output object.
Both are warmed up once, then timed REPEATS times, alternating, and the medians are
compared, because a single run on a shared machine swings by tens of percent.

The measurement runs twice, each time in a fresh process. The job runs on a worker
thread, whose glibc heap may hand the job's few megabytes of buffers back to the kernel
when they are freed, so that the next job faults about 4,000 pages in again (some 6 ms).
Whether it does depends on glibc's dynamic thresholds, and so on every allocation the
process made before, including ones in unrelated code. The first run keeps glibc's
defaults and shows the state it happens to reach. The second pins the trim and mmap
thresholds (at 64 and 32 MB) for the whole process, so both paths run on a warm heap and
the ratio measures the sandbox rather than the heap's history. The target is checked on
the second.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sandbox" / "hosting"))

from hosting_helpers import FEATURES, create_model, load_booster, train_model  # noqa: E402

import sandbox  # noqa: E402
from sandbox.algorithms.xgboost.serving import format_csv_lines  # noqa: E402

ROWS = 100_000
TARGET_RATIO = 1.5
REPEATS = 21
PINNED_MALLOC = {
    "MALLOC_TRIM_THRESHOLD_": str(64 * 1024 * 1024),
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
}
CHILD_FLAG = "--measure"


def make_csv() -> bytes:
    values = np.random.default_rng(2).normal(size=(ROWS, FEATURES)).astype(np.float32)
    return pd.DataFrame(values).to_csv(header=False, index=False, float_format="%.5f").encode()


def direct_seconds(booster: xgb.Booster, body: bytes, target: Path) -> tuple[float, bytes]:
    started = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(body), header=None)
    predictions = booster.predict(xgb.DMatrix(frame.to_numpy(), nthread=1))
    output = format_csv_lines(predictions)
    target.write_bytes(output)
    return time.perf_counter() - started, output


def sandbox_seconds(session: sandbox.Session, body: bytes, name: str) -> tuple[float, bytes, float]:
    s3 = session.client("s3")
    sagemaker = session.client("sagemaker")
    s3.put_object(Bucket=session.bucket, Key="bench-transform/in/data.csv", Body=body)
    started = time.perf_counter()
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName="bench-transform",
        TransformInput={
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{session.bucket}/bench-transform/in/",
                }
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={
            "S3OutputPath": f"s3://{session.bucket}/{name}/out",
            "AssembleWith": "Line",
        },
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    )
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name)
    elapsed = time.perf_counter() - started
    described = sagemaker.describe_transform_job(TransformJobName=name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    job_seconds = (described["TransformEndTime"] - described["TransformStartTime"]).total_seconds()
    output = s3.get_object(Bucket=session.bucket, Key=f"{name}/out/data.csv.out")
    return elapsed, output["Body"].read(), job_seconds


def main() -> None:
    if CHILD_FLAG in sys.argv:
        measure()
        return
    runs = (("glibc malloc defaults", {}), ("malloc thresholds pinned", PINNED_MALLOC))
    for title, variables in runs:
        print(f"== {title}", flush=True)
        environment = {**os.environ, **variables}
        subprocess.run([sys.executable, __file__, CHILD_FLAG], env=environment, check=True)


def measure() -> None:
    body = make_csv()
    direct_runs, sandbox_runs, job_runs = [], [], []
    folder = tempfile.TemporaryDirectory(prefix="bench-transform-")
    target = Path(folder.name) / "data.csv.out"
    with folder, sandbox.connect("local") as session:
        url = train_model(session, "bench-transform")
        create_model(session, "bench-transform", url)
        booster = load_booster(session, url)
        booster.set_param("nthread", "1")
        direct_seconds(booster, body, target)
        sandbox_seconds(session, body, "bench-transform-warm-up")
        for repeat in range(REPEATS):
            direct, direct_output = direct_seconds(booster, body, target)
            elapsed, output, job_seconds = sandbox_seconds(
                session, body, f"bench-transform-{repeat}"
            )
            direct_runs.append(direct)
            sandbox_runs.append(elapsed)
            job_runs.append(job_seconds)

    same = output == direct_output
    direct = statistics.median(direct_runs)
    elapsed = statistics.median(sandbox_runs)
    ratio = elapsed / direct
    print(f"batch transform of {ROWS:,} rows ({len(body) / 1e6:.1f} MB of CSV)")
    print(f"medians (min to max) of {REPEATS} alternating runs after one warm-up run of each")
    print(f"  direct parse, predict, write   {_milliseconds(direct_runs)}")
    print(f"  sandbox create to waiter       {_milliseconds(sandbox_runs)}")
    print(f"  the job itself                 {_milliseconds(job_runs)}")
    print(f"  ratio {ratio:.2f} (target at most {TARGET_RATIO}), outputs equal: {same}")


def _milliseconds(runs: list[float]) -> str:
    return (
        f"{statistics.median(runs) * 1000:6.1f} ms "
        f"({min(runs) * 1000:.1f} to {max(runs) * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
