"""Hyperparameter tuning: parallel speed-up and search quality on the course data.

1. One Random tuning job of 20 child jobs with MaxParallelTrainingJobs=2: its wall time
   (CreateHyperParameterTuningJob to the end time) against the sum of the children's own
   times (CreationTime to TrainingEndTime of each child). Target: a ratio of 0.65 or less.
2. Bayesian against Random, 20 jobs each, one at a time, for 5 values of RandomSeed: the
   best validation AUC of each run and the mean over seeds. Target: Bayesian's mean is not
   worse. One job at a time makes each run reproducible and lets every Bayesian proposal
   use all earlier results.

Data: the bundled claims file through `sagelab.features.prepare_all` (seed 0).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sandbox" / "tuning"))

from tuning_helpers import definition  # noqa: E402

import sandbox  # noqa: E402
from sagelab.data import load_claims  # noqa: E402
from sagelab.features import prepare_all, to_training_csv  # noqa: E402

PREFIX = "bench-tuning"
JOBS = 20
PARALLEL = 2
SEEDS = (1, 2, 3, 4, 5)
MAX_RATIO = 0.65
STATIC = {"num_round": "50", "eval_metric": "auc"}
RANGES: dict[str, Any] = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"},
        {
            "Name": "min_child_weight",
            "MinValue": "1",
            "MaxValue": "50",
            "ScalingType": "Logarithmic",
        },
        {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1"},
        {"Name": "alpha", "MinValue": "0.001", "MaxValue": "100", "ScalingType": "Logarithmic"},
    ],
    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "10"}],
}


def upload_course_data(session: sandbox.Session) -> None:
    prepared = prepare_all(load_claims(), seed=0)
    s3 = session.client("s3")
    for channel, frame in (("train", prepared.train), ("validation", prepared.validation)):
        body = to_training_csv(frame).encode()
        s3.put_object(Bucket=session.bucket, Key=f"{PREFIX}/{channel}/data.csv", Body=body)


def run_tuning(
    session: sandbox.Session, name: str, strategy: str, seed: int, parallel: int
) -> tuple[dict[str, Any], float]:
    """Run one tuning job to its end; return its description and its wall time in seconds.

    The wall time is HyperParameterTuningEndTime minus CreationTime, so the polling
    interval does not add to it.
    """
    sm = session.client("sagemaker")
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": strategy,
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize",
                "MetricName": "validation:auc",
            },
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": JOBS,
                "MaxParallelTrainingJobs": parallel,
            },
            "ParameterRanges": RANGES,
            "RandomSeed": seed,
        },
        TrainingJobDefinition=definition(session, STATIC, prefix=PREFIX),
    )
    while True:
        described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] not in ("InProgress", "Stopping"):
            wall = described["HyperParameterTuningEndTime"] - described["CreationTime"]
            return described, wall.total_seconds()
        time.sleep(0.2)


def children(session: sandbox.Session, name: str) -> list[dict[str, Any]]:
    sm = session.client("sagemaker")
    response = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=100
    )
    summaries: list[dict[str, Any]] = response["TrainingJobSummaries"]
    return summaries


def measure_parallelism(session: sandbox.Session) -> bool:
    name = "bench-parallel"
    described, wall = run_tuning(session, name, "Random", seed=0, parallel=PARALLEL)
    summaries = children(session, name)
    own = [(s["TrainingEndTime"] - s["CreationTime"]).total_seconds() for s in summaries]
    training = [(s["TrainingEndTime"] - s["TrainingStartTime"]).total_seconds() for s in summaries]
    ratio = wall / sum(own)
    print(
        f"parallel: {len(summaries)} child jobs, MaxParallelTrainingJobs={PARALLEL}, "
        f"status {described['HyperParameterTuningJobStatus']}"
    )
    print(f"  wall time of the tuning job      {wall:7.2f} s")
    print(f"  sum of the children's own times  {sum(own):7.2f} s")
    print(f"  of which training (start to end) {sum(training):7.2f} s")
    print(f"  ratio wall / sum                 {ratio:7.2f} (target <= {MAX_RATIO})")
    return ratio <= MAX_RATIO


def measure_quality(session: sandbox.Session) -> bool:
    best: dict[str, list[float]] = {"Bayesian": [], "Random": []}
    for seed in SEEDS:
        for strategy in best:
            name = f"bench-{strategy.lower()}-{seed}"
            described, wall = run_tuning(session, name, strategy, seed, parallel=1)
            value = described["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]
            best[strategy].append(value["Value"])
            print(f"  seed {seed} {strategy:8s} best validation AUC {value['Value']:.5f}", end="")
            print(f" ({wall:.1f} s)")
    means = {strategy: statistics.mean(values) for strategy, values in best.items()}
    print(
        f"quality over {len(SEEDS)} seeds x {JOBS} jobs: mean best validation AUC "
        f"Bayesian {means['Bayesian']:.5f}, Random {means['Random']:.5f}"
    )
    return means["Bayesian"] >= means["Random"]


def main() -> int:
    with sandbox.connect("local") as session:
        upload_course_data(session)
        parallel_ok = measure_parallelism(session)
        quality_ok = measure_quality(session)
    verdicts = {True: "met", False: "MISSED"}
    print(f"targets: parallel {verdicts[parallel_ok]}, quality {verdicts[quality_ok]}")
    return 0 if parallel_ok and quality_ok else 1


if __name__ == "__main__":
    sys.exit(main())
