"""InvokeEndpoint: route a request to a production variant and call its model server."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass

from ..exceptions import ModelError, RuntimeValidationError
from .models import Endpoint, Variant

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
SERVING_STATUSES = ("InService", "Updating", "SystemUpdating", "RollingBack")


@dataclass
class InvocationResult:
    body: bytes
    content_type: str
    variant: str


def invoke(
    endpoint: Endpoint,
    body: bytes,
    headers: Mapping[str, str],
    *,
    account_id: str,
    region: str,
    rng: random.Random,
) -> InvocationResult:
    """Run one InvokeEndpoint request against the endpoint's variants."""
    if len(body) > MAX_PAYLOAD_BYTES:
        raise RuntimeValidationError(
            f"Request body of {len(body)} bytes exceeds the maximum of {MAX_PAYLOAD_BYTES} bytes "
            "for real-time inference: split the rows into smaller requests or use batch transform."
        )
    if endpoint.status not in SERVING_STATUSES or not endpoint.variants:
        raise RuntimeValidationError(
            f"Endpoint {endpoint.name} of account {account_id} is not in service "
            f"(status {endpoint.status}): wait for InService before invoking it."
        )
    variant = choose_variant(endpoint, headers.get("X-Amzn-SageMaker-Target-Variant"), rng)
    assert variant.server is not None
    response = variant.server.invoke(body, headers.get("Content-Type"), headers.get("Accept"))
    if response.status >= 400:
        raise _model_error(endpoint, variant, response.status, response.body, account_id, region)
    return InvocationResult(response.body, response.content_type, variant.name)


def choose_variant(endpoint: Endpoint, target: str | None, rng: random.Random) -> Variant:
    """Pick the targeted variant, or one at random in proportion to the current weights."""
    variants = endpoint.variants
    if target:
        for variant in variants:
            if variant.name == target:
                return variant
        raise RuntimeValidationError(
            f"Endpoint {endpoint.name} does not have target variant {target}: use one of "
            f"{', '.join(v.name for v in variants)}."
        )
    weights = [max(0.0, variant.current_weight) for variant in variants]
    if sum(weights) <= 0:
        raise RuntimeValidationError(
            f"Endpoint {endpoint.name} has no variant with a positive weight: set a weight "
            "with UpdateEndpointWeightsAndCapacities or send TargetVariant."
        )
    return rng.choices(variants, weights=weights, k=1)[0]


def _model_error(
    endpoint: Endpoint, variant: Variant, status: int, body: bytes, account_id: str, region: str
) -> ModelError:
    text = body.decode("utf-8", errors="replace")
    kind = "client" if status < 500 else "server"
    group = f"/aws/sagemaker/Endpoints/{endpoint.name}"
    console = (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEventViewer:group={group}"
    )
    logger.info("endpoint %s: variant %s returned %s", endpoint.name, variant.name, status)
    return ModelError(
        f'Received {kind} error ({status}) from primary with message "{text}". '
        f"See {console} in account {account_id} for more information.",
        original_status_code=status,
        original_message=text,
        log_stream_arn=f"arn:aws:logs:{region}:{account_id}:log-group:{group}",
    )
