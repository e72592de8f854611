"""Tell local waiters when a sandbox resource changes status.

A process-wide counter goes up each time a job ends, an endpoint changes status or an
endpoint is deleted: the changes that the service's waiters wait for. Each SageMaker
request records the counter's value on the thread that sends it, before it reads any
state. `sleep_until_change()` then ends as soon as the counter has moved past that value,
or after the given seconds, whichever comes first. The recorded value is used once: a
thread that has sent no sandbox request since its last sleep sleeps the full time.
"""

from __future__ import annotations

import threading
import time

_changed = threading.Condition()
_counter = 0
_seen = threading.local()


def notify() -> None:
    """Record that a resource changed status and wake every sleeping waiter."""
    global _counter
    with _changed:
        _counter += 1
        _changed.notify_all()


def observe() -> None:
    """Remember, on the calling thread, the counter as a request starts reading state."""
    _seen.counter = _counter


def sleep_until_change(seconds: float) -> None:
    """Sleep `seconds`, or less when a status changed after this thread's last request."""
    since = getattr(_seen, "counter", None)
    _seen.counter = None
    if since is None:
        time.sleep(seconds)
        return
    with _changed:
        _changed.wait_for(lambda: _counter != since, timeout=seconds)
