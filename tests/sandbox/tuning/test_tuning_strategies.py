"""Tuning jobs end to end through boto3: every strategy, child jobs, counters, best job."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from tuning_helpers import children, config, definition, wait_for_tuning

import sandbox

CHILD_NAME = re.compile(r"^(?P<tuning>.+)-(?P<number>[0-9]{3})-[0-9a-f]{8}$")


def create(
    sm: Any, session: sandbox.Session, name: str, settings: dict[str, Any], **kw: Any
) -> None:
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=settings,
        TrainingJobDefinition=kw.pop("training_definition", None) or definition(session),
        **kw,
    )


def objective(summary: dict[str, Any]) -> float | None:
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric")
    return None if metric is None else metric["Value"]


def assert_counters_match(described: dict[str, Any], summaries: list[dict[str, Any]]) -> None:
    statuses = [summary["TrainingJobStatus"] for summary in summaries]
    counters = described["TrainingJobStatusCounters"]
    assert counters["Completed"] == statuses.count("Completed")
    assert counters["NonRetryableError"] == statuses.count("Failed")
    assert counters["Stopped"] == statuses.count("Stopped")
    assert counters["InProgress"] == 0
    assert counters["RetryableError"] == 0
    objectives = [summary["ObjectiveStatus"] for summary in summaries]
    assert described["ObjectiveStatusCounters"] == {
        "Succeeded": objectives.count("Succeeded"),
        "Pending": 0,
        "Failed": objectives.count("Failed"),
    }


def assert_best_is_best_completed(
    described: dict[str, Any], summaries: list[dict[str, Any]]
) -> None:
    completed = [
        summary
        for summary in summaries
        if summary["TrainingJobStatus"] == "Completed" and objective(summary) is not None
    ]
    best_value = max(objective(summary) or -math.inf for summary in completed)
    best = described["BestTrainingJob"]
    assert objective(best) == best_value
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "validation:auc"
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Type"] == "Maximize"
    assert best["TrainingJobName"] in {summary["TrainingJobName"] for summary in completed}


def test_random_search_launches_children(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    create(sm, tuning_session, name, config("Random", max_jobs=4, parallel=2))
    described = wait_for_tuning(sm, name)
    summaries = children(sm, name)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["HyperParameterTuningEndTime"] >= described["CreationTime"]
    assert len(summaries) == 4
    numbers = sorted(int(CHILD_NAME.match(s["TrainingJobName"])["number"]) for s in summaries)
    assert numbers == [1, 2, 3, 4]
    assert {CHILD_NAME.match(s["TrainingJobName"])["tuning"] for s in summaries} == {name}
    for summary in summaries:
        tuned = summary["TunedHyperParameters"]
        assert set(tuned) == {"eta", "max_depth"}
        assert 0.01 <= float(tuned["eta"]) <= 0.5
        assert 1 <= int(tuned["max_depth"]) <= 6
        assert summary["TuningJobName"] == name
    assert_counters_match(described, summaries)
    assert_best_is_best_completed(described, summaries)


def test_child_hyperparameters_merge_static(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    create(sm, tuning_session, name, config("Random", max_jobs=1, parallel=1))
    described = wait_for_tuning(sm, name)
    child = children(sm, name)[0]
    job = sm.describe_training_job(TrainingJobName=child["TrainingJobName"])

    assert job["TuningJobArn"] == described["HyperParameterTuningJobArn"]
    assert job["HyperParameters"] == {
        "objective": "binary:logistic",
        "num_round": "20",
        "_tuning_objective_metric": "validation:auc",
        **child["TunedHyperParameters"],
    }
    static = described["TrainingJobDefinition"]["StaticHyperParameters"]
    assert static["_tuning_objective_metric"] == "validation:auc"
    final = {metric["MetricName"]: metric["Value"] for metric in job["FinalMetricDataList"]}
    assert final["validation:auc"] == objective(child)


def test_random_seed_reproduces_choices(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    second = f"{name}-b"
    for job_name in (name, second):
        create(sm, tuning_session, job_name, config("Random", max_jobs=3, parallel=1))
    wait_for_tuning(sm, name)
    wait_for_tuning(sm, second)
    runs = [[s["TunedHyperParameters"] for s in children(sm, n)] for n in (name, second)]

    assert len(runs[0]) == 3
    assert runs[0] == runs[1]


def test_bayesian_search_is_reproducible(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    second = f"{name}-b"
    for job_name in (name, second):
        create(sm, tuning_session, job_name, config("Bayesian", max_jobs=4, parallel=1))
    described = [wait_for_tuning(sm, job_name) for job_name in (name, second)]
    runs = [children(sm, job_name) for job_name in (name, second)]

    assert described[0]["HyperParameterTuningJobStatus"] == "Completed"
    assert [s["TunedHyperParameters"] for s in runs[0]] == [
        s["TunedHyperParameters"] for s in runs[1]
    ]
    assert [objective(s) for s in runs[0]] == [objective(s) for s in runs[1]]
    assert_counters_match(described[0], runs[0])
    assert_best_is_best_completed(described[0], runs[0])


def test_grid_runs_every_combination(sm: Any, tuning_session: sandbox.Session, name: str) -> None:
    ranges = {
        "CategoricalParameterRanges": [
            {"Name": "max_depth", "Values": ["2", "-1", "4"]},
            {"Name": "eta", "Values": ["0.1", "0.3"]},
        ]
    }
    create(sm, tuning_session, name, config("Grid", ranges=ranges, max_jobs=None, parallel=2))
    described = wait_for_tuning(sm, name)
    summaries = children(sm, name)

    combinations = sorted(
        (s["TunedHyperParameters"]["max_depth"], s["TunedHyperParameters"]["eta"])
        for s in summaries
    )
    assert combinations == sorted((d, e) for d in ("2", "-1", "4") for e in ("0.1", "0.3"))
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    failed = [s for s in summaries if s["TrainingJobStatus"] == "Failed"]
    assert {s["TunedHyperParameters"]["max_depth"] for s in failed} == {"-1"}
    assert all(s["ObjectiveStatus"] == "Failed" for s in failed)
    assert all("max_depth" in s["FailureReason"] for s in failed)
    assert_counters_match(described, summaries)
    assert_best_is_best_completed(described, summaries)


def last_logged_round(session: sandbox.Session, job_name: str) -> int:
    logs = session.client("logs")
    group = "/aws/sagemaker/TrainingJobs"
    streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{job_name}/")
    stream = streams["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    rounds = [
        int(match.group(1))
        for event in events["events"]
        if (match := re.match(r"\[([0-9]+)\]#011", event["message"]))
    ]
    return max(rounds)


def test_hyperband_stops_weak_configurations(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    settings = config(
        "Hyperband",
        max_jobs=6,
        parallel=2,
        StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 2, "MaxResource": 20}},
    )
    create(sm, tuning_session, name, settings)
    described = wait_for_tuning(sm, name)
    summaries = children(sm, name)

    stopped = [s for s in summaries if s["TrainingJobStatus"] == "Stopped"]
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert stopped, "Hyperband stopped no training job"
    for summary in stopped:
        assert last_logged_round(tuning_session, summary["TrainingJobName"]) < 19
        assert summary["ObjectiveStatus"] == "Succeeded"
    completed = [s for s in summaries if s["TrainingJobStatus"] == "Completed"]
    for summary in completed:
        assert last_logged_round(tuning_session, summary["TrainingJobName"]) == 19
    assert_counters_match(described, summaries)
    assert_best_is_best_completed(described, summaries)


def test_auto_early_stopping_uses_median(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    ranges = {
        "ContinuousParameterRanges": [
            {"Name": "eta", "MinValue": "0.001", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
        ]
    }
    settings = config(
        "Random", ranges=ranges, max_jobs=6, parallel=1, TrainingJobEarlyStoppingType="Auto"
    )
    create(sm, tuning_session, name, settings)
    described = wait_for_tuning(sm, name)
    summaries = children(sm, name)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    stopped = [s for s in summaries if s["TrainingJobStatus"] == "Stopped"]
    assert stopped, "the median rule stopped no training job"
    first_three = sorted(summaries, key=lambda s: s["TrainingJobName"])[:3]
    assert all(s["TrainingJobStatus"] == "Completed" for s in first_three)
    for summary in stopped:
        assert last_logged_round(tuning_session, summary["TrainingJobName"]) < 19
    assert_counters_match(described, summaries)


def test_target_value_ends_search(sm: Any, tuning_session: sandbox.Session, name: str) -> None:
    settings = config(
        "Random",
        max_jobs=5,
        parallel=1,
        TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 0.5},
    )
    create(sm, tuning_session, name, settings)
    described = wait_for_tuning(sm, name)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert len(children(sm, name)) == 1
    assert objective(described["BestTrainingJob"]) >= 0.5


def test_all_children_failing_fails_tuning(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    bad = definition(tuning_session, static={"subsample": "0"})
    create(sm, tuning_session, name, config("Random", max_jobs=2), training_definition=bad)
    described = wait_for_tuning(sm, name)

    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("All training jobs failed. The first, ")
    assert "subsample" in described["FailureReason"]
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert described["ObjectiveStatusCounters"]["Failed"] == 2
    assert "BestTrainingJob" not in described


def test_stop_stops_running_children(sm: Any, tuning_session: sandbox.Session, name: str) -> None:
    slow = definition(tuning_session, static={"num_round": "4000"})
    create(
        sm, tuning_session, name, config("Random", max_jobs=6, parallel=1), training_definition=slow
    )
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    status = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    described = wait_for_tuning(sm, name)
    summaries = children(sm, name)

    assert status["HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert "HyperParameterTuningEndTime" in described
    assert len(summaries) <= 1
    assert all(s["TrainingJobStatus"] == "Stopped" for s in summaries)
    assert described["TrainingJobStatusCounters"]["InProgress"] == 0


def test_warm_start_reports_overall_best(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    parent = f"{name}-p"
    create(sm, tuning_session, parent, config("Random", max_jobs=3, parallel=2))
    parent_described = wait_for_tuning(sm, parent)
    warm_start = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": parent}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    create(
        sm,
        tuning_session,
        name,
        config("Bayesian", max_jobs=2, parallel=1),
        WarmStartConfig=warm_start,
    )
    described = wait_for_tuning(sm, name)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["WarmStartConfig"] == warm_start
    overall = described["OverallBestTrainingJob"]
    values = [
        objective(parent_described["BestTrainingJob"]),
        objective(described["BestTrainingJob"]),
    ]
    assert objective(overall) == max(values)


def test_transfer_learning_allows_new_image(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    parent = f"{name}-p"
    create(sm, tuning_session, parent, config("Random", max_jobs=1, parallel=1))
    wait_for_tuning(sm, parent)
    other_image = definition(tuning_session, image_version="1.5-1")
    warm_start: dict[str, Any] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": parent}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    with pytest.raises(sm.exceptions.ClientError) as raised:
        create(
            sm,
            tuning_session,
            name,
            config("Random", max_jobs=1),
            training_definition=other_image,
            WarmStartConfig=warm_start,
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "IdenticalDataAndAlgorithm needs the training image" in str(raised.value)

    warm_start["WarmStartType"] = "TransferLearning"
    create(
        sm,
        tuning_session,
        name,
        config("Random", max_jobs=1),
        training_definition=other_image,
        WarmStartConfig=warm_start,
    )
    assert wait_for_tuning(sm, name)["HyperParameterTuningJobStatus"] == "Completed"
