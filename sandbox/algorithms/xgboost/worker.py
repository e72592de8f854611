"""One host of a multi-host training job, started by ``distributed`` with a SPEC path.

SPEC is a JSON file written by ``distributed``: the job folder, this process's
rank, the hosts it trains for and the tracker's address. The process prints the
container's log lines on stdout, joins XGBoost's collective for training, and
writes its outcome as JSON to the spec's ``result`` path. It exits as soon as
its stdin reaches end of file, so it never outlives the process that started it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import xgboost as xgb
from xgboost import collective

from sandbox.algorithms.xgboost import data
from sandbox.algorithms.xgboost.distributed import channel_distributions, process_share
from sandbox.algorithms.xgboost.errors import ToolkitError
from sandbox.algorithms.xgboost.params import TrainingPlan
from sandbox.algorithms.xgboost.training import (
    MODEL_FILE,
    TrainingOutcome,
    _Console,
    _failure,
    _RoundMonitor,
    _TrainingRun,
)

# The exit code of a worker whose stdin closed. WORKER_BOOTSTRAP uses the same code.
ORPHANED_EXIT_CODE = 70


class _HostRun(_TrainingRun):
    """The container's training run on this process's share of the data."""

    def __init__(self, spec: dict[str, Any], console: _Console) -> None:
        super().__init__(
            Path(spec["job_dir"]), console, lambda: False, spec["nthread"], spec["version"]
        )
        self.spec = spec
        self.distributions = channel_distributions(self.job_dir)
        self.is_master = False

    def _channel_files(self, channel: str) -> data.ChannelFiles:
        files = super()._channel_files(channel)
        distribution = self.distributions.get(channel, "FullyReplicated")
        return process_share(
            files, distribution, self.spec["host_indexes"], self.spec["host_count"]
        )

    def _train(
        self, plan: TrainingPlan, dtrain: xgb.DMatrix, dvalidation: xgb.DMatrix | None
    ) -> TrainingOutcome:
        # Task ids sort like ranks, so the process of algo-1 is rank 0.
        task_id = f"{self.spec['rank']:04d}"
        with collective.CommunicatorContext(dmlc_task_id=task_id, **self.spec["tracker"]):
            self.is_master = collective.get_rank() == 0
            return super()._train(plan, dtrain, dvalidation)

    def _callbacks(
        self, plan: TrainingPlan, has_validation: bool
    ) -> tuple[_RoundMonitor, list[Any]]:
        # NOTE: custom metrics (scikit-learn's f1, accuracy, ...) are computed on this
        # host's share only and not combined, so early stopping on one may end the
        # hosts at different rounds. The job then fails or runs into its max runtime.
        monitor, callbacks = super()._callbacks(plan, has_validation)
        # A stopped job's workers are terminated, so the model to keep is saved every round.
        if plan.save_model_on_termination and self.is_master:
            callbacks.append(_SaveEachRound(self))
        return monitor, callbacks

    def _save(self, booster: xgb.Booster, path: Path) -> None:
        if not self.is_master:
            return
        # Written beside the model folder and renamed, so that a worker terminated
        # mid-write never leaves a partial model to upload.
        staging = self.job_dir / "distributed" / f"{MODEL_FILE}.{self.spec['rank']}.partial"
        staging.write_bytes(bytes(booster.save_raw("ubj")))
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, path)


class _SaveEachRound(xgb.callback.TrainingCallback):
    def __init__(self, run: _HostRun) -> None:
        super().__init__()
        self._run = run

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self._run._save(model, self._run.job_dir / "model" / MODEL_FILE)
        return False


def _print_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _exit_when_orphaned() -> None:
    """Exit the process once stdin closes: the parent ended the job or died."""
    sys.stdin.buffer.read()
    os._exit(ORPHANED_EXIT_CODE)


def main(spec_path: str) -> int:
    """Train this process's hosts as SPEC describes; write the outcome to SPEC's result path."""
    spec = json.loads(Path(spec_path).read_text())
    console = _Console(_print_line, Path(spec["job_dir"]).name)
    run = _HostRun(spec, console)
    try:
        outcome = run.execute()
    except ToolkitError as error:
        outcome = _failure(run.job_dir, error, run.rounds, run.console)
    result = {
        "status": outcome.status,
        "failure_reason": outcome.failure_reason,
        "rounds": outcome.rounds_completed,
    }
    Path(spec["result"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    # ``python -m sandbox.algorithms.xgboost.worker SPEC`` works too, but starts slower.
    threading.Thread(target=_exit_when_orphaned, name="orphan-watch", daemon=True).start()
    sys.exit(main(sys.argv[1]))
