"""ListTrainingJobsForHyperParameterTuningJob and ListHyperParameterTuningJobs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tuning_helpers import config, definition, wait_for_tuning

import sandbox

DEPTHS = ("1", "2", "3", "4", "-1")


@pytest.fixture(scope="module")
def grid_job(sm: Any, tuning_session: sandbox.Session) -> str:
    """A finished Grid tuning job with four completed children and one failed child."""
    name = f"list-{uuid.uuid4().hex[:12]}"
    ranges = {"CategoricalParameterRanges": [{"Name": "max_depth", "Values": list(DEPTHS)}]}
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=config("Grid", ranges=ranges, max_jobs=None, parallel=2),
        TrainingJobDefinition=definition(tuning_session),
    )
    wait_for_tuning(sm, name)
    return name


def all_pages(sm: Any, name: str, **request: Any) -> tuple[list[dict[str, Any]], int]:
    """Return every summary across pages and the number of pages read."""
    summaries: list[dict[str, Any]] = []
    pages = 0
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        response = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, **request, **extra
        )
        pages += 1
        summaries.extend(response["TrainingJobSummaries"])
        token = response.get("NextToken")
        if not token:
            return summaries, pages


def value(summary: dict[str, Any]) -> float:
    return float(summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])


def test_paging_returns_each_child_once(sm: Any, grid_job: str) -> None:
    summaries, pages = all_pages(sm, grid_job, MaxResults=2)

    assert pages == 3
    names = [summary["TrainingJobName"] for summary in summaries]
    assert len(names) == len(DEPTHS)
    assert len(set(names)) == len(DEPTHS)


def test_default_sort_is_name_ascending(sm: Any, grid_job: str) -> None:
    summaries, _ = all_pages(sm, grid_job)
    names = [summary["TrainingJobName"] for summary in summaries]

    assert names == sorted(names)


@pytest.mark.parametrize("order", ["Ascending", "Descending"])
@pytest.mark.parametrize(
    ("sort_by", "key"),
    [
        ("Name", lambda s: s["TrainingJobName"]),
        ("CreationTime", lambda s: s["CreationTime"]),
        ("Status", lambda s: s["TrainingJobStatus"]),
        ("FinalObjectiveMetricValue", value),
    ],
)
def test_sort_orders(sm: Any, grid_job: str, sort_by: str, key: Any, order: str) -> None:
    summaries, _ = all_pages(sm, grid_job, SortBy=sort_by, SortOrder=order, MaxResults=2)
    keys = [key(summary) for summary in summaries]

    assert keys == sorted(keys, reverse=order == "Descending")


def test_objective_sort_omits_jobs_without_value(sm: Any, grid_job: str) -> None:
    summaries, _ = all_pages(sm, grid_job, SortBy="FinalObjectiveMetricValue")

    assert len(summaries) == len(DEPTHS) - 1
    assert all(summary["ObjectiveStatus"] == "Succeeded" for summary in summaries)


def test_status_filter(sm: Any, grid_job: str) -> None:
    failed, _ = all_pages(sm, grid_job, StatusEquals="Failed")
    completed, _ = all_pages(sm, grid_job, StatusEquals="Completed")

    assert [summary["TunedHyperParameters"] for summary in failed] == [{"max_depth": "-1"}]
    assert len(completed) == len(DEPTHS) - 1


def test_bad_token_rejected(sm: Any, grid_job: str) -> None:
    with pytest.raises(sm.exceptions.ClientError) as raised:
        sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=grid_job, NextToken="not-a-token"
        )

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["Error"]["Message"] == "Invalid pagination token: not-a-token"


def test_list_tuning_jobs_summary(sm: Any, grid_job: str) -> None:
    response = sm.list_hyper_parameter_tuning_jobs(NameContains=grid_job)
    (summary,) = response["HyperParameterTuningJobSummaries"]
    described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=grid_job)

    assert summary["HyperParameterTuningJobName"] == grid_job
    assert summary["HyperParameterTuningJobArn"] == described["HyperParameterTuningJobArn"]
    assert summary["HyperParameterTuningJobStatus"] == "Completed"
    assert summary["Strategy"] == "Grid"
    assert summary["TrainingJobStatusCounters"] == described["TrainingJobStatusCounters"]
    assert summary["ObjectiveStatusCounters"] == described["ObjectiveStatusCounters"]
    assert summary["HyperParameterTuningEndTime"] == described["HyperParameterTuningEndTime"]


def test_list_tuning_jobs_filters_and_pages(
    sm: Any, tuning_session: sandbox.Session, grid_job: str
) -> None:
    prefix = f"pages-{uuid.uuid4().hex[:8]}"
    for index in range(3):
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=f"{prefix}-{index}",
            HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
            TrainingJobDefinition=definition(tuning_session),
        )
    for index in range(3):
        wait_for_tuning(sm, f"{prefix}-{index}")

    first = sm.list_hyper_parameter_tuning_jobs(
        NameContains=prefix, MaxResults=2, SortBy="Name", SortOrder="Descending"
    )
    second = sm.list_hyper_parameter_tuning_jobs(
        NameContains=prefix,
        MaxResults=2,
        SortBy="Name",
        SortOrder="Descending",
        NextToken=first["NextToken"],
    )
    names = [
        summary["HyperParameterTuningJobName"]
        for page in (first, second)
        for summary in page["HyperParameterTuningJobSummaries"]
    ]
    assert names == [f"{prefix}-2", f"{prefix}-1", f"{prefix}-0"]
    assert "NextToken" not in second
    completed = sm.list_hyper_parameter_tuning_jobs(StatusEquals="Completed", MaxResults=100)
    assert grid_job in {
        summary["HyperParameterTuningJobName"]
        for summary in completed["HyperParameterTuningJobSummaries"]
    }


def test_delete_removes_finished_job(sm: Any, tuning_session: sandbox.Session) -> None:
    name = f"delete-{uuid.uuid4().hex[:8]}"
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
        TrainingJobDefinition=definition(tuning_session),
    )
    wait_for_tuning(sm, name)
    sm.delete_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)

    with pytest.raises(sm.exceptions.ClientError) as raised:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
