"""A grading worker in its own process, driven over a pipe.

``python -m grader.autograde.process SCRATCH`` reads jobs from stdin and writes results to
stdout, each as a length-prefixed pickle. The worker sends its own prints to stderr, so
nothing a library writes can corrupt the stream. Only grader code runs in this process:
student code runs in the sandboxed kernels it starts, which do not inherit these pipes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from grader.autograde import proctree
from grader.autograde.job import GradeJob, GradeResult

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")


def write_frame(stream: IO[bytes], value: Any) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the worker closed its output")
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("the worker output ended inside a result")
    return pickle.loads(payload)  # noqa: S301 - written by our own worker process


class _ForkedProcess:
    """The part of subprocess.Popen's interface the pool uses, for a forked worker."""

    def __init__(self, scratch: Path, log_path: Path) -> None:
        command_read, command_write = os.pipe()
        result_read, result_write = os.pipe()
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        pid = os.fork()
        if pid == 0:  # the worker: same file descriptor layout as the executed worker
            try:
                os.setsid()
                os.dup2(command_read, 0)
                os.dup2(result_write, 1)
                os.dup2(log_fd, 2)
                os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
                for handler in logging.getLogger().handlers[:]:
                    logging.getLogger().removeHandler(handler)
                serve(str(scratch))
            finally:
                os._exit(0)
        for descriptor in (command_read, result_write, log_fd):
            os.close(descriptor)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin: IO[bytes] | None = os.fdopen(command_write, "wb")
        self.stdout: IO[bytes] | None = os.fdopen(result_read, "rb")

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode


def can_fork() -> bool:
    """Forking is safe only while this process runs a single thread."""
    return threading.active_count() == 1


class WorkerProcess:
    """Parent-side handle of one worker process.

    With ``fork`` the worker is forked from this process, which has already imported
    nbgrader, so no worker spends CPU time importing it again. Without ``fork``, or while
    this process runs other threads, the worker is a new interpreter. Either way it gets a
    session of its own.
    """

    def __init__(self, scratch: Path, fork: bool = False) -> None:
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)
        self.log_path = scratch.parent / f"{scratch.name}.log"
        self.process: subprocess.Popen[bytes] | _ForkedProcess
        if fork and can_fork():
            self.process = _ForkedProcess(scratch, self.log_path)
        else:
            with open(self.log_path, "ab") as log_stream:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "grader.autograde.process", str(scratch)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log_stream,
                    start_new_session=True,
                )
        self.fork = fork
        self.job: GradeJob | None = None
        self.deadline = float("inf")

    @property
    def pid(self) -> int:
        return self.process.pid

    def fileno(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def submit(self, job: GradeJob, seconds: float) -> None:
        assert self.process.stdin is not None
        self.job = job
        self.deadline = time.monotonic() + seconds
        write_frame(self.process.stdin, job)

    def receive(self) -> GradeResult:
        assert self.process.stdout is not None
        result = read_frame(self.process.stdout)
        self.job = None
        self.deadline = float("inf")
        return result

    def wait_result(self, seconds: float) -> GradeResult | None:
        """Return the result of the submitted job, or None if it took longer than ``seconds``."""
        ready, _, _ = select.select([self], [], [], seconds)
        return self.receive() if ready else None

    def stop(self) -> None:
        """Ask the worker to finish and wait briefly; kill it if it does not."""
        if self.process.poll() is None and self.process.stdin is not None:
            try:
                write_frame(self.process.stdin, None)
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def log_tail(self, size: int = 2000) -> str:
        """Return the end of the worker's own log (its stderr), for error reports."""
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the worker and every kernel it started, whatever state they are in."""
        for pidfile in self.scratch.glob("*/*/kernel.pid"):
            try:
                proctree.kill_pid(int(pidfile.read_text() or "0"))
            except (OSError, ValueError):
                continue
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def serve(scratch: str) -> None:
    """Worker side: grade jobs from stdin until a None job or end of input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    commands = os.fdopen(os.dup(0), "rb")
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from grader.autograde.worker import Worker

    worker = Worker(scratch, own_process=True)
    try:
        while True:
            try:
                job = read_frame(commands)
            except EOFError:
                break
            if job is None:
                break
            write_frame(results, worker.grade(job))
    finally:
        worker.close()


if __name__ == "__main__":
    serve(sys.argv[1])
