"""What an ML instance type stands for on this machine: its vCPU count."""

from __future__ import annotations

import re

_SIZE = re.compile(r"^ml\.[a-z0-9-]+\.(?:(?P<multiple>\d+)?xlarge|(?P<named>medium|large|small))$")
_NAMED_VCPUS = {"small": 1, "medium": 1, "large": 2}


def vcpus(instance_type: str) -> int:
    """Return the vCPUs of an ml.* instance type (xlarge = 4, 2xlarge = 8, ...); 2 if unknown."""
    match = _SIZE.match(instance_type or "")
    if match is None:
        return 2
    if match["named"]:
        return _NAMED_VCPUS[match["named"]]
    return 4 * int(match["multiple"] or 1)
