"""Fast botocore waiters for the local sandbox.

The service's waiters poll every 30 to 120 seconds because real jobs take minutes. In
the sandbox a job ends within seconds, so the local session loads a copy of botocore's
waiter definitions with a short delay (0.2 s, 0.1 s for batch transform) and the same
total wait (Delay x MaxAttempts).
botocore's loader looks in the session's search paths before its bundled data, so the
copy shadows the original for clients of that session (and of sessions created after
AWS_DATA_PATH is set).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import botocore.session

LOCAL_DELAY_SECONDS = 0.2
# DescribeTransformJob is cheap through moto (about 4 ms, against 8 to 11 ms for a training
# job, whose response carries its metric definitions). Transform jobs also often end in
# under a second, so their waiter polls every 20 ms. While it waits, polling takes an
# estimated fifth of one core (a 4 ms describe every 20 ms).
FAST_WAITER_DELAYS = {"TransformJobCompletedOrStopped": 0.02}
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
    for name, waiter in model["waiters"].items():
        total = waiter["delay"] * waiter["maxAttempts"]
        delay = FAST_WAITER_DELAYS.get(name, LOCAL_DELAY_SECONDS)
        waiter["delay"] = delay
        waiter["maxAttempts"] = math.ceil(total / delay)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(model))
    temporary.replace(target)
