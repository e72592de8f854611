"""The sandbox behind HTTP: moto's server with the sandbox's SageMaker installed first.

Any AWS client can use it with an endpoint URL (the AWS CLI's `--endpoint-url`, boto3's
`endpoint_url=`, or AWS_ENDPOINT_URL for every SDK that reads it). State lives in the
server process for as long as it runs. The server listens on loopback addresses only
and keeps the local sandbox's network guard on, so nothing it does leaves the machine.

Accounts keep students apart. moto 5.2.5 takes the account of a request from the
server's MOTO_ACCOUNT_ID environment variable, else from an `x-moto-account-id` header.
Failing both, it uses the account of an access key that moto itself issued, for
instance by STS AssumeRole into `arn:aws:iam::<account>:role/...`, and otherwise
123456789012. `student_credentials` issues such a key.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import boto3

from . import guard

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_ENDPOINT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
STUDENT_ROLE_NAME = "SageLabStudent"


class ServerError(ValueError):
    """A server address or request that the sandbox server rejects."""


def check_loopback_host(host: str) -> str:
    """Return the host if it is a loopback address; raise ServerError otherwise."""
    if host == "localhost":
        return DEFAULT_HOST
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ServerError(
            f"--host {host!r} is not an IP address: the sandbox server listens on loopback "
            f"addresses only, e.g. --host {DEFAULT_HOST}"
        ) from None
    if not address.is_loopback:
        raise ServerError(
            f"--host {host} is not a loopback address: the sandbox server listens on "
            f"loopback addresses only (127.0.0.0/8 or ::1), e.g. --host {DEFAULT_HOST}"
        )
    return host


class SandboxServer:
    """moto's threaded server with the sandbox's backends, on a loopback address."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.host = check_loopback_host(host)
        self.port = port
        self._server: Any = None

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        from .emulator import install

        self._check_port_free()
        install()
        guard.activate()
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        logger.info("sandbox server listening on %s", self.endpoint_url)

    def _check_port_free(self) -> None:
        """Raise ServerError if the port is taken: moto's start() would wait forever."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as error:
                raise ServerError(
                    f"cannot listen on {self.host}:{self.port} ({error.strerror}): stop the "
                    "process using that port, or pick another with --port"
                ) from None

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._server = None
        guard.deactivate()
        logger.info("sandbox server on %s stopped", self.endpoint_url)

    def serve_forever(
        self,
        stop_event: threading.Event | None = None,
        on_ready: Callable[[str], None] | None = None,
    ) -> None:
        """Run until `stop_event` is set or the process receives Ctrl-C.

        `on_ready` receives the endpoint URL once the server accepts connections.
        """
        event = stop_event or threading.Event()
        self.start()
        if on_ready is not None:
            on_ready(self.endpoint_url)
        try:
            while not event.wait(0.5):
                pass
        except KeyboardInterrupt:
            logger.info("interrupted")
        finally:
            self.stop()


def student_credentials(
    endpoint_url: str, account_id: str, student: str, region: str = "us-east-1"
) -> dict[str, str]:
    """Issue access keys on the server that map to the student's own 12-digit account."""
    if not (account_id.isdigit() and len(account_id) == 12):
        raise ServerError(f"account {account_id!r} is invalid: use 12 digits, e.g. 111122223333")
    sts = boto3.client(
        "sts",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="sandbox-admin",
        aws_secret_access_key="sandbox-admin",
    )
    role_arn = f"arn:aws:iam::{account_id}:role/{STUDENT_ROLE_NAME}"
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=student)["Credentials"]
    logger.info("issued server credentials for student %s in account %s", student, account_id)
    return {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }
