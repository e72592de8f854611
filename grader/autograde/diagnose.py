"""Explain why a sandboxed kernel died before it could run the first cell.

jupyter_client only reports "Kernel died before replying to kernel_info". The kernel's own
output, which the launcher writes to ``kernel.log``, usually holds the cause; this module
turns it into a reason that names the isolation mode and the likely fix.
"""

from __future__ import annotations

import re

START_FAILURE_MARKERS = ("Kernel died before replying to kernel_info", "Kernel didn't respond")

_MISSING_MODULE = re.compile(r"No module named '?([\w.]+)'?")


def is_start_failure(error: BaseException) -> bool:
    """Return True when ``error`` is jupyter_client's report of a kernel that never started."""
    return isinstance(error, RuntimeError) and any(
        marker in str(error) for marker in START_FAILURE_MARKERS
    )


def start_failure_reason(mode: str, kernel_log: list[str]) -> str:
    """Return the reason recorded for a kernel that died at start in the ``mode`` sandbox."""
    last = kernel_log[-1].strip()[:200] if kernel_log else "no output"
    return (
        f"the kernel died at start in the {mode} sandbox (kernel: {last}); "
        f"likely cause: {_likely_cause(mode, kernel_log)}"
    )


def _likely_cause(mode: str, kernel_log: list[str]) -> str:
    text = "\n".join(kernel_log)
    missing = _MISSING_MODULE.search(text)
    if missing and mode == "namespaces":
        return (
            f"the module {missing.group(1)!r} is not visible inside the sandbox's read-only "
            "file system; install it in the grader's environment or add its folder to "
            "SandboxSettings.extra_read_only_paths"
        )
    if missing:
        return f"the module {missing.group(1)!r} is not installed in the grader's environment"
    if "grader sandbox: kernel start failed" in text:
        return (
            "the sandbox could not be set up on this machine; "
            "run autograde with --isolation guard to grade without it"
        )
    if "MemoryError" in text or "Cannot allocate memory" in text:
        return "the memory limit is too low for the kernel to start; raise --memory-mb"
    if "can't start new thread" in text or "Resource temporarily unavailable" in text:
        return "the process limit is too low for the kernel to start; raise --processes"
    if "No such file or directory" in text:
        return (
            "the kernel's interpreter or a folder it needs is missing inside the sandbox; "
            "check that the grader's Python installation is readable"
        )
    return "unknown; the kernel's output is in the submission's log under grader/logs/"
