"""InvokeEndpoint: route a request to a production variant and call its model server.

Each request is checked, routed to a variant and sent to the variant's XGBoost server.
The call is then captured, measured and logged before the response is returned, so
metrics, logs and data capture records exist when InvokeEndpoint returns.
"""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass

from ..exceptions import ModelError, RuntimeValidationError
from ..lifecycle import utcnow
from ..services import S3Store
from .capture import CapturedCall
from .models import Endpoint, Variant
from .telemetry import InvocationTiming, container_log_line, log_group, publish_invocation

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 6291456
SERVING_STATUSES = ("InService", "Updating", "SystemUpdating", "RollingBack")
_ASCII = re.compile(r"[\x00-\x7f]*")
_PRINTABLE_ID = re.compile(r"\S[\x20-\x7e]*")
_VARIANT_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")


@dataclass(frozen=True)
class InvocationRequest:
    """The members of one InvokeEndpoint request that the sandbox uses."""

    body: bytes
    content_type: str | None
    accept: str | None
    custom_attributes: str | None = None
    target_variant: str | None = None
    inference_id: str | None = None


@dataclass(frozen=True)
class InvocationContext:
    """Account, region, random generator and S3 store of one request."""

    account_id: str
    region: str
    rng: random.Random
    store: S3Store
    started: float


@dataclass
class InvocationResult:
    body: bytes
    content_type: str
    variant: str


def invoke(
    endpoint: Endpoint, request: InvocationRequest, context: InvocationContext
) -> InvocationResult:
    """Run one InvokeEndpoint request against the endpoint's variants."""
    check_request(request)
    with endpoint.lock:
        status = endpoint.status
        variants = list(endpoint.variants)
        capture = endpoint.capture
    if status not in SERVING_STATUSES or not variants:
        # NOTE: the service's wording for an endpoint that is not InService is not
        # documented, so this message states what to do instead.
        raise RuntimeValidationError(
            f"Endpoint {endpoint.name} of account {context.account_id} is not in service "
            f"(status {status}): wait for InService before invoking it."
        )

    variant = choose_variant(endpoint.name, variants, request.target_variant, context.rng)
    assert variant.server is not None
    model_started = time.perf_counter()
    response = variant.server.invoke(request.body, request.content_type, request.accept)
    model_seconds = time.perf_counter() - model_started

    if response.status < 400 and capture is not None and capture.sampled(context.rng):
        call = CapturedCall(
            endpoint=endpoint.name,
            variant=variant.name,
            request_body=request.body,
            request_content_type=request.content_type or "",
            response_body=response.body,
            response_content_type=response.content_type,
            inference_id=request.inference_id,
            time=utcnow(),
        )
        capture.write(context.store, call)

    total_seconds = time.perf_counter() - context.started
    timing = InvocationTiming(
        model_microseconds=model_seconds * 1e6,
        overhead_microseconds=max(0.0, total_seconds - model_seconds) * 1e6,
    )
    publish_invocation(
        context.account_id,
        context.region,
        endpoint.name,
        variant.name,
        instance_count=variant.current_instance_count,
        status=response.status,
        timing=timing,
    )
    if response.status >= 400:
        text = response.body.decode("utf-8", errors="replace")
        if variant.log is not None:
            variant.log.write([container_log_line(text, "ERROR")])
        raise model_error(endpoint.name, response.status, text, context)
    return InvocationResult(response.body, response.content_type, variant.name)


def check_request(request: InvocationRequest) -> None:
    """Reject header values that break the runtime's length and pattern constraints."""
    if len(request.body) > MAX_PAYLOAD_BYTES:
        raise RuntimeValidationError(
            "1 validation error detected: Value at 'body' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
        )
    checks = (
        ("customAttributes", request.custom_attributes, 1024, _ASCII),
        ("targetVariant", request.target_variant, 63, _VARIANT_NAME),
        ("inferenceId", request.inference_id, 64, _PRINTABLE_ID),
    )
    for member, value, maximum, pattern in checks:
        if value is None:
            continue
        if len(value) > maximum:
            raise _constraint_error(
                member, value, f"Member must have length less than or equal to {maximum}"
            )
        if not pattern.fullmatch(value):
            raise _constraint_error(
                member,
                value,
                f"Member must satisfy regular expression pattern: {pattern.pattern}",
            )


def choose_variant(
    endpoint_name: str, variants: list[Variant], target: str | None, rng: random.Random
) -> Variant:
    """Pick the targeted variant, or one at random in proportion to the current weights."""
    if target:
        for variant in variants:
            if variant.name == target:
                return variant
        # NOTE: the exact text of this error on the service is not documented.
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} does not have target variant {target}: use one of "
            f"{', '.join(v.name for v in variants)}."
        )
    weights = [max(0.0, variant.current_weight) for variant in variants]
    if sum(weights) <= 0:
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} has no variant with a positive weight: set a weight "
            "with UpdateEndpointWeightsAndCapacities or send TargetVariant."
        )
    return rng.choices(variants, weights=weights, k=1)[0]


def model_error(
    endpoint_name: str, status: int, text: str, context: InvocationContext
) -> ModelError:
    """Wrap a container error status in the runtime's ModelError."""
    kind = "client" if status < 500 else "server"
    group = log_group(endpoint_name)
    region = context.region
    console = (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEventViewer:group={group}"
    )
    logger.info("endpoint %s: the container returned %s", endpoint_name, status)
    return ModelError(
        f'Received {kind} error ({status}) from primary with message "{text}". '
        f"See {console} in account {context.account_id} for more information.",
        original_status_code=status,
        original_message=text,
        log_stream_arn=f"arn:aws:logs:{region}:{context.account_id}:log-group:{group}",
    )


def _constraint_error(member: str, value: str, constraint: str) -> RuntimeValidationError:
    return RuntimeValidationError(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )
