"""Algorithm-mode training of the built-in XGBoost container, in-process.

``train`` reads an ``/opt/ml``-shaped job folder, validates hyperparameters
and channels with the container's rules, trains with the real xgboost.train and
writes ``model/xgboost-model`` or ``output/failure`` like the container.
"""

from __future__ import annotations

import datetime
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import xgboost as xgb

from sandbox.algorithms.xgboost import data, evaluation, hyperparameters
from sandbox.algorithms.xgboost.errors import AlgorithmError, ToolkitError, UserError
from sandbox.algorithms.xgboost.metrics import metric_direction
from sandbox.algorithms.xgboost.params import TrainingPlan, build_plan
from sandbox.algorithms.xgboost.versions import check_version, is_xgboost_3

logger = logging.getLogger(__name__)

FAILURE_REASON_LIMIT = 1024
MODEL_FILE = "xgboost-model"
OPTIONAL_CHANNELS = ("validation", "code")
# Fragments of XGBoost errors that the container reports as user errors.
CUSTOMER_ERRORS = (
    "label must be in [0,1] for logistic regression",
    "base_score must be in (0,1)",
    "label must be in [0, num_class)",
    "feature_names mismatch",
    "AUC: the dataset only contains pos or neg samples",
    "label must be nonnegative",
    "PoissonRegression: label must be nonnegative",
    "TweedieRegression: label must be nonnegative",
    "reg_lambda must be nonnegative",
    "Check failed: valid: Input data contains `inf`",
    "Label contains NaN, infinity or a value too large",
)
LOGISTIC_OBJECTIVES = ("binary:logistic", "reg:logistic")


@dataclass
class TrainingOutcome:
    """Result of one training run: final status, failure reason and rounds run."""

    status: Literal["Completed", "Failed", "Stopped"]
    failure_reason: str | None
    rounds_completed: int


class _Console:
    """Writes the container's log lines (``[<time>:INFO] message``) through ``log``."""

    def __init__(self, log: Callable[[str], None], job: str) -> None:
        self._log = log
        self._job = job

    def line(self, text: str) -> None:
        self._log(text)

    def info(self, message: str) -> None:
        self._emit("INFO", message)

    def warning(self, message: str) -> None:
        self._emit("WARNING", message)

    def error(self, message: str) -> None:
        self._emit("ERROR", message)

    def _emit(self, level: str, message: str) -> None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d:%H:%M:%S")
        logger.debug("job %s: %s", self._job, message)
        self._log(f"[{stamp}:{level}] {message}")


class _RoundMonitor(xgb.callback.TrainingCallback):
    """Prints each round like XGBoost's evaluation monitor and honours stop requests."""

    def __init__(self, console: _Console, should_stop: Callable[[], bool]) -> None:
        super().__init__()
        self._console = console
        self._should_stop = should_stop
        self.rounds = 0
        self.stopped = False

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.rounds = epoch + 1
        parts = [f"[{epoch}]"]
        for data_name, metric_log in evals_log.items():
            for metric_name, scores in metric_log.items():
                parts.append(f"{data_name}-{metric_name}:{float(scores[-1]):.5f}")
        self._console.line("\t".join(parts))
        if self._should_stop():
            self.stopped = True
        return self.stopped


def _read_json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default


def _failure(
    job_dir: Path, error: BaseException, rounds: int, console: _Console | None = None
) -> TrainingOutcome:
    """Write the failure file, log it as the container does, and return the Failed outcome."""
    text = f"framework error: \n{_portable_traceback()}\n{error}"
    output = job_dir / "output"
    output.mkdir(parents=True, exist_ok=True)
    (output / "failure").write_text(text)
    if console is not None:
        console.error("Reporting training FAILURE")
        for line in text.splitlines():
            console.line(line)
    reason = f"AlgorithmError: {text}"[:FAILURE_REASON_LIMIT]
    return TrainingOutcome("Failed", reason, rounds)


def _portable_traceback() -> str:
    """Return the current traceback with file paths relative to the installed package root.

    The failure reason is cut at 1,024 characters, so absolute paths would make how much
    of the message survives depend on where sagelab is installed.
    """
    package_root = str(Path(__file__).resolve().parents[3]) + "/"
    return traceback.format_exc().replace(package_root, "")


