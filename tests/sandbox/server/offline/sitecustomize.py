"""Block and record every connection a Python process tries to open beyond loopback.

Python imports `sitecustomize` at start-up from `sys.path`. A process started with this
folder on PYTHONPATH and SAGELAB_BLOCKED_CONNECTIONS set to a file path therefore blocks
host name lookups and connections to any host but loopback, and appends one line per
attempt to that file. The SDK tests use it on themselves, on the clients they start and on
notebook kernels, then expect the file to be empty. Code that swallows the error (the SDK's
telemetry does) still leaves its line.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_VARIABLE = "SAGELAB_BLOCKED_CONNECTIONS"
INTERNET_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def is_loopback_host(host: str | bytes | None) -> bool:
    """Return whether `host` names this machine. `None` is a lookup for a local bind."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _record(log: Path, attempt: str) -> None:
    with log.open("a", encoding="utf-8") as file:
        file.write(f"{os.getpid()} {attempt}\n")


def blocking_getaddrinfo(original: Callable[..., Any], log: Path) -> Callable[..., Any]:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback_host(host):
            _record(log, f"getaddrinfo {host} {port}")
            raise socket.gaierror(socket.EAI_NONAME, f"blocked lookup of {host}: tests run offline")
        return original(host, port, *args, **kwargs)

    return getaddrinfo


def blocking_connect(original: Callable[..., Any], log: Path) -> Callable[..., Any]:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in INTERNET_FAMILIES and not is_loopback_host(address[0]):
            _record(log, f"connect {address[0]} {address[1]}")
            raise ConnectionRefusedError(f"blocked connection to {address}: tests run offline")
        return original(self, address)

    return connect


def install(log: Path) -> None:
    """Replace socket.getaddrinfo and socket.socket.connect for the rest of the process."""
    socket.getaddrinfo = blocking_getaddrinfo(socket.getaddrinfo, log)  # type: ignore[assignment]
    socket.socket.connect = blocking_connect(socket.socket.connect, log)  # type: ignore[method-assign]


if os.environ.get(LOG_VARIABLE):
    install(Path(os.environ[LOG_VARIABLE]))
