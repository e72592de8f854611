"""CloudWatch metrics and logs of endpoints, as SageMaker publishes them.

Metrics go to namespace `AWS/SageMaker` with dimensions EndpointName and VariantName,
one datapoint per metric and request, so that the Sum of Invocations over a period is
the request count and the Average of ModelLatency is the mean latency in microseconds.
Logs go to group `/aws/sagemaker/Endpoints/<EndpointName>`, one stream per variant
instance named `<VariantName>/<instance id>`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from ..services import LogStreamWriter, put_metrics

NAMESPACE = "AWS/SageMaker"


@dataclass(frozen=True)
class InvocationTiming:
    """Where the time of one request went, in microseconds."""

    model_microseconds: float
    overhead_microseconds: float


def log_group(endpoint_name: str) -> str:
    return f"/aws/sagemaker/Endpoints/{endpoint_name}"


def open_variant_log(
    account_id: str, region: str, endpoint_name: str, variant_name: str
) -> LogStreamWriter:
    """Return the log stream of a variant's (single) instance."""
    instance_id = f"i-{secrets.token_hex(9)[:17]}"
    return LogStreamWriter(
        account_id, region, log_group(endpoint_name), f"{variant_name}/{instance_id}"
    )


def container_log_line(message: str, level: str = "INFO") -> str:
    """Format a line as the XGBoost serving container writes it."""
    return f"[{dt.datetime.now(dt.timezone.utc):%Y-%m-%d:%H:%M:%S}:{level}] {message}"


def publish_invocation(
    account_id: str,
    region: str,
    endpoint_name: str,
    variant_name: str,
    *,
    instance_count: int,
    status: int,
    timing: InvocationTiming,
) -> None:
    """Publish the metrics of one request that reached a variant's container."""
    dimensions = [
        {"Name": "EndpointName", "Value": endpoint_name},
        {"Name": "VariantName", "Value": variant_name},
    ]
    values = [
        ("Invocations", 1.0, "None"),
        ("InvocationsPerInstance", 1.0 / max(1, instance_count), "None"),
        ("ModelLatency", timing.model_microseconds, "Microseconds"),
        ("OverheadLatency", timing.overhead_microseconds, "Microseconds"),
        ("Invocation4XXErrors", 1.0 if 400 <= status < 500 else 0.0, "None"),
        ("Invocation5XXErrors", 1.0 if status >= 500 else 0.0, "None"),
    ]
    put_metrics(
        account_id,
        region,
        NAMESPACE,
        [
            {"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dimensions}
            for name, value, unit in values
        ],
    )
