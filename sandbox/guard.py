"""The local sandbox's promise: no AWS request leaves the machine.

moto handles every request for an AWS host while the mock is active, so botocore never
reaches its HTTP layer. While a local session is open, this guard replaces that HTTP
layer's `send` with one that refuses every destination except the loopback interface
(where a `python -m sandbox serve` server may listen). A request that moto did not
answer, such as one sent to a custom endpoint URL, fails instead of going out.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any
from urllib.parse import urlsplit

from botocore.httpsession import URLLib3Session


class SandboxNetworkError(ConnectionError):
    """A request that the local sandbox blocked from leaving the machine."""


_lock = threading.Lock()
_active = 0
_original_send = URLLib3Session.send


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_send(self: URLLib3Session, request: Any) -> Any:
    if _active and not is_loopback(request.url):
        raise SandboxNetworkError(
            f"the local sandbox blocked {request.method} {request.url} from leaving the machine: "
            "in local mode every AWS call is answered on this machine. Remove AWS_ENDPOINT_URL "
            "and endpoint_url overrides, or set SAGELAB_BACKEND=aws to use a real account."
        )
    return _original_send(self, request)


def activate() -> None:
    """Switch the guard on for every botocore client in the process."""
    global _active
    with _lock:
        _active += 1
        URLLib3Session.send = _guarded_send  # type: ignore[method-assign]


def deactivate() -> None:
    global _active
    with _lock:
        _active = max(0, _active - 1)
        if _active == 0:
            URLLib3Session.send = _original_send  # type: ignore[method-assign]


def is_active() -> bool:
    return _active > 0
