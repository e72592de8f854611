"""Run grading jobs on local worker processes or on a Dask cluster."""

from __future__ import annotations

import logging
import select
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from grader.autograde.job import GradeJob, GradeResult
from grader.autograde.process import WorkerProcess
from grader.status import Status

log = logging.getLogger(__name__)

# Seconds a worker gets beyond the notebook limit (kernel start, nbgrader's own steps).
WORKER_MARGIN = 120


def job_deadline(job: GradeJob) -> float:
    return job.limits.notebook_timeout + WORKER_MARGIN


def _lost(job: GradeJob, status: Status, reason: str) -> GradeResult:
    return GradeResult(job.lab, job.student, status.value, reason)


def run_local(
    jobs: Iterable[GradeJob],
    workers: int,
    on_result: Callable[[GradeResult], None],
) -> None:
    """Grade ``jobs`` on ``workers`` worker processes; call ``on_result`` as each finishes.

    A worker that dies or overruns its job's deadline is killed with its kernels, the job
    is reported as failed or timed out, and a fresh worker takes its place.
    """
    pending = deque(jobs)
    scratch = Path(tempfile.mkdtemp(prefix="sgl-pool-"))
    slots: list[WorkerProcess] = []
    # Import the worker's modules once here, so forked workers share them.
    import grader.autograde.worker  # noqa: F401

    try:
        for index in range(max(1, min(workers, len(pending)))):
            slots.append(WorkerProcess(scratch / str(index), fork=True))
        _dispatch(slots, pending)
        while any(slot.job is not None for slot in slots):
            for slot, result in _collect(slots):
                on_result(result)
                _dispatch([slot], pending)
            slots = [_replace_if_dead(slot) for slot in slots]
            _dispatch(slots, pending)
    finally:
        for slot in slots:
            slot.kill() if slot.job is not None else slot.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _dispatch(slots: list[WorkerProcess], pending: deque[GradeJob]) -> None:
    for slot in slots:
        if slot.job is None and pending and slot.process.poll() is None:
            job = pending.popleft()
            slot.submit(job, job_deadline(job))


def _collect(slots: list[WorkerProcess]) -> list[tuple[WorkerProcess, GradeResult]]:
    busy = [slot for slot in slots if slot.job is not None]
    wait = max(0.0, min(slot.deadline for slot in busy) - time.monotonic())
    ready, _, _ = select.select(busy, [], [], min(wait, 1.0))
    finished = []
    for slot in ready:
        job = slot.job
        assert job is not None
        try:
            finished.append((slot, slot.receive()))
        except EOFError:
            code = slot.process.wait()
            reason = f"the grading worker died (exit status {code})"
            log.error("lab=%s student=%s %s:\n%s", job.lab, job.student, reason, slot.log_tail())
            slot.job = None
            finished.append((slot, _lost(job, Status.FAILED, reason)))
    now = time.monotonic()
    for slot in busy:
        if slot.job is not None and now > slot.deadline:
            job = slot.job
            reason = f"grading took longer than {job_deadline(job):.0f} s and was stopped"
            log.error("lab=%s student=%s %s", job.lab, job.student, reason)
            slot.kill()
            slot.job = None
            finished.append((slot, _lost(job, Status.TIMED_OUT, reason)))
    return finished


def _replace_if_dead(slot: WorkerProcess) -> WorkerProcess:
    if slot.process.poll() is None:
        return slot
    slot.kill()
    return WorkerProcess(slot.scratch, fork=slot.fork)


def grade_in_subprocess(job: GradeJob) -> GradeResult:
    """Grade one job in a fresh worker process and return its result (used on Dask workers).

    A subprocess rather than the Dask worker itself: the grading worker marks itself as a
    child subreaper and kills leftover processes, which must not touch the Dask worker.
    """
    scratch = Path(tempfile.mkdtemp(prefix="sgl-dask-"))
    worker = WorkerProcess(scratch / "0")
    try:
        worker.submit(job, job_deadline(job))
        try:
            result = worker.wait_result(job_deadline(job))
        except EOFError:
            return _lost(job, Status.FAILED, "the grading worker died")
        if result is None:
            worker.kill()
            return _lost(job, Status.TIMED_OUT, "grading took too long and was stopped")
        return result
    finally:
        worker.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def run_dask(
    jobs: Iterable[GradeJob],
    scheduler: str,
    on_result: Callable[[GradeResult], None],
) -> None:
    """Send every job to the Dask scheduler at ``scheduler``; call ``on_result`` as each ends."""
    from distributed import Client, as_completed

    job_list = list(jobs)
    with Client(scheduler, timeout=30) as client:
        futures = {
            client.submit(
                grade_in_subprocess, job, pure=False, key=f"grade-{job.lab}-{job.student}-{index}"
            ): job
            for index, job in enumerate(job_list)
        }
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - one lost task never stops the batch
                log.error("lab=%s student=%s Dask task failed: %r", job.lab, job.student, error)
                result = _lost(job, Status.FAILED, f"the Dask task failed: {error!r}"[:300])
            on_result(result)
