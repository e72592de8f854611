"""The sagemaker-runtime side of the sandbox: InvokeEndpoint on real model servers."""

from __future__ import annotations

import os
import random
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from .exceptions import RuntimeValidationError
from .hosting.invocation import invoke


class SandboxRuntimeBackend(SageMakerRuntimeBackend):
    """Per account and region: the random generator that splits traffic between variants."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        seed = os.environ.get("SAGELAB_SANDBOX_SEED")
        self.rng = random.Random(int(seed) if seed else None)

    @property
    def _url_module(self) -> Any:
        from . import runtime_urls

        return runtime_urls


class SandboxRuntimeResponse(SageMakerRuntimeResponse):
    def invoke_endpoint(self) -> TYPE_RESPONSE:
        name = self._endpoint_name()
        backend = sagemaker_backends[self.current_account][self.region]
        hosting = backend.hosting  # type: ignore[attr-defined]
        endpoint = hosting.endpoints.get(name.lower())
        if endpoint is None or endpoint.name != name:
            raise RuntimeValidationError(
                f"Endpoint {name} of account {self.current_account} not found."
            )
        runtime: SandboxRuntimeBackend = self.sagemakerruntime_backend  # type: ignore[assignment]
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode()
        result = invoke(
            endpoint,
            body,
            self.headers,
            account_id=self.current_account,
            region=self.region,
            rng=runtime.rng,
        )
        headers = {
            "Content-Type": result.content_type,
            "x-Amzn-Invoked-Production-Variant": result.variant,
        }
        attributes = self.headers.get("X-Amzn-SageMaker-Custom-Attributes")
        if attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
        return 200, headers, result.body

    def _endpoint_name(self) -> str:
        from urllib.parse import unquote

        parts = self.path.split("/")
        return unquote(parts[2]) if len(parts) > 2 else ""
