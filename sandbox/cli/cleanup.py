"""Find the course's tagged SageMaker resources and delete or stop them.

Endpoints, endpoint configurations and models are deleted, because they cost money (or
clutter the account) for as long as they exist. Training, tuning and transform jobs are
stopped while they run; SageMaker keeps finished jobs and offers no delete for them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .. import guardrails

logger = logging.getLogger(__name__)

# SageMaker rejects DeleteEndpoint while an endpoint is being created or updated, which
# takes minutes on a real account, so cleanup waits for it to settle first.
ENDPOINT_IN_PROGRESS = ("Creating", "Updating", "SystemUpdating", "RollingBack")
ENDPOINT_POLL_SECONDS = 15.0
ENDPOINT_WAIT_SECONDS = 20 * 60.0


@dataclass(frozen=True)
class Family:
    """One kind of resource: how to list it, its ARN field, and what cleanup calls."""

    kind: str
    list_operation: str
    summaries_key: str
    name_key: str
    arn_key: str
    action: str
    action_operation: str
    list_params: tuple[tuple[str, str], ...] = ()


# Endpoints first: an endpoint config or model still in use by an endpoint can be
# deleted, but deleting the endpoint first stops the charges soonest.
FAMILIES = (
    Family(
        "endpoint",
        "list_endpoints",
        "Endpoints",
        "EndpointName",
        "EndpointArn",
        "delete",
        "delete_endpoint",
    ),
    Family(
        "endpoint config",
        "list_endpoint_configs",
        "EndpointConfigs",
        "EndpointConfigName",
        "EndpointConfigArn",
        "delete",
        "delete_endpoint_config",
    ),
    Family("model", "list_models", "Models", "ModelName", "ModelArn", "delete", "delete_model"),
    Family(
        "training job",
        "list_training_jobs",
        "TrainingJobSummaries",
        "TrainingJobName",
        "TrainingJobArn",
        "stop",
        "stop_training_job",
        (("StatusEquals", "InProgress"),),
    ),
    Family(
        "tuning job",
        "list_hyper_parameter_tuning_jobs",
        "HyperParameterTuningJobSummaries",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobArn",
        "stop",
        "stop_hyper_parameter_tuning_job",
        (("StatusEquals", "InProgress"),),
    ),
    Family(
        "transform job",
        "list_transform_jobs",
        "TransformJobSummaries",
        "TransformJobName",
        "TransformJobArn",
        "stop",
        "stop_transform_job",
        (("StatusEquals", "InProgress"),),
    ),
)


@dataclass(frozen=True)
class Resource:
    family: Family
    name: str
    arn: str
    lab: str

    def describe(self) -> str:
        return f"{self.family.action} {self.family.kind} {self.name} (lab {self.lab})"


@dataclass(frozen=True)
class Outcome:
    resource: Resource
    error: str | None = None


def find_tagged(sagemaker: Any, lab: str | None = None) -> list[Resource]:
    """Return every resource tagged with the course (and with `lab`, if given)."""
    found: list[Resource] = []
    for family in FAMILIES:
        for summary in _summaries(sagemaker, family):
            tags = _tags(sagemaker, summary[family.arn_key])
            if tags.get(guardrails.COURSE_TAG) != guardrails.COURSE:
                continue
            resource_lab = tags.get(guardrails.LAB_TAG, guardrails.DEFAULT_LAB)
            if lab is not None and resource_lab != lab:
                continue
            found.append(
                Resource(family, summary[family.name_key], summary[family.arn_key], resource_lab)
            )
    return found


def clean(
    sagemaker: Any, resources: Iterable[Resource], report: Callable[[str], None] = print
) -> list[Outcome]:
    """Delete or stop each resource; a failure is reported and the others still run."""
    outcomes: list[Outcome] = []
    for resource in resources:
        family = resource.family
        call = getattr(sagemaker, family.action_operation)
        try:
            if family.action_operation == "delete_endpoint":
                _wait_until_settled(sagemaker, resource.name, report)
            call(**{family.name_key: resource.name})
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", str(error))
            logger.warning("could not %s: %s", resource.describe(), message)
            report(f"failed: {resource.describe()}: {message}")
            outcomes.append(Outcome(resource, message))
            continue
        report(f"done:   {resource.describe()}")
        outcomes.append(Outcome(resource))
    return outcomes


def _wait_until_settled(sagemaker: Any, endpoint: str, report: Callable[[str], None]) -> None:
    deadline = time.monotonic() + ENDPOINT_WAIT_SECONDS
    while True:
        status = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
        if status not in ENDPOINT_IN_PROGRESS or time.monotonic() > deadline:
            return
        report(f"waiting: endpoint {endpoint} is {status}")
        time.sleep(ENDPOINT_POLL_SECONDS)


def _summaries(sagemaker: Any, family: Family) -> Iterator[dict[str, Any]]:
    paginator = sagemaker.get_paginator(family.list_operation)
    for page in paginator.paginate(**dict(family.list_params)):
        yield from page.get(family.summaries_key, [])


def _tags(sagemaker: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
    return tags
