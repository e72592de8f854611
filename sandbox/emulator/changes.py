"""Tell local waiters when the resource they wait for changes status.

Each job and endpoint has a counter that goes up when the job ends, the endpoint changes
status or the endpoint is deleted: the changes that the service's waiters wait for. A
resource is named by the request parameter that names it (`TrainingJobName`,
`TransformJobName`, `HyperParameterTuningJobName`, `EndpointName`) and its name.

Each SageMaker request records, on the thread that sends it and before it reads any
state, the counter of the resource it names. `sleep_until_change()` then ends as soon as
that counter has moved, or after the given seconds, whichever comes first. The recorded
value is used once: a thread that has sent no request naming a resource since its last
sleep sleeps the full time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

RESOURCE_PARAMETERS = (
    "TrainingJobName",
    "TransformJobName",
    "HyperParameterTuningJobName",
    "EndpointName",
)

_changed = threading.Condition()
_counters: dict[tuple[str, str], int] = {}
_seen = threading.local()


def notify(parameter: str, name: str) -> None:
    """Record that the resource named `name` by `parameter` changed, and wake its waiters."""
    key = (parameter, name.lower())
    with _changed:
        _counters[key] = _counters.get(key, 0) + 1
        _changed.notify_all()


def observe(request: Mapping[str, object]) -> None:
    """Remember, on the calling thread, the counter of the resource a request names."""
    _seen.key = None
    for parameter in RESOURCE_PARAMETERS:
        name = request.get(parameter)
        if isinstance(name, str) and name:
            key = (parameter, name.lower())
            _seen.key = key
            _seen.counter = _counters.get(key, 0)
            return


def sleep_until_change(seconds: float, fallback: Callable[[float], None] = time.sleep) -> None:
    """Sleep `seconds`, or less when the resource of this thread's last request changed.

    Without such a request since the last sleep, `fallback` sleeps the full time.
    """
    key = getattr(_seen, "key", None)
    since = getattr(_seen, "counter", 0)
    _seen.key = None
    if key is None:
        fallback(seconds)
        return
    with _changed:
        _changed.wait_for(lambda: _counters.get(key, 0) != since, timeout=seconds)
