"""A kernel manager that starts the kernel through the sandbox launcher."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode

from grader.autograde.sandbox import LAUNCHER


class SandboxedKernelManager(AsyncKernelManager):
    """Start kernels with ``launch.py`` in front of the kernel command.

    The kernel talks over Unix sockets (``transport = "ipc"``) in the job's runtime folder:
    a kernel in its own network namespace cannot reach the grader's loopback interface.
    """

    sandbox_spec = Unicode(help="Path of the launcher spec written for this submission.").tag(
        config=True
    )
    stderr_path = Unicode(help="File that receives the kernel's stdout and stderr.").tag(
        config=True
    )

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        if not self.sandbox_spec:
            raise RuntimeError("SandboxedKernelManager.sandbox_spec is not set")
        return [sys.executable, "-I", "-S", str(LAUNCHER), self.sandbox_spec, "--", *command]

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        # The launcher gives the kernel a complete environment of its own; passing the
        # grader's environment on would only hand it to the launcher.
        kw["env"] = {"PATH": "/usr/bin:/bin"}
        kw["stdin"] = subprocess.DEVNULL
        if self.stderr_path:
            with open(self.stderr_path, "ab") as stream:
                kw["stdout"] = kw["stderr"] = stream
                await super()._async_launch_kernel(kernel_cmd, **kw)
        else:
            await super()._async_launch_kernel(kernel_cmd, **kw)
