"""Find and kill every process a grading job left behind, without cgroups.

A worker marks itself as a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so processes
that detach from a kernel (double fork, new session) are re-parented to the worker instead
of init and stay findable as its descendants.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import time

log = logging.getLogger(__name__)

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children; return False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except OSError:
        return False


def _parents() -> dict[int, int]:
    """Return pid -> parent pid for every visible process."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
        except OSError:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after it.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(root: int) -> list[int]:
    """Return the pids of every process below ``root`` in the process tree."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def kill_descendants(root: int | None = None, rounds: int = 5) -> int:
    """Stop, then kill every descendant of ``root`` (default: this process); return the count.

    Processes are stopped first so a fork loop cannot outrun the kill, and the scan repeats
    until nothing is left. Killed children of this process are reaped.
    """
    root = os.getpid() if root is None else root
    killed = 0
    for _ in range(rounds):
        pids = descendants(root)
        if not pids:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    continue
        killed += len(pids)
        time.sleep(0.05)
        reap_children()
    return killed


def kill_pid(pid: int) -> None:
    """Send SIGKILL to ``pid`` if it still exists."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def reap_children() -> None:
    """Collect exit statuses of finished children so they do not stay zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
