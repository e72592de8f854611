"""The sagemaker-runtime side of the sandbox: InvokeEndpoint on real model servers."""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from .exceptions import RuntimeValidationError
from .hosting.invocation import InvocationContext, InvocationRequest, invoke
from .services import S3Store

logger = logging.getLogger(__name__)

SEED_VARIABLE = "SAGELAB_SANDBOX_SEED"


class SandboxRuntimeBackend(SageMakerRuntimeBackend):
    """Per account and region: the random generator that splits traffic and samples capture.

    Set SAGELAB_SANDBOX_SEED to a whole number before the first invocation to make the
    variant choices and capture samples repeatable.
    """

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.rng = random.Random(_seed())

    @property
    def _url_module(self) -> Any:
        from . import runtime_urls

        return runtime_urls


class SandboxRuntimeResponse(SageMakerRuntimeResponse):
    def invoke_endpoint(self) -> TYPE_RESPONSE:
        started = time.perf_counter()
        name = self._endpoint_name()
        backend = sagemaker_backends[self.current_account][self.region]
        hosting = backend.hosting  # type: ignore[attr-defined]
        endpoint = hosting.endpoints.get(name.lower())
        # Endpoint names are case-insensitive for uniqueness but must match exactly here.
        if endpoint is None or endpoint.name != name:
            raise RuntimeValidationError(
                f"Endpoint {name} of account {self.current_account} not found."
            )

        runtime: SandboxRuntimeBackend = self.sagemakerruntime_backend  # type: ignore[assignment]
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode()
        request = InvocationRequest(
            body=body,
            content_type=self.headers.get("Content-Type"),
            accept=self.headers.get("Accept"),
            custom_attributes=self.headers.get("X-Amzn-SageMaker-Custom-Attributes"),
            target_variant=self.headers.get("X-Amzn-SageMaker-Target-Variant"),
            inference_id=self.headers.get("X-Amzn-SageMaker-Inference-Id"),
        )
        context = InvocationContext(
            account_id=self.current_account,
            region=self.region,
            rng=runtime.rng,
            store=S3Store(self.current_account, backend.partition),
            started=started,
        )
        result = invoke(endpoint, request, context)
        # The built-in XGBoost container sets no custom attributes, so none come back.
        headers = {
            "Content-Type": result.content_type,
            "x-Amzn-Invoked-Production-Variant": result.variant,
        }
        return 200, headers, result.body

    def _endpoint_name(self) -> str:
        parts = self.path.split("/")
        return unquote(parts[2]) if len(parts) > 2 else ""


def _seed() -> int | None:
    configured = os.environ.get(SEED_VARIABLE)
    if not configured:
        return None
    try:
        return int(configured)
    except ValueError:
        raise ValueError(
            f"{SEED_VARIABLE}={configured!r} is not a whole number: set it to e.g. 42 "
            "for repeatable traffic splits, or unset it"
        ) from None
