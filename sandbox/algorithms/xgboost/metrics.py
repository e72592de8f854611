"""Evaluation metric names, their direction, and the platform metric definitions.

The name lists are those of the built-in XGBoost container (xgb_constants.py of
aws/sagemaker-xgboost-container, images 1.3-1 to 3.0-5).
"""

from __future__ import annotations

from collections.abc import Iterator

MAXIMIZE_METRICS: frozenset[str] = frozenset(
    {
        "accuracy",
        "auc",
        "aucpr",
        "balanced_accuracy",
        "f1",
        "f1_binary",
        "f1_macro",
        "map",
        "ndcg",
        "precision",
        "precision_macro",
        "precision_micro",
        "r2",
        "recall",
        "recall_macro",
        "recall_micro",
    }
)
MINIMIZE_METRICS: frozenset[str] = frozenset(
    {
        "aft-nloglik",
        "cox-nloglik",
        "error",
        "gamma-deviance",
        "gamma-nloglik",
        "interval-regression-accuracy",
        "logloss",
        "mae",
        "mape",
        "merror",
        "mlogloss",
        "mphe",
        "mse",
        "poisson-nloglik",
        "rmse",
        "rmsle",
        "tweedie-nloglik",
    }
)

# Ordered as the container lists them in its range error messages.
ALL_METRICS: tuple[str, ...] = tuple(sorted(MAXIMIZE_METRICS)) + tuple(sorted(MINIMIZE_METRICS))

# Names accepted by the _tuning_objective_metric hyperparameter.
TUNING_OBJECTIVE_METRICS: tuple[str, ...] = tuple(f"validation:{name}" for name in ALL_METRICS)

_NUMBER_PATTERN = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


def metric_direction(name: str) -> str:
    """Return ``Maximize`` or ``Minimize`` for a metric such as ``validation:auc``.

    The ``train:``/``validation:`` prefix and an ``@threshold`` suffix are
    ignored. Metrics the container does not list are minimized, as the container
    does when it sets up early stopping.
    """
    base = name.split(":", 1)[-1].split("@", 1)[0]
    return "Maximize" if base in MAXIMIZE_METRICS else "Minimize"


def base_metric_name(name: str) -> str:
    """Return the metric without its ``@threshold`` suffix (``error@0.6`` -> ``error``)."""
    return name.split("@", 1)[0]


def platform_metric_definitions() -> list[dict[str, str]]:
    """Return the MetricDefinitions the service fills in for built-in XGBoost jobs.

    The regexes match the per-round log line as CloudWatch stores it, with the
    tab written as the rsyslog escape ``#011``.
    NOTE: the service's own list has about 40 entries whose exact membership is
    not documented; this covers every metric the container can print.
    """
    return [{"Name": name, "Regex": regex} for name, regex, _ in _platform_metrics()]


def platform_metric_markers() -> dict[str, str]:
    """Map each platform regex to a text that every line it matches contains.

    A search for a pattern that starts with ``.*`` tries every start position of the
    line, so looking for that text first skips most of the 66 searches per line.
    """
    return {regex: marker for _, regex, marker in _platform_metrics()}


def _platform_metrics() -> Iterator[tuple[str, str, str]]:
    """Yield the name, regex and marker text of each platform metric."""
    for channel in ("train", "validation"):
        for metric in ALL_METRICS:
            marker = f"#011{channel}-{metric}:"
            regex = rf".*\[[0-9]+\].*{marker}{_NUMBER_PATTERN}.*"
            yield f"{channel}:{metric}", regex, marker
