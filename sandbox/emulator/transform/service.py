"""CreateTransformJob, DescribeTransformJob, ListTransformJobs and StopTransformJob."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from .. import workers
from ..arns import sagemaker_arn
from ..constraints import check_request
from ..exceptions import ResourceInUse, ValidationException
from ..lifecycle import JobStatus
from ..pagination import list_jobs
from .jsonpath import JsonPathError
from .models import TransformJob
from .records import PROCESSING_TYPES, DataProcessing
from .runner import run_transform_job

if TYPE_CHECKING:
    from ..backend import SandboxSageMakerBackend

logger = logging.getLogger(__name__)

MAX_TOTAL_PAYLOAD_MB = 100
SORT_KEYS = {
    "Name": lambda job: job.name,
    "CreationTime": lambda job: job.creation_time,
    "Status": lambda job: job.status.value,
}


class TransformJobs:
    """The batch transform jobs of one account and region."""

    def __init__(self, backend: SandboxSageMakerBackend) -> None:
        self.backend = backend
        self.jobs: dict[str, TransformJob] = {}

    def create(self, request: dict[str, Any]) -> TransformJob:
        check_request("CreateTransformJob", request)
        name = request["TransformJobName"]
        arn = self._arn(name)
        if name.lower() in self.jobs:
            raise ResourceInUse(
                "Job names must be unique within an AWS account and region, and a job with "
                f"this name already exists ({arn})"
            )
        model = self.backend.hosting.get_model(request["ModelName"])
        _check_request(request)

        job = TransformJob(
            name=name,
            arn=arn,
            request=_with_defaults(request),
            account_id=self.backend.account_id,
            region=self.backend.region_name,
            tags=list(request.get("Tags") or []),
        )
        self.jobs[name.lower()] = job
        logger.info("transform job %s: created on model %s", name, model.name)
        workers.submit(name, lambda: run_transform_job(job, model, self.backend.partition))
        return job

    def get(self, name: str) -> TransformJob:
        job = self.jobs.get(name.lower()) if name else None
        if job is None:
            # NOTE: the service model lists ResourceNotFound, but the waiters expect a
            # ValidationException; the wording follows the one reported from the service.
            raise ValidationException(f"Could not find requested job with name {name}")
        return job

    def stop(self, name: str) -> None:
        job = self.get(name)
        with job.lock:
            if job.status is not JobStatus.IN_PROGRESS:
                raise ValidationException(
                    "The request was rejected because the transform job is in status "
                    f"{job.status.value}."
                )
            job.set_status(JobStatus.STOPPING)
        job.stop_requested.set()
        logger.info("transform job %s: stop requested", job.name)

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        return list_jobs(
            self.jobs.values(),
            request,
            summaries_key="TransformJobSummaries",
            sort_keys=SORT_KEYS,
            default_sort="CreationTime",
            default_order="Descending",
        )

    def _arn(self, name: str) -> str:
        return sagemaker_arn(
            "transform-job",
            name,
            account_id=self.backend.account_id,
            region=self.backend.region_name,
        )


def _check_request(request: dict[str, Any]) -> None:
    """Reject combinations that the service or the sandbox cannot run."""
    transform_input = request["TransformInput"]
    source = transform_input["DataSource"]["S3DataSource"]
    if source["S3DataType"] != "S3Prefix":
        raise ValidationException(
            f"S3DataType {source['S3DataType']} is not supported by the sandbox: use S3Prefix "
            "and put the input objects under one prefix."
        )
    split_type = transform_input.get("SplitType", "None")
    if split_type not in ("None", "Line"):
        raise ValidationException(
            f"SplitType {split_type} is not supported by the sandbox: use None or Line."
        )
    concurrency = request.get("MaxConcurrentTransforms") or 1
    payload = request.get("MaxPayloadInMB", 6)
    if concurrency * payload > MAX_TOTAL_PAYLOAD_MB:
        raise ValidationException(
            f"MaxConcurrentTransforms ({concurrency}) x MaxPayloadInMB ({payload}) must not "
            f"exceed {MAX_TOTAL_PAYLOAD_MB}: lower one of them."
        )
    _check_data_processing(request)


def _check_data_processing(request: dict[str, Any]) -> None:
    config = request.get("DataProcessing")
    content_type = request["TransformInput"].get("ContentType")
    try:
        processing = DataProcessing.from_request(config, content_type)
    except JsonPathError as error:
        raise ValidationException(f"Invalid DataProcessing filter: {error}") from None
    if processing is None:
        return
    accept = request["TransformOutput"].get("Accept")
    for member, value in (("ContentType", content_type), ("Accept", accept)):
        media_type = (value or "").split(";", 1)[0].strip().lower()
        if media_type not in PROCESSING_TYPES:
            raise ValidationException(
                f"DataProcessing needs {member} to be one of {', '.join(PROCESSING_TYPES)}, "
                f"not {value!r}."
            )
    if not processing.json_records:
        split_type = request["TransformInput"].get("SplitType", "None")
        assemble_with = request["TransformOutput"].get("AssembleWith", "None")
        if split_type != "Line" or assemble_with != "Line":
            raise ValidationException(
                "DataProcessing on text/csv needs SplitType Line and AssembleWith Line, "
                f"not SplitType {split_type} and AssembleWith {assemble_with}."
            )


def _with_defaults(request: dict[str, Any]) -> dict[str, Any]:
    """Fill in the defaults that DescribeTransformJob shows for omitted members."""
    filled = copy.deepcopy(request)
    filled.pop("Tags", None)
    transform_input = filled["TransformInput"]
    transform_input.setdefault("CompressionType", "None")
    transform_input.setdefault("SplitType", "None")
    filled["TransformOutput"].setdefault("AssembleWith", "None")
    filled["TransformOutput"].setdefault("KmsKeyId", "")
    if "DataProcessing" in filled:
        processing = filled["DataProcessing"]
        processing.setdefault("InputFilter", "$")
        processing.setdefault("OutputFilter", "$")
        processing.setdefault("JoinSource", "None")
    return filled
