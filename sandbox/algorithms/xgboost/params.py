"""Turn validated container hyperparameters into xgboost.train arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.algorithms.xgboost import evaluation
from sandbox.algorithms.xgboost.errors import UserError

# Hyperparameters the container consumes itself instead of passing to XGBoost.
CONTAINER_ONLY = frozenset(
    {
        "num_round",
        "early_stopping_rounds",
        "csv_weights",
        "eval_metric",
        "save_model_on_termination",
        "use_dask_gpu_training",
        "_tuning_objective_metric",
        "_kfold",
        "_num_cv_round",
    }
)
# Parameters that XGBoost 2.0 and later removed: older images passed them on,
# the installed XGBoost would only warn that they are unused.
REMOVED_IN_XGBOOST_2 = frozenset(
    {
        "predictor",
        "single_precision_histogram",
        "deterministic_histogram",
        "dsplit",
        "lambda_bias",
        "prob_buffer_row",
    }
)


@dataclass
class TrainingPlan:
    """Everything xgboost.train needs besides the data."""

    params: dict[str, Any]
    num_round: int
    eval_metrics: list[str] = field(default_factory=list)
    custom_metrics: list[str] = field(default_factory=list)
    early_stopping_rounds: int | None = None
    early_stopping_metric: str | None = None
    save_model_on_termination: bool = False


def _metric_list(values: dict[str, Any]) -> tuple[list[str], list[str] | None]:
    """Return (all metrics, tuning objective metrics) as the container unites them."""
    user_metrics = list(values.get("eval_metric") or [])
    tuning = values.get("_tuning_objective_metric")
    tuning_metrics = tuning.split(":", 1)[1].split(",") if tuning else None
    if tuning_metrics is None:
        return user_metrics, None
    return sorted(set(user_metrics) | set(tuning_metrics)), tuning_metrics


def build_plan(values: dict[str, Any], nthread: int, info: Callable[[str], None]) -> TrainingPlan:
    """Build the training plan from validated hyperparameter values."""
    if "_kfold" in values:
        raise UserError(
            "Hyperparameter _kfold: k-fold cross-validation is not supported by the sandbox. "
            "Remove _kfold and _num_cv_round to train one model on the train channel."
        )
    if values.get("tree_method") == "gpu_hist":
        raise UserError(
            "Hyperparameter tree_method: 'gpu_hist' needs a GPU instance and the sandbox trains "
            "on CPU only. Use tree_method 'hist'."
        )

    params: dict[str, Any] = {}
    for name, value in values.items():
        if name in CONTAINER_ONLY:
            continue
        if name in REMOVED_IN_XGBOOST_2:
            info(f"Hyperparameter {name} has no effect in XGBoost 2.0 and later; ignoring it.")
            continue
        params[name] = _xgboost_value(name, value)
    params["nthread"] = nthread

    all_metrics, tuning_metrics = _metric_list(values)
    native, custom = evaluation.split_metrics(all_metrics)
    if native:
        params["eval_metric"] = native
    if tuning_metrics:
        info(f"Setting up HPO optimized metric to be : {','.join(tuning_metrics)}")

    stopping_source = tuning_metrics or list(values.get("eval_metric") or [])
    return TrainingPlan(
        params=params,
        num_round=values["num_round"],
        eval_metrics=native,
        custom_metrics=custom,
        early_stopping_rounds=values.get("early_stopping_rounds"),
        early_stopping_metric=stopping_source[-1] if stopping_source else None,
        save_model_on_termination=values.get("save_model_on_termination") == "true",
    )


def _xgboost_value(name: str, value: Any) -> Any:
    if name == "updater":
        return ",".join(value)
    if name in ("monotone_constraints", "interaction_constraints"):
        return str(tuple(value) if name == "monotone_constraints" else [list(v) for v in value])
    return value