def train(
    job_dir: Path,
    *,
    log: Callable[[str], None],
    should_stop: Callable[[], bool],
    nthread: int,
    version: str = "1.7-1",
    host_log: Callable[[str], Callable[[str], None]] | None = None,
) -> TrainingOutcome:
    """Run one algorithm-mode training job in ``job_dir`` (shaped like /opt/ml).

    When ``resourceconfig.json`` lists several hosts, each host trains in its own
    worker process through XGBoost's collective (see ``distributed``). ``log`` then
    receives the lines of algo-1, and ``host_log(host)`` returns the writer for the
    other hosts (their lines are dropped when it is None).

    Raises UnsupportedImageError for image versions the sandbox cannot run.
    Every user or data problem ends as a Failed outcome with the container's
    failure file, so only programming errors propagate.
    """
    check_version(version)
    job_dir = Path(job_dir)
    config_dir = job_dir / "input" / "config"
    hosts = _read_json(config_dir / "resourceconfig.json", {}).get("hosts") or ["algo-1"]
    if len(hosts) > 1:
        # Imported here because the distributed module builds on this one.
        from sandbox.algorithms.xgboost.distributed import train_on_hosts

        return train_on_hosts(
            job_dir,
            hosts,
            log=log,
            host_log=host_log,
            should_stop=should_stop,
            nthread=nthread,
            version=version,
        )

    run = _TrainingRun(job_dir, _Console(log, job_dir.name), should_stop, nthread, version)
    try:
        return run.execute()
    except ToolkitError as error:
        logger.info("job %s failed: %s", Path(job_dir).name, error)
        return _failure(Path(job_dir), error, run.rounds, run.console)


