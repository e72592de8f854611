"""Fast botocore waiters for the local sandbox.

The service's waiters poll every 30 to 120 seconds because real jobs take minutes. In
the sandbox a job ends within seconds, so the local session loads a copy of botocore's
waiter definitions with a delay of 0.2 s and the same total wait (Delay x MaxAttempts).
botocore's loader looks in the session's search paths before its bundled data, so the
copy shadows the original for clients of that session (and of sessions created after
AWS_DATA_PATH is set).

The service runs in the caller's process, so a waiter need not sleep out its delay
after the job has ended. While a local session is open, the sleep between two polls of
botocore's waiters ends early when the job or endpoint that the last Describe call named
ends or changes status (see `sandbox.emulator.changes`). The waiter still decides from
Describe responses with botocore's acceptors, and every API call keeps its latency. An
early wake uses one of the waiter's attempts. Only a change of the waited-for resource
causes one, and that change is what the waiter waits for. A waiter on a real account, or
on a sandbox server in another process, sleeps its full delay.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import botocore.waiter

from .emulator.changes import sleep_until_change

LOCAL_DELAY_SECONDS = 0.2
SERVICES = ("sagemaker",)


def fast_waiter_path() -> Path:
    """Write the fast waiter models once per process and return their search path."""
    root = Path(tempfile.gettempdir()) / f"sagelab-waiters-{os.getpid()}"
    for service in SERVICES:
        _write_service_waiters(root, service)
    return root


def _write_service_waiters(root: Path, service: str) -> None:
    loader = botocore.session.get_session().get_component("data_loader")
    api_version = loader.determine_latest_version(service, "waiters-2")
    target = root / service / api_version / "waiters-2.json"
    if target.exists():
        return
    model: dict[str, Any] = loader.load_service_model(service, "waiters-2", api_version)
    for waiter in model["waiters"].values():
        total = waiter["delay"] * waiter["maxAttempts"]
        waiter["delay"] = LOCAL_DELAY_SECONDS
        waiter["maxAttempts"] = math.ceil(total / LOCAL_DELAY_SECONDS)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(model))
    temporary.replace(target)


class _WaiterClock:
    """A stand-in for the `time` module inside botocore.waiter, which only calls sleep().

    It wraps whatever botocore.waiter used before (the module, or a test's stand-in), and
    sleeps with it whenever there is no sandbox resource to wait for.
    """

    def __init__(self, previous: ModuleType) -> None:
        self.previous = previous

    def sleep(self, seconds: float) -> None:
        sleep_until_change(seconds, fallback=self.previous.sleep)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.previous, name)


def wake_on_change() -> None:
    """Let botocore's waiters wake when the sandbox resource they wait for changes."""
    if not isinstance(botocore.waiter.time, _WaiterClock):
        botocore.waiter.time = _WaiterClock(botocore.waiter.time)  # type: ignore[assignment]


def sleep_full_delay() -> None:
    """Give botocore.waiter back what it used before `wake_on_change()`."""
    clock = botocore.waiter.time
    if isinstance(clock, _WaiterClock):
        botocore.waiter.time = clock.previous
