"""Bring an endpoint's variants up in the background: load each model into its server."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ...images import is_builtin_xgboost
from ..services import S3Store, S3Uri
from .models import Endpoint, EndpointConfig, Model, Variant

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)


class DeploymentError(Exception):
    """A variant could not start; the message becomes the endpoint's FailureReason."""


def build_variants(
    config: EndpointConfig, find_model: Callable[[str], Model], store: S3Store
) -> list[Variant]:
    """Load every variant of a configuration; raise DeploymentError naming the first bad one."""
    return [_build_variant(spec, find_model(spec["ModelName"]), store) for spec in config.variants]


def deploy(
    endpoint: Endpoint, variants_factory: Callable[[], list[Variant]], *, updating: bool
) -> None:
    """Switch the endpoint to freshly loaded variants, or mark it Failed (or keep the old fleet)."""
    try:
        variants = variants_factory()
    except DeploymentError as error:
        _fail(endpoint, str(error), updating=updating)
        return
    except Exception as error:
        logger.exception("endpoint %s: internal error while deploying", endpoint.name)
        _fail(endpoint, f"InternalServerError: {error!r}", updating=updating)
        return
    with endpoint.lock:
        endpoint.variants = variants
        if endpoint.pending_config_name:
            endpoint.config_name = endpoint.pending_config_name
            endpoint.pending_config_name = None
        endpoint.set_status("InService")
    logger.info(
        "endpoint %s: InService with variants %s", endpoint.name, [v.name for v in variants]
    )


def _fail(endpoint: Endpoint, reason: str, *, updating: bool) -> None:
    with endpoint.lock:
        endpoint.pending_config_name = None
        if updating:
            # The old fleet keeps serving: SageMaker rolls the update back.
            endpoint.set_status("InService", failure_reason=reason)
        else:
            endpoint.set_status("Failed", failure_reason=reason)
    logger.info("endpoint %s: deployment failed: %s", endpoint.name, reason)


def _build_variant(spec: dict, model: Model, store: S3Store) -> Variant:
    from ...algorithms.xgboost import ModelLoadError, XGBoostModelServer

    container = model.container
    image = container.get("Image", "")
    if not is_builtin_xgboost(image):
        raise DeploymentError(
            f"The primary container for production variant {spec['VariantName']} did not pass the "
            f"ping health check: the sandbox serves the built-in XGBoost image only, not {image!r}."
        )
    archive = _model_archive(container, spec["VariantName"], store)
    try:
        server = XGBoostModelServer.from_model_archive(archive, container.get("Environment") or {})
    except ModelLoadError as error:
        raise DeploymentError(
            f"The primary container for production variant {spec['VariantName']} did not pass the "
            f"ping health check: {error}"
        ) from None
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
