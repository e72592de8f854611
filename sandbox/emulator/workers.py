"""A bounded pool of worker threads for jobs, shared by every backend in the process.

XGBoost releases the GIL while it trains and predicts, so threads give real parallelism
without copying data between processes. The pool size comes from SAGELAB_SANDBOX_WORKERS
(default: the number of CPUs), and each job learns how many threads it may use from
`threads_for_job()`, so that two jobs on two cores do not oversubscribe them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_running = 0


def pool_size() -> int:
    configured = os.environ.get("SAGELAB_SANDBOX_WORKERS")
    if configured:
        try:
            size = int(configured)
        except ValueError:
            raise ValueError(
                f"SAGELAB_SANDBOX_WORKERS={configured!r} is not a whole number: "
                "set it to the number of jobs that may run at once, e.g. 2"
            ) from None
        if size < 1:
            raise ValueError(f"SAGELAB_SANDBOX_WORKERS={configured!r} must be at least 1")
        return size
    return os.cpu_count() or 1


def submit(name: str, work: Callable[[], None]) -> Future[None]:
    """Run `work` on the pool; exceptions are logged with the job name, never lost."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(pool_size(), thread_name_prefix="sandbox-job")
        executor = _executor
    return executor.submit(_run, name, work)


def threads_for_job(requested: int) -> int:
    """Return the CPU threads a starting job may use: its request, capped by a fair share."""
    cores = os.cpu_count() or 1
    with _lock:
        share = max(1, cores // max(1, _running))
    return max(1, min(requested, share))


def _run(name: str, work: Callable[[], None]) -> None:
    global _running
    with _lock:
        _running += 1
    try:
        work()
    except Exception:
        logger.exception("job %s: unexpected error in the sandbox worker", name)
    finally:
        with _lock:
            _running -= 1
