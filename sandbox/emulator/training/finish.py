"""The one function that ends a training job, whatever the path."""

from __future__ import annotations

import logging

from .. import changes
from ..lifecycle import JobStatus, utcnow
from .models import TrainingJob

logger = logging.getLogger(__name__)

FAILURE_REASON_LIMIT = 1024


def finish(
    job: TrainingJob,
    status: JobStatus,
    *,
    secondary_status: str | None = None,
    failure_reason: str | None = None,
) -> None:
    """Set the terminal status, secondary status, end time and failure reason of a job."""
    now = utcnow()
    if job.start_time is None:
        job.start_time = now
    job.end_time = now
    if failure_reason is not None:
        job.failure_reason = failure_reason[:FAILURE_REASON_LIMIT]
    job.enter(secondary_status or status.value)
    job.status = status
    job.finished.set()
    changes.notify("TrainingJobName", job.name)
    if status is JobStatus.FAILED:
        logger.info("training job %s: failed: %s", job.name, job.failure_reason)
    else:
        logger.info("training job %s: %s", job.name, status.value)
