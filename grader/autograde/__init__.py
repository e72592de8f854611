"""Hardened, parallel autograding of collected submissions on top of nbgrader.

Importing this package stays cheap: the kernel launcher lives here and runs once per
submission, so the pipeline is imported from ``grader.autograde.pipeline`` on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["autograde"]


def __getattr__(name: str) -> Any:
    if name == "autograde":
        from grader.autograde.pipeline import autograde

        return autograde
    raise AttributeError(name)
