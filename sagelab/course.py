"""`make course`: run every lab's solution notebook, each in a fresh kernel, and report.

For each lab the report gives its status, the seconds it took and its headline metric:
the value a lab stores in the global `HEADLINE` (a dict such as {"test AUC": 0.87}).
Executed copies of the notebooks go to `_build/course/` so that a failing lab can be
read with its outputs; the sources under `labs/` are never modified.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

logger = logging.getLogger("sagelab.course")

ROOT = Path(__file__).resolve().parent.parent
LABS = ROOT / "labs"
OUTPUT = ROOT / "_build" / "course"
CELL_TIMEOUT_SECONDS = 600
HEADLINE_QUERY = "import json as _j; print(_j.dumps(globals().get('HEADLINE'), default=str))"


@dataclass
class LabRun:
    lab: str
    status: str = "not run"
    seconds: float = 0.0
    headline: dict[str, object] = field(default_factory=dict)
    error: str = ""


def lab_notebooks(only: list[str] | None = None) -> list[Path]:
    """Return labs/<lab>/<lab>.ipynb for every lab folder, in order (or the named ones)."""
    folders = sorted(path for path in LABS.iterdir() if (path / f"{path.name}.ipynb").exists())
    if only:
        unknown = sorted(set(only) - {folder.name for folder in folders})
        if unknown:
            known = ", ".join(folder.name for folder in folders)
            raise SystemExit(f"unknown lab(s) {', '.join(unknown)}: choose from {known}")
        folders = [folder for folder in folders if folder.name in only]
    return [folder / f"{folder.name}.ipynb" for folder in folders]


def run_lab(path: Path, output_dir: Path = OUTPUT) -> LabRun:
    """Execute one notebook in a fresh kernel with its folder as working directory."""
    run = LabRun(path.parent.name)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    try:
        with client.setup_kernel():
            client.execute(reset_kc=False, cleanup_kc=False)
            run.headline = _query_headline(client)
        run.status = "passed"
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        run.status = "failed"
        run.error = _last_line(str(error))
        logger.error("lab %s: %s", run.lab, run.error)
    run.seconds = time.perf_counter() - started

    output_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, output_dir / path.name)
    return run


def _query_headline(client: NotebookClient) -> dict[str, object]:
    cell = nbformat.v4.new_code_cell(HEADLINE_QUERY)
    client.nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1)
    finally:
        client.nb.cells.pop()
    text = "".join(
        output.get("text", "") for output in cell.outputs if output.get("name") == "stdout"
    )
    value = json.loads(text or "null")
    return value if isinstance(value, dict) else {}


def _last_line(message: str) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else message


def format_report(runs: list[LabRun]) -> str:
    width = max([len(run.lab) for run in runs] + [3])
    lines = [f"{'lab':<{width}}  {'status':<8}  {'seconds':>8}  headline"]
    for run in runs:
        headline = ", ".join(
            f"{name} = {_format_value(value)}" for name, value in run.headline.items()
        )
        detail = headline or run.error
        lines.append(f"{run.lab:<{width}}  {run.status:<8}  {run.seconds:>8.1f}  {detail}")
    total = sum(run.seconds for run in runs)
    passed = sum(run.status == "passed" for run in runs)
    lines.append(f"{passed}/{len(runs)} labs passed in {total:.1f} s")
    return "\n".join(lines)


def _format_value(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sagelab.course",
        description="Run every lab's solution notebook through the local sandbox and report.",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="LAB", help="run only these labs, e.g. 08-capstone"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    runs = []
    for path in lab_notebooks(args.only):
        logger.info("lab %s: running", path.parent.name)
        runs.append(run_lab(path))
    print(format_report(runs))
    return 0 if all(run.status == "passed" for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