class _TrainingRun:
    def __init__(
        self,
        job_dir: Path,
        console: _Console,
        should_stop: Callable[[], bool],
        nthread: int,
        version: str,
    ) -> None:
        self.job_dir = job_dir
        self.console = console
        self.should_stop = should_stop
        self.nthread = nthread
        self.version = version
        self.rounds = 0

    def execute(self) -> TrainingOutcome:
        values, formats = self.prepare()
        resources = _read_json(self.job_dir / "input" / "config" / "resourceconfig.json", {})

        dtrain, dvalidation = self._load_data(formats, values.get("csv_weights", 0))
        self._log_hosts(resources.get("hosts") or ["algo-1"])
        plan = build_plan(values, self.nthread, self.console.info)
        self._check_labels(plan, dtrain)
        return self._train(plan, dtrain, dvalidation)

    def prepare(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Log the container's first lines, then return validated hyperparameters and formats."""
        config_dir = self.job_dir / "input" / "config"
        raw_hyperparameters = _read_json(config_dir / "hyperparameters.json", {})
        channel_config = _read_json(config_dir / "inputdataconfig.json", {})

        self.console.info("Imported framework sagemaker_xgboost_container.training")
        self.console.info("No GPUs detected (normal if no gpus installed)")
        self.console.info("Running XGBoost Sagemaker in algorithm mode")
        values = hyperparameters.validate(raw_hyperparameters, self.version, self.console.info)
        formats = self._validate_channels(channel_config)
        return values, formats

    def _validate_channels(self, channel_config: dict[str, Any]) -> dict[str, str]:
        for name in channel_config:
            if name != "train" and name not in OPTIONAL_CHANNELS:
                raise UserError(f"Extraneous channel found: {name}")
        if "train" not in channel_config:
            raise UserError("Missing required channel: train")
        return {
            name: data.parse_content_type(settings.get("ContentType"))
            for name, settings in channel_config.items()
            if name != "code"
        }

    def _load_data(
        self, formats: dict[str, str], csv_weights: int
    ) -> tuple[xgb.DMatrix, xgb.DMatrix | None]:
        train_files = self._channel_files("train")
        validation_files = None
        if "validation" in formats:
            validation_files = self._channel_files("validation")

        dtrain = None
        if train_files.total_size > 0:
            dtrain = data.load_channel(
                train_files, formats["train"], csv_weights, self.console.info
            )
        # NOTE: csv_weights applies to the validation channel too, so both channels
        # have the same feature columns. Older container code read validation without it.
        dvalidation = None
        if validation_files is not None and validation_files.total_size > 0:
            dvalidation = data.load_channel(
                validation_files, formats["validation"], csv_weights, self.console.info
            )

        if dtrain is None:
            raise UserError(f"No data in training channel path {train_files.container_path}")
        if validation_files is not None and dvalidation is None:
            raise UserError(f"No data in validation channel path {validation_files.container_path}")

        self.console.info(
            f"Train matrix has {dtrain.num_row()} rows and {dtrain.num_col()} columns"
        )
        if dvalidation is not None:
            self.console.info(f"Validation matrix has {dvalidation.num_row()} rows")
        return dtrain, dvalidation

    def _channel_files(self, channel: str) -> data.ChannelFiles:
        root = self.job_dir / "input" / "data" / channel
        return data.list_channel_files(root, channel, self.console.warning)

    def _log_hosts(self, hosts: list[str]) -> None:
        if len(hosts) == 1:
            self.console.info("Single node training.")
            return
        self.console.info(f"Distributed node training with {len(hosts)} hosts: {hosts}")

    def _check_labels(self, plan: TrainingPlan, dtrain: xgb.DMatrix) -> None:
        # XGBoost 1.x rejected such labels with this text; XGBoost 3.x fails
        # earlier on the base_score estimate, and its own message is kept.
        if is_xgboost_3(self.version) or plan.params.get("objective") not in LOGISTIC_OBJECTIVES:
            return
        labels = dtrain.get_label()
        if labels.size and (labels.min() < 0 or labels.max() > 1):
            raise UserError("label must be in [0,1] for logistic regression")

    def _callbacks(
        self, plan: TrainingPlan, has_validation: bool
    ) -> tuple[_RoundMonitor, list[Any]]:
        monitor = _RoundMonitor(self.console, self.should_stop)
        callbacks: list[Any] = [monitor]
        if plan.early_stopping_rounds and has_validation and plan.early_stopping_metric:
            metric = plan.early_stopping_metric
            self.console.info(
                f"Will train until validation-{metric} hasn't improved in "
                f"{plan.early_stopping_rounds} rounds."
            )
            callbacks.append(
                xgb.callback.EarlyStopping(
                    rounds=plan.early_stopping_rounds,
                    metric_name=metric,
                    data_name="validation",
                    maximize=metric_direction(metric) == "Maximize",
                    save_best=True,
                )
            )
        return monitor, callbacks

    def _train(
        self, plan: TrainingPlan, dtrain: xgb.DMatrix, dvalidation: xgb.DMatrix | None
    ) -> TrainingOutcome:
        evals = [(dtrain, "train")]
        if dvalidation is not None:
            evals.append((dvalidation, "validation"))
        monitor, callbacks = self._callbacks(plan, dvalidation is not None)
        custom = (
            evaluation.custom_metric_function(plan.custom_metrics) if plan.custom_metrics else None
        )

        try:
            booster = xgb.train(
                plan.params,
                dtrain,
                num_boost_round=plan.num_round,
                evals=evals,
                custom_metric=custom,
                callbacks=callbacks,
                verbose_eval=False,
            )
        except (xgb.core.XGBoostError, ValueError) as error:
            self.rounds = monitor.rounds
            raise _classify_xgboost_error(error) from error
        self.rounds = monitor.rounds

        model_path = self.job_dir / "model" / MODEL_FILE
        if monitor.stopped:
            if plan.save_model_on_termination:
                self._save(booster, model_path)
            self.console.info(f"Training stopped after {monitor.rounds} rounds.")
            return TrainingOutcome("Stopped", None, monitor.rounds)
        self._save(booster, model_path)
        return TrainingOutcome("Completed", None, monitor.rounds)

    def _save(self, booster: xgb.Booster, path: Path) -> None:
        # Booster.save_model without an extension writes UBJSON in XGBoost 2.1 and
        # later; save_raw writes the same bytes without the format warning.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(booster.save_raw("ubj")))


def _classify_xgboost_error(error: Exception) -> ToolkitError:
    # The native stack trace names files of the local installation: drop it.
    message = str(error).split("\nStack trace:", 1)[0]
    if any(fragment in message for fragment in CUSTOMER_ERRORS):
        return UserError(message)
    return AlgorithmError(f"XGB train call failed with exception:\n {message}")
