"""Reject IPv4 and IPv6 socket connections from a grading kernel (the sandbox's guard mode).

Loopback is rejected too: the instructor's Jupyter server, the course's local services and
the grader's own scheduler listen there. The kernel talks to the grader over Unix sockets,
which stay allowed. Code that calls the C library directly (ctypes) is not stopped; the
namespaces mode, which has no network interface at all, is the real barrier.
"""

import socket as _socket

_BLOCKED_FAMILIES = {_socket.AF_INET, _socket.AF_INET6}


def _reject(address):
    raise PermissionError(13, f"network access is disabled while grading (address {address!r})")


class _GuardedSocket(_socket.socket):
    def connect(self, address):
        if self.family in _BLOCKED_FAMILIES:
            _reject(address)
        return super().connect(address)

    def connect_ex(self, address):
        if self.family in _BLOCKED_FAMILIES:
            _reject(address)
        return super().connect_ex(address)

    def sendto(self, data, *args):
        if self.family in _BLOCKED_FAMILIES:
            _reject(args[-1] if args else None)
        return super().sendto(data, *args)


_socket.socket = _GuardedSocket  # type: ignore[misc]
