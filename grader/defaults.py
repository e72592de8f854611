"""Defaults shared by the command line and the Python functions of the grader.

Every command-line option takes its default from here, so the CLI and a direct call of
``grader.autograde.autograde(...)`` behave the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

COURSE_DIR = Path("course")
LABS_DIR = Path("labs")
COURSE_ID = "sagelab"
JOBS = os.cpu_count() or 1

# Files a student may hand in next to the notebook. Anything else (a .py module that could
# shadow an installed package, an executable, a .pth file) is dropped and reported.
ALLOWED_EXTRA_SUFFIXES = (
    ".csv",
    ".gif",
    ".jpeg",
    ".jpg",
    ".json",
    ".md",
    ".parquet",
    ".png",
    ".tsv",
    ".txt",
)
MAX_SUBMISSION_MB = 50
# Top-level packages the labs import from this repository. Editable installs are not on
# sys.path, so the sandbox needs their folders listed.
KERNEL_PACKAGES = ("sagelab", "sandbox")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's kernel.

    Times are in seconds and sizes in MiB. ``memory_mb`` caps the kernel's data segment
    (RLIMIT_DATA: heap and private writable mappings), because an address-space cap breaks
    numpy's thread pools long before memory is really short.
    """

    cell_timeout: int = 120
    notebook_timeout: int = 900
    memory_mb: int = 2048
    processes: int = 256
    file_size_mb: int = 256
    output_kb_per_cell: int = 1024
    work_disk_mb: int = 512


@dataclass(frozen=True)
class SandboxSettings:
    """Sandbox settings: the packages the kernel needs and the uid range it runs under."""

    kernel_packages: tuple[str, ...] = KERNEL_PACKAGES
    # Kernels of concurrent workers run as uid_base + (worker pid % 1000) when the grader runs
    # as root, so RLIMIT_NPROC counts only that kernel's processes.
    uid_base: int = 61000
    # "auto" tries namespaces, then falls back to the in-process guard.
    isolation: str = "auto"
    extra_read_only_paths: tuple[str, ...] = field(default_factory=tuple)


LIMITS = Limits()
SANDBOX = SandboxSettings()
