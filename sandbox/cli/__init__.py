"""`python -m sandbox`: serve the sandbox over HTTP, list it, and look after a real account.

The parsers live here and each subcommand's work lives in its own module. Errors the
user can fix (credentials, region, settings, AWS errors, an unreachable server) end as
one line on stderr and a named exit code instead of a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from .. import guard, guardrails
from ..aws import CREDENTIALS_FIX, call_aws
from ..server import DEFAULT_ENDPOINT_URL, DEFAULT_HOST, DEFAULT_PORT, SandboxServer, ServerError
from ..session import SandboxError
from . import cleanup, doctor, status

EXIT_OK = 0
EXIT_FAILED = 1  # a check failed, or some resources could not be cleaned up
EXIT_USAGE = 2  # argparse's own code for invalid arguments
EXIT_CONFIG = 3  # missing credentials, region, role or an invalid setting
EXIT_ABORTED = 4  # the user declined the cleanup
EXIT_UNREACHABLE = 5  # no sandbox server responds at the endpoint URL

SERVER_KEY = "sandbox"  # access key for a sandbox server; moto maps it to 123456789012


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except (SandboxError, guardrails.GuardrailError, ServerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except NoCredentialsError:
        print(f"error: {CREDENTIALS_FIX}", file=sys.stderr)
        return EXIT_CONFIG
    except EndpointConnectionError as error:
        if guard.is_loopback(str(error.kwargs.get("endpoint_url", ""))):
            fix = "start one with `python -m sandbox serve`"
        else:
            fix = "check the network connection and the region"
        print(f"error: {error}: {fix}", file=sys.stderr)
        return EXIT_UNREACHABLE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="The sagelab sandbox: a local SageMaker, and tools for a real AWS account.",
        epilog="Exit codes: 0 ok, 1 failed check or cleanup, 2 invalid arguments, "
        "3 configuration error, 4 cleanup declined, 5 server unreachable.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the sandbox as an HTTP server on loopback")
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"loopback address to listen on (default {DEFAULT_HOST})",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"TCP port to listen on (default {DEFAULT_PORT})",
    )
    serve.set_defaults(command=run_serve)

    listing = commands.add_parser("status", help="list the buckets, jobs and endpoints of a server")
    listing.add_argument(
        "--endpoint-url",
        default=DEFAULT_ENDPOINT_URL,
        help=f"sandbox server URL, loopback only (default {DEFAULT_ENDPOINT_URL})",
    )
    listing.add_argument("--region", default="us-east-1", help="region (default us-east-1)")
    listing.set_defaults(command=run_status)

    sweep = commands.add_parser(
        "cleanup",
        help="delete tagged endpoints, configs and models; stop tagged running jobs",
        description="Delete every endpoint, endpoint config and model tagged "
        f"{guardrails.COURSE_TAG}={guardrails.COURSE}, and stop every such training, tuning "
        "and transform job that is still running. Uses the default AWS credential chain.",
    )
    sweep.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    sweep.add_argument("--lab", help=f"only resources whose {guardrails.LAB_TAG} tag is LAB")
    sweep.add_argument("--region", help="AWS region (default: the configured one)")
    sweep.add_argument("--endpoint-url", help="a sandbox server URL instead of AWS (loopback only)")
    sweep.set_defaults(command=run_cleanup)

    check = commands.add_parser(
        "doctor", help="check credentials, region, role, bucket and quotas of an AWS account"
    )
    check.add_argument("--region", help="AWS region (default: the configured one)")
    check.set_defaults(command=run_doctor)
    return parser


def run_serve(args: argparse.Namespace) -> int:
    def announce(url: str) -> None:
        print(f"sandbox server on {url} (Ctrl-C stops it and drops its state)", flush=True)

    SandboxServer(args.host, args.port).serve_forever(on_ready=announce)
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    session = _server_session(args.endpoint_url, args.region)
    groups = call_aws(
        status.collect,
        f"list the sandbox at {args.endpoint_url}",
        sagemaker=_client(session, "sagemaker", args.endpoint_url),
        s3=_client(session, "s3", args.endpoint_url),
    )
    print(f"sandbox at {args.endpoint_url}")
    print(status.render(groups))
    return EXIT_OK


def run_cleanup(args: argparse.Namespace) -> int:
    if args.endpoint_url:
        session = _server_session(args.endpoint_url, args.region or "us-east-1")
    else:
        session = _aws_session(args.region)
    sagemaker = _client(session, "sagemaker", args.endpoint_url)
    found = call_aws(
        cleanup.find_tagged, "list the tagged resources", sagemaker=sagemaker, lab=args.lab
    )
    if not found:
        print("nothing to clean up: no tagged endpoint, config, model or running job")
        return EXIT_OK
    for resource in found:
        print(f"  {resource.describe()}")
    if not args.yes and not _confirm(f"{len(found)} resources: go ahead? [y/N] "):
        print("cleanup cancelled: nothing was changed")
        return EXIT_ABORTED
    outcomes = cleanup.clean(sagemaker, found)
    failed = [outcome for outcome in outcomes if outcome.error]
    print(f"{len(outcomes) - len(failed)} cleaned up, {len(failed)} failed")
    return EXIT_FAILED if failed else EXIT_OK


def run_doctor(args: argparse.Namespace) -> int:
    session = _aws_session(args.region)
    results = doctor.Doctor(session, guardrails.GuardrailPolicy.from_env()).run()
    for result in results:
        print(result.line())
    failed = any(result.status is doctor.Status.FAIL for result in results)
    return EXIT_FAILED if failed else EXIT_OK


def _aws_session(region: str | None) -> boto3.Session:
    return boto3.Session(region_name=region or os.environ.get("SAGELAB_REGION"))


def _server_session(endpoint_url: str, region: str) -> boto3.Session:
    if not guard.is_loopback(endpoint_url):
        raise ServerError(
            f"--endpoint-url {endpoint_url} is not a loopback URL: a sandbox server listens "
            f"on loopback only, e.g. {DEFAULT_ENDPOINT_URL}"
        )
    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        session = boto3.Session(
            aws_access_key_id=SERVER_KEY, aws_secret_access_key=SERVER_KEY, region_name=region
        )
    return session


def _client(session: boto3.Session, service: str, endpoint_url: str | None) -> Any:
    return session.client(service, endpoint_url=endpoint_url)


def _confirm(prompt: str) -> bool:
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
