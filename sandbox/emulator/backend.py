"""The sandbox's SageMaker backend: moto's, with real training, hosting and more.

Each account and region gets one backend (moto's `BackendDict` creates them), and each
resource family keeps its state on it. Operations that moto only mocks are handled by
the families; everything else (experiments, pipelines, ...) stays moto's own.
"""

from __future__ import annotations

import time
from typing import Any

from moto.sagemaker.models import SageMakerModelBackend

from .exceptions import ValidationException
from .hosting.service import Hosting
from .training.service import TrainingJobs
from .transform.service import TransformJobs
from .tuning.service import HyperParameterTuningJobs


class SandboxSageMakerBackend(SageMakerModelBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.training = TrainingJobs(self)
        self.hosting = Hosting(self)
        self.transform = TransformJobs(self)
        self.tuning = HyperParameterTuningJobs(self)

    def stop_running_jobs(self, timeout: float) -> None:
        """Ask every running job to stop and wait for it to end, up to `timeout` seconds.

        The local session calls this before it drops the mock's state, so that no job
        thread writes into a backend that no longer exists.
        """
        families: list[dict[str, Any]] = [self.tuning.jobs, self.training.jobs, self.transform.jobs]
        running = [
            job for jobs in families for job in list(jobs.values()) if not job.status.is_terminal
        ]
        for job in running:
            job.stop_requested.set()
            wake = getattr(job, "wake", None)
            if wake is not None:
                wake.set()
        deadline = time.monotonic() + timeout
        for job in running:
            while not job.status.is_terminal and time.monotonic() < deadline:
                time.sleep(0.02)

    @property
    def _url_module(self) -> Any:
        from . import urls

        return urls

    def _get_resource_from_arn(self, arn: str) -> Any:
        """Resolve the ARNs of the sandbox's own resources for the tagging operations."""
        resource_type, _, name = arn.split(":")[-1].partition("/")
        families: dict[str, dict[str, Any]] = {
            "training-job": self.training.jobs,
            "model": self.hosting.models,
            "endpoint-config": self.hosting.configs,
            "endpoint": self.hosting.endpoints,
            "transform-job": self.transform.jobs,
            "hyper-parameter-tuning-job": self.tuning.jobs,
        }
        if resource_type in families:
            resource = families[resource_type].get(name.lower())
            if resource is None:
                raise ValidationException(f"Could not find {resource_type} with name {name}")
            return resource
        return super()._get_resource_from_arn(arn)
