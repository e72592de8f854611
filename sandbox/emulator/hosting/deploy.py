"""Bring an endpoint's variants up in the background: load each model into its server.

Every change of an endpoint (create, update, new weights, delete) runs on its own thread
and lasts at least TRANSITION_SECONDS, so that the Creating, Updating and Deleting
statuses can be observed with DescribeEndpoint, as on SageMaker where they last minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ...images import is_builtin_xgboost
from ..services import S3Store, S3Uri
from .capture import DataCapture
from .models import Endpoint, EndpointConfig, Model, Variant
from .telemetry import container_log_line, open_variant_log

logger = logging.getLogger(__name__)

TRANSITION_SECONDS = 0.5


class DeploymentError(Exception):
    """A variant could not start; the message becomes the endpoint's FailureReason."""


@dataclass(frozen=True)
class Placement:
    """Account and region of the variants' logs, and the S3 store of their models."""

    account_id: str
    region: str
    store: S3Store


@dataclass(frozen=True)
class RetainedProperties:
    """The variant properties that UpdateEndpoint keeps from the running variants."""

    weights: bool = False
    instance_counts: bool = False
    data_capture: bool = False


def run_in_background(name: str, work: Callable[[], None], *, delay: float = 0.0) -> None:
    """Run one endpoint change on its own daemon thread, after `delay` seconds."""

    def run() -> None:
        time.sleep(delay)
        try:
            work()
        except Exception:
            logger.exception("endpoint %s: unexpected error in a background change", name)

    threading.Thread(target=run, name=f"sandbox-endpoint-{name}", daemon=True).start()


def build_variants(
    endpoint_name: str,
    config: EndpointConfig,
    find_model: Callable[[str], Model],
    placement: Placement,
) -> list[Variant]:
    """Load every variant of a configuration; raise DeploymentError naming the first bad one."""
    return [
        _build_variant(endpoint_name, spec, find_model(spec["ModelName"]), placement)
        for spec in config.variants
    ]


def deploy(
    endpoint: Endpoint,
    config: EndpointConfig,
    variants_factory: Callable[[], list[Variant]],
    *,
    updating: bool,
    retained: RetainedProperties | None = None,
) -> None:
    """Switch the endpoint to freshly loaded variants, or mark it Failed (or keep the old fleet).

    The old variants keep serving until the new ones are loaded (blue/green), and the
    endpoint's configuration name changes only then.
    """
    started = time.monotonic()
    try:
        variants = variants_factory()
    except DeploymentError as error:
        _wait_transition(started)
        _fail(endpoint, str(error), updating=updating)
        return
    except Exception as error:
        logger.exception("endpoint %s: internal error while deploying", endpoint.name)
        _wait_transition(started)
        _fail(endpoint, f"InternalServerError: {error!r}", updating=updating)
        return

    _wait_transition(started)
    with endpoint.lock:
        if retained is not None:
            _retain(endpoint.variants, variants, retained)
        endpoint.variants = variants
        endpoint.config_name = config.name
        endpoint.pending_config_name = None
        if retained is None or not retained.data_capture:
            endpoint.capture = DataCapture.from_config(config.request.get("DataCaptureConfig"))
            endpoint.data_capture = capture_summary(config)
        endpoint.set_status("InService")
    logger.info(
        "endpoint %s: InService with variants %s", endpoint.name, [v.name for v in variants]
    )


def apply_weights(endpoint: Endpoint) -> None:
    """Finish an UpdateEndpointWeightsAndCapacities: current values catch up with desired."""
    with endpoint.lock:
        for variant in endpoint.variants:
            variant.current_weight = variant.desired_weight
            variant.current_instance_count = variant.desired_instance_count
        endpoint.set_status("InService")
    logger.info("endpoint %s: weights and capacities applied", endpoint.name)


def capture_summary(config: EndpointConfig) -> dict[str, object] | None:
    """Return the DataCaptureConfig summary that DescribeEndpoint shows for a configuration."""
    capture = config.request.get("DataCaptureConfig")
    if not capture:
        return None
    enabled = capture.get("EnableCapture", True)
    return {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": capture["InitialSamplingPercentage"],
        "DestinationS3Uri": capture["DestinationS3Uri"],
        "KmsKeyId": capture.get("KmsKeyId", ""),
    }


def _wait_transition(started: float) -> None:
    remaining = TRANSITION_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def _retain(old: list[Variant], new: list[Variant], retained: RetainedProperties) -> None:
    running = {variant.name: variant for variant in old}
    for variant in new:
        previous = running.get(variant.name)
        if previous is None:
            continue
        if retained.weights:
            variant.current_weight = variant.desired_weight = previous.current_weight
        if retained.instance_counts:
            variant.current_instance_count = previous.current_instance_count
            variant.desired_instance_count = previous.current_instance_count


def _fail(endpoint: Endpoint, reason: str, *, updating: bool) -> None:
    with endpoint.lock:
        endpoint.pending_config_name = None
        if updating:
            # The old fleet keeps serving: SageMaker rolls the update back.
            endpoint.set_status("InService", failure_reason=reason)
        else:
            endpoint.set_status("Failed", failure_reason=reason)
    logger.info("endpoint %s: deployment failed: %s", endpoint.name, reason)


def _build_variant(endpoint_name: str, spec: dict, model: Model, placement: Placement) -> Variant:
    from ...algorithms.xgboost import ModelLoadError, XGBoostModelServer

    container = model.container
    image = container.get("Image", "")
    if not is_builtin_xgboost(image):
        raise DeploymentError(
            f"The primary container for production variant {spec['VariantName']} did not pass the "
            f"ping health check: the sandbox serves the built-in XGBoost image only, not {image!r}."
        )
    archive = _model_archive(container, spec["VariantName"], placement.store)
    log = open_variant_log(
        placement.account_id, placement.region, endpoint_name, spec["VariantName"]
    )
    try:
        server = XGBoostModelServer.from_model_archive(archive, container.get("Environment") or {})
    except ModelLoadError as error:
        log.write([container_log_line(f"Unable to load model: {error}", "ERROR")])
        raise DeploymentError(
            f"The primary container for production variant {spec['VariantName']} did not pass the "
            f"ping health check: {error}"
        ) from None
    log.write(
        [
            container_log_line("Running XGBoost Sagemaker in algorithm mode"),
            container_log_line(f"Loaded model {model.name} from {container['ModelDataUrl']}"),
            container_log_line("Model loaded successfully for worker : 1"),
        ]
    )
    weight = float(spec.get("InitialVariantWeight", 1.0))
    count = int(spec.get("InitialInstanceCount", 1))
    return Variant(
        name=spec["VariantName"],
        model_name=model.name,
        image=image,
        instance_type=spec.get("InstanceType", ""),
        current_weight=weight,
        desired_weight=weight,
        current_instance_count=count,
        desired_instance_count=count,
        server=server,
        log=log,
    )


def _model_archive(container: dict, variant: str, store: S3Store) -> bytes:
    url = container.get("ModelDataUrl")
    if not url:
        raise DeploymentError(
            f"Production variant {variant} has no ModelDataUrl: the built-in XGBoost container "
            "needs a model.tar.gz"
        )
    body = store.read(S3Uri.parse(url))
    if body is None:
        raise DeploymentError(
            f"Failed to download model data for production variant {variant} from {url}: "
            "the object does not exist. Please ensure that the model artifact exists."
        )
    return body
