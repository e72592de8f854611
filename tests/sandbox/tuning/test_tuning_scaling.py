"""How the search samples each ScalingType (the search layer, without training jobs)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from sandbox.emulator.tuning.config import parse_spec
from sandbox.emulator.tuning.search import Evaluation, make_search
from sandbox.images import image_uri

SAMPLES = 200


def request(ranges: dict[str, Any], strategy: str = "Random") -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": "scaling",
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy,
            "HyperParameterTuningJobObjective": {
                "Type": "Minimize",
                "MetricName": "validation:rmse",
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": SAMPLES, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": ranges,
            "RandomSeed": 3,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"num_round": "10"},
            "AlgorithmSpecification": {
                "TrainingImage": image_uri("xgboost", "1.7-1", "us-east-1"),
                "TrainingInputMode": "File",
            },
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        },
    }


def sample(kind: str, low: str, high: str, scaling: str) -> list[float]:
    ranges = {
        f"{kind}ParameterRanges": [
            {"Name": "x", "MinValue": low, "MaxValue": high, "ScalingType": scaling}
        ]
    }
    search = make_search(parse_spec(request(ranges)), [])
    values = []
    for _ in range(SAMPLES):
        candidate = search.suggest()
        assert candidate is not None
        values.append(float(candidate.tuned["x"]))
        search.tell(candidate, 1.0, "complete")
    return values


# Medians of 200 samples: linear ranges centre on the midpoint, logarithmic ones on the
# geometric mean (Optuna widens integer ranges by 0.5 on each side, so sqrt(0.5 * 1000.5)),
# and ReverseLogarithmic on 1 - sqrt((1 - 0.999) * (1 - 0.9)) = 0.99.
@pytest.mark.parametrize(
    ("kind", "low", "high", "scaling", "median_range"),
    [
        ("Continuous", "0.001", "1", "Linear", (0.4, 0.6)),
        ("Continuous", "0.001", "1", "Logarithmic", (0.02, 0.05)),
        ("Continuous", "0.9", "0.999", "ReverseLogarithmic", (0.985, 0.994)),
        ("Integer", "1", "1000", "Logarithmic", (15, 32)),
        ("Integer", "1", "1000", "Auto", (400, 600)),
    ],
)
def test_median_follows_scaling(
    kind: str, low: str, high: str, scaling: str, median_range: tuple[float, float]
) -> None:
    values = sample(kind, low, high, scaling)

    assert min(values) >= float(low)
    assert max(values) <= float(high)
    assert median_range[0] <= statistics.median(values) <= median_range[1]


def test_integer_values_are_whole_numbers() -> None:
    ranges = {"IntegerParameterRanges": [{"Name": "x", "MinValue": "1", "MaxValue": "300"}]}
    search = make_search(parse_spec(request(ranges)), [])
    values = []
    for _ in range(20):
        candidate = search.suggest()
        assert candidate is not None
        values.append(candidate.tuned["x"])

    assert all(value.isdigit() for value in values)
    assert all(1 <= int(value) <= 300 for value in values)


def test_warm_start_results_seed_the_study() -> None:
    ranges = {
        "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}],
    }
    seeds = [
        Evaluation({"eta": "0.2"}, 0.7),
        Evaluation({"eta": "0.9"}, 0.1),  # outside the new range: not usable
        Evaluation({"gamma": "1"}, 0.5),  # no tuned hyperparameter in common
    ]
    search = make_search(parse_spec(request(ranges, "Bayesian")), seeds)

    trials = search.study.trials  # type: ignore[attr-defined]
    assert len(trials) == 1
    assert trials[0].params == {"eta": 0.2}
    assert trials[0].value == 0.7
