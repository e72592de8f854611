"""A sandbox server in a subprocess on a free loopback port, shared by a test module."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from sandbox import cli


def pick_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited early: {process.communicate()}"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"no sandbox server on 127.0.0.1:{port} after {timeout} s")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = pick_free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
        assert process.returncode == cli.EXIT_OK
        assert out.startswith(f"sandbox server on http://127.0.0.1:{port}")


@pytest.fixture(name="free_port")
def free_port_fixture() -> Callable[[], int]:
    """A function that returns a loopback port nothing listens on right now."""
    return pick_free_port
