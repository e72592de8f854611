"""CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs and StopTrainingJob."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from ...images import is_builtin_xgboost
from .. import workers
from ..arns import sagemaker_arn
from ..constraints import check_request
from ..exceptions import ResourceInUse, ValidationException
from ..lifecycle import JobStatus
from ..pagination import list_jobs
from ..services import S3Store, S3Uri
from .models import MetricListener, TrainingJob
from .runner import run_training_job

if TYPE_CHECKING:
    from ..backend import SandboxSageMakerBackend

logger = logging.getLogger(__name__)

SORT_KEYS = {
    "Name": lambda job: job.name,
    "CreationTime": lambda job: job.creation_time,
    "Status": lambda job: job.status.value,
}


class TrainingJobs:
    """The training jobs of one account and region."""

    def __init__(self, backend: SandboxSageMakerBackend) -> None:
        self.backend = backend
        self.jobs: dict[str, TrainingJob] = {}

    def create(
        self,
        request: dict[str, Any],
        *,
        tuning_job_arn: str | None = None,
        metric_listener: MetricListener | None = None,
    ) -> TrainingJob:
        """Create a job and queue it; `metric_listener` receives each per-round metric value."""
        check_request("CreateTrainingJob", request)
        name = request["TrainingJobName"]
        arn = self._arn(name)
        if name.lower() in self.jobs:
            raise ResourceInUse(
                "Training job names must be unique within an AWS account and region, "
                f"and a training job with this name already exists ({arn})"
            )
        self._check_inputs(request)

        job = TrainingJob(
            name=name,
            arn=arn,
            request=_with_defaults(request),
            account_id=self.backend.account_id,
            region=self.backend.region_name,
            tuning_job_arn=tuning_job_arn,
            tags=list(request.get("Tags") or []),
        )
        if metric_listener is not None:
            job.metric_listeners.append(metric_listener)
        job.enter("Starting", "Starting the training job")
        self.jobs[name.lower()] = job
        logger.info("training job %s: created", name)
        workers.submit(name, lambda: run_training_job(job))
        return job

    def get(self, name: str) -> TrainingJob:
        job = self.jobs.get(name.lower()) if name else None
        if job is None:
            raise ValidationException("Requested resource not found.")
        return job

    def stop(self, name: str) -> None:
        job = self.get(name)
        if job.status is not JobStatus.IN_PROGRESS:
            raise ValidationException(
                "The request was rejected because the training job is in status "
                f"{job.status.value}."
            )
        job.status = JobStatus.STOPPING
        job.enter("Stopping")
        job.stop_requested.set()
        logger.info("training job %s: stop requested", job.name)

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        return list_jobs(
            self.jobs.values(),
            request,
            summaries_key="TrainingJobSummaries",
            sort_keys=SORT_KEYS,
            default_sort="CreationTime",
            default_order="Ascending",
        )

    def _arn(self, name: str) -> str:
        return sagemaker_arn(
            "training-job",
            name,
            account_id=self.backend.account_id,
            region=self.backend.region_name,
        )

    def _check_inputs(self, request: dict[str, Any]) -> None:
        """Reject channels whose S3 source has no objects, as CreateTrainingJob does."""
        store = S3Store(self.backend.account_id, self.backend.partition)
        for channel in request.get("InputDataConfig") or []:
            source = channel["DataSource"].get("S3DataSource")
            if source is None:
                continue
            uri = S3Uri.parse(source["S3Uri"])
            if not store.list_keys(uri):
                raise ValidationException(
                    f'No S3 objects found under S3 URL "{source["S3Uri"]}" given in input data '
                    "source. Please ensure that the bucket exists in the selected region "
                    f"({self.backend.region_name}), that objects exist under that S3 prefix, "
                    f'and that the role "{request["RoleArn"]}" has "s3:ListBucket" permissions '
                    f'on bucket "{uri.bucket}".'
                )


def _with_platform_metrics(user_definitions: list[dict[str, str]]) -> list[dict[str, str]]:
    """Add the metric definitions SageMaker fills in for the built-in XGBoost."""
    from ...algorithms.xgboost import platform_metric_definitions

    names = {definition["Name"] for definition in user_definitions}
    platform = [d for d in platform_metric_definitions() if d["Name"] not in names]
    return list(user_definitions) + platform


def _with_defaults(request: dict[str, Any]) -> dict[str, Any]:
    """Fill in the defaults that DescribeTrainingJob shows for omitted request members."""
    filled = copy.deepcopy(request)
    filled.pop("Tags", None)
    filled.setdefault("HyperParameters", {})
    spec = filled["AlgorithmSpecification"]
    spec.setdefault("EnableSageMakerMetricsTimeSeries", False)
    if is_builtin_xgboost(spec.get("TrainingImage", "")):
        spec["MetricDefinitions"] = _with_platform_metrics(spec.get("MetricDefinitions") or [])
    for channel in filled.get("InputDataConfig") or []:
        channel.setdefault("CompressionType", "None")
        channel.setdefault("RecordWrapperType", "None")
        source = channel["DataSource"].get("S3DataSource")
        if source is not None:
            source.setdefault("S3DataDistributionType", "FullyReplicated")
    output = filled["OutputDataConfig"]
    output.setdefault("KmsKeyId", "")
    output.setdefault("CompressionType", "GZIP")
    filled.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
    filled["ResourceConfig"].setdefault("VolumeSizeInGB", 30)
    return filled
