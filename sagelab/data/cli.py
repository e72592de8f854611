"""Command line: write a synthetic claims CSV (``python -m sagelab.data``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sagelab.data.generate import DEFAULT_ROWS, DEFAULT_SEED, generate_claims, write_claims_csv
from sagelab.data.loader import DEFAULT_CSV_PATH

logger = logging.getLogger(__name__)


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``python -m sagelab.data``."""
    parser = argparse.ArgumentParser(
        prog="python -m sagelab.data",
        description=(
            "Generate synthetic car-insurance claims with the schema of the public "
            "'car insurance claim' dataset. The same rows and seed give the same bytes."
        ),
        epilog=f"The bundled file {DEFAULT_CSV_PATH.name} is the output of the defaults.",
    )
    parser.add_argument(
        "--rows",
        type=_positive_int,
        default=DEFAULT_ROWS,
        help=f"number of policyholders (rows) to generate (default: {DEFAULT_ROWS})",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        default=DEFAULT_SEED,
        help=f"seed of the random number generator (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--out",
        default="-",
        help="CSV file to write, or - for standard output (default: -)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the CSV that the command line arguments describe and return the exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.out != "-" and not Path(arguments.out).resolve().parent.is_dir():
        parser.error(
            f"--out {arguments.out}: the folder {Path(arguments.out).resolve().parent} does not "
            "exist; create it first or choose another path"
        )
    frame = generate_claims(rows=arguments.rows, seed=arguments.seed)

    if arguments.out == "-":
        write_claims_csv(frame, sys.stdout)
    else:
        write_claims_csv(frame, arguments.out)
        logger.info(
            "wrote %d claims rows (seed %d) to %s", len(frame), arguments.seed, arguments.out
        )
    return 0
