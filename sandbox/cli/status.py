"""`python -m sandbox status`: what exists on a sandbox server (or any SageMaker API)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# (heading, list operation, summaries key, name key, status key or None)
LISTINGS = (
    (
        "training jobs",
        "list_training_jobs",
        "TrainingJobSummaries",
        "TrainingJobName",
        "TrainingJobStatus",
    ),
    (
        "tuning jobs",
        "list_hyper_parameter_tuning_jobs",
        "HyperParameterTuningJobSummaries",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobStatus",
    ),
    ("models", "list_models", "Models", "ModelName", None),
    ("endpoint configs", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", None),
    ("endpoints", "list_endpoints", "Endpoints", "EndpointName", "EndpointStatus"),
    (
        "transform jobs",
        "list_transform_jobs",
        "TransformJobSummaries",
        "TransformJobName",
        "TransformJobStatus",
    ),
)


def collect(sagemaker: Any, s3: Any) -> dict[str, list[str]]:
    """Return one line per resource, grouped by heading, buckets first."""
    groups: dict[str, list[str]] = {
        "buckets": [bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])]
    }
    for heading, operation, key, name_key, status_key in LISTINGS:
        lines = []
        for summary in _pages(sagemaker, operation, key):
            status = f"  {summary[status_key]}" if status_key else ""
            lines.append(f"{summary[name_key]}{status}")
        groups[heading] = lines
    return groups


def render(groups: dict[str, list[str]]) -> str:
    out: list[str] = []
    for heading, lines in groups.items():
        out.append(f"{heading} ({len(lines)})")
        out.extend(f"  {line}" for line in lines)
    return "\n".join(out)


def _pages(sagemaker: Any, operation: str, key: str) -> Iterator[dict[str, Any]]:
    for page in sagemaker.get_paginator(operation).paginate():
        yield from page.get(key, [])
