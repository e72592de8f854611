"""The local SageMaker emulator: moto's SageMaker with real jobs behind it.

`install()` makes moto create the sandbox's backends instead of its own. It must run
before the first SageMaker request in the process; `sandbox.connect()` calls it.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Swap moto's SageMaker and SageMaker Runtime backends for the sandbox's (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.sagemaker import models as sagemaker_models
        from moto.sagemakerruntime import models as runtime_models

        from .backend import SandboxSageMakerBackend
        from .runtime import SandboxRuntimeBackend

        for backends, backend_class in (
            (sagemaker_models.sagemaker_backends, SandboxSageMakerBackend),
            (runtime_models.sagemakerruntime_backends, SandboxRuntimeBackend),
        ):
            backends.backend = backend_class
            for account_backends in backends.values():
                account_backends.backend = backend_class
                account_backends.clear()
        _installed = True


def stop_running_jobs(timeout: float = 10.0) -> None:
    """Stop the running jobs of every sandbox backend in the process (see the backend's method)."""
    from moto.sagemaker.models import sagemaker_backends

    from .backend import SandboxSageMakerBackend

    for account_backends in list(sagemaker_backends.values()):
        for backend in list(account_backends.values()):
            if isinstance(backend, SandboxSageMakerBackend):
                backend.stop_running_jobs(timeout)
