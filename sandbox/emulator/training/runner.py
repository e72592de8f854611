"""Run one training job off the request thread: stage, train, upload, finish."""

from __future__ import annotations

import io
import logging
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from ...images import ImageError, parse_image_uri
from .. import workers
from ..lifecycle import JobStatus, utcnow
from ..services import S3Store, S3Uri
from .channels import ChannelError, download_channels, requested_threads, write_configs
from .finish import finish
from .logs import TrainingLog
from .models import TrainingJob

logger = logging.getLogger(__name__)

GZIP_LEVEL = 6


class ImageNotRunnable(Exception):
    """The job's image is not one the sandbox can run."""


def run_training_job(job: TrainingJob) -> None:
    """Carry a job from Starting to a terminal status; never raises."""
    try:
        _run(job)
    except ChannelError as error:
        finish(job, JobStatus.FAILED, failure_reason=str(error))
    except ImageNotRunnable as error:
        finish(job, JobStatus.FAILED, failure_reason=str(error))
    except Exception as error:
        logger.exception("training job %s: internal error", job.name)
        finish(
            job,
            JobStatus.FAILED,
            failure_reason=f"InternalServerError: the sandbox failed to run the job: {error!r}",
        )


def _run(job: TrainingJob) -> None:
    from ...algorithms import xgboost as algorithm

    deadline = time.monotonic() + job.max_runtime_seconds
    version = _xgboost_version(job.request["AlgorithmSpecification"])
    store = S3Store(job.account_id)

    with tempfile.TemporaryDirectory(prefix=f"sandbox-training-{job.name}-") as root:
        job_dir = Path(root)
        job.enter("Starting")
        write_configs(job_dir, job.request)
        if _stopped_early(job, deadline):
            return

        job.enter("Downloading")
        download_channels(job_dir, job.request, store)
        job.enter("Downloading", "Downloading the training image")
        if _stopped_early(job, deadline):
            return

        job.start_time = utcnow()
        job.enter("Training")
        log = TrainingLog(job, job.request["AlgorithmSpecification"].get("MetricDefinitions", []))
        outcome = algorithm.train(
            job_dir,
            log=log.write,
            host_log=lambda host: TrainingLog(job, [], host=host).write,
            should_stop=lambda: job.stop_requested.is_set() or time.monotonic() > deadline,
            nthread=workers.threads_for_job(requested_threads(job.request)),
            version=version,
        )
        job.final_metrics = log.final_metrics()
        _conclude(job, outcome.status, outcome.failure_reason, job_dir, store, deadline)


def _conclude(
    job: TrainingJob,
    status: str,
    failure_reason: str | None,
    job_dir: Path,
    store: S3Store,
    deadline: float,
) -> None:
    if status == "Failed":
        finish(job, JobStatus.FAILED, failure_reason=failure_reason)
        return

    model_dir = job_dir / "model"
    if status == "Completed" or any(model_dir.iterdir()):
        job.enter("Uploading")
        store.write(S3Uri.parse(job.model_artifact_uri), _tar_gz(model_dir))

    if status == "Completed":
        finish(job, JobStatus.COMPLETED)
    else:
        _finish_stopped(job, deadline)


def _stopped_early(job: TrainingJob, deadline: float) -> bool:
    if job.stop_requested.is_set() or time.monotonic() > deadline:
        _finish_stopped(job, deadline)
        return True
    return False


def _finish_stopped(job: TrainingJob, deadline: float) -> None:
    if job.stop_requested.is_set():
        finish(job, JobStatus.STOPPED, secondary_status="Stopped")
    else:
        finish(job, JobStatus.STOPPED, secondary_status="MaxRuntimeExceeded")


def _xgboost_version(spec: dict[str, Any]) -> str:
    from ...algorithms import xgboost as algorithm

    image = spec.get("TrainingImage")
    if not image:
        raise ImageNotRunnable(
            f"ClientError: the sandbox cannot run algorithm {spec.get('AlgorithmName')!r}: "
            "it runs the built-in XGBoost image only "
            "(set TrainingImage from image_uri('xgboost', ...))"
        )
    try:
        ref = parse_image_uri(image)
    except ImageError as error:
        raise ImageNotRunnable(f"ClientError: {error}") from None
    if ref.repository != "sagemaker-xgboost":
        raise ImageNotRunnable(
            f"ClientError: the sandbox cannot run the image {image}: it runs the built-in "
            "XGBoost algorithm only (repository sagemaker-xgboost)"
        )
    try:
        algorithm.check_version(ref.tag)
    except Exception as error:
        raise ImageNotRunnable(f"ClientError: {error}") from None
    return ref.tag


def _tar_gz(directory: Path) -> bytes:
    buffer = io.BytesIO()
    # tarfile compresses at level 9 by default, which takes tens of times
    # longer than gzip's usual level 6 for an archive only a few percent smaller.
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=GZIP_LEVEL) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=str(path.relative_to(directory)))
    return buffer.getvalue()
