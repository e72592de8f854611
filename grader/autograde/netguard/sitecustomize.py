"""Reject IPv4 and IPv6 socket connections from a grading kernel (the sandbox's guard mode).

Loopback is rejected too, unless the launcher moved the kernel into a network namespace of
its own (``SAGELAB_GRADER_PRIVATE_LOOPBACK=1``): the host's loopback is where the
instructor's Jupyter server, the course's local services and the grader's scheduler listen.
The kernel talks to the grader over Unix sockets, which stay allowed. Code that calls the C
library directly (ctypes) is not stopped; a network namespace is the real barrier.
"""

import ipaddress as _ipaddress
import os as _os
import socket as _socket

_BLOCKED_FAMILIES = {_socket.AF_INET, _socket.AF_INET6}
_PRIVATE_LOOPBACK = _os.environ.get("SAGELAB_GRADER_PRIVATE_LOOPBACK") == "1"


def _check(family, address):
    if family not in _BLOCKED_FAMILIES:
        return
    if _PRIVATE_LOOPBACK and isinstance(address, tuple):
        try:
            if _ipaddress.ip_address(_socket.gethostbyname(address[0])).is_loopback:
                return
        except (OSError, ValueError):
            pass
    raise PermissionError(13, f"network access is disabled while grading (address {address!r})")


class _GuardedSocket(_socket.socket):
    def connect(self, address):
        _check(self.family, address)
        return super().connect(address)

    def connect_ex(self, address):
        _check(self.family, address)
        return super().connect_ex(address)

    def sendto(self, data, *args):
        _check(self.family, args[-1] if args else None)
        return super().sendto(data, *args)


_socket.socket = _GuardedSocket  # type: ignore[misc]
