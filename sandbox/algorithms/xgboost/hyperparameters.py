"""Hyperparameter rules of the built-in XGBoost container, declared as data.

Validation runs in the toolkit's order, and each step raises the toolkit's
message: aliases are renamed, then a missing required name, an unknown name, an
unparseable value, a value out of range, and last the dependency rules.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.algorithms.xgboost import metrics
from sandbox.algorithms.xgboost.errors import UserError
from sandbox.algorithms.xgboost.versions import version_key

# Parsed hyperparameter values: int, float, str, list[str], tuple or nested list.
Values = dict[str, Any]


@dataclass(frozen=True)
class Interval:
    """A numeric range printed like the toolkit: ``[0, 1]``, ``(0, 1]``, ``[1, +inf)``."""

    min_open: float | None = None
    min_closed: float | None = None
    max_open: float | None = None
    max_closed: float | None = None

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        return not (
            (self.min_open is not None and value <= self.min_open)
            or (self.min_closed is not None and value < self.min_closed)
            or (self.max_open is not None and value >= self.max_open)
            or (self.max_closed is not None and value > self.max_closed)
        )

    def __str__(self) -> str:
        if self.min_open is not None:
            low = f"({self.min_open}, "
        elif self.min_closed is not None:
            low = f"[{self.min_closed}, "
        else:
            low = "(-inf, "
        if self.max_open is not None:
            high = f"{self.max_open})"
        elif self.max_closed is not None:
            high = f"{self.max_closed}]"
        else:
            high = "+inf)"
        return low + high


@dataclass(frozen=True)
class Hyperparameter:
    """One row of the table.

    ``kind`` is int, float, categorical, list (comma separated), tuple or nested
    (a Python literal). ``valid`` is an Interval for numbers and elements of
    nested lists, or the allowed strings. ``default`` is the documented default,
    which the container leaves to XGBoost and never fills in.
    """

    name: str
    kind: str
    valid: Interval | tuple[Any, ...] | None = None
    default: str | None = None
    required: bool = False
    tunable: bool = False
    recommended: Interval | None = None


def _interval(**bounds: float) -> Interval:
    return Interval(**bounds)


_UNIT = _interval(min_closed=0, max_closed=1)
_NON_NEGATIVE = _interval(min_closed=0)
_FRACTION = _interval(min_open=0, max_closed=1)
_BOOL_TEXT = ("true", "false")

OBJECTIVES: tuple[str, ...] = (
    "aft_loss_distribution",
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "count:poisson",
    "multi:softmax",
    "multi:softprob",
    "rank:pairwise",
    "rank:ndcg",
    "rank:map",
    "reg:linear",
    "reg:squarederror",
    "reg:logistic",
    "reg:gamma",
    "reg:pseudohubererror",
    "reg:squaredlogerror",
    "reg:tweedie",
    "survival:aft",
    "survival:cox",
)
# reg:absoluteerror needs XGBoost 1.7, so images 1.7-1 and later accept it.
ABSOLUTE_ERROR_SINCE = "1.7-1"

UPDATERS: tuple[str, ...] = (
    "grow_colmaker",
    "distcol",
    "grow_histmaker",
    "grow_local_histmaker",
    "grow_skmaker",
    "sync",
    "refresh",
    "prune",
    "shotgun",
    "coord_descent",
)
TREE_BUILD_UPDATERS = ("grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker")
TREE_UPDATERS = (*UPDATERS[:8], "grow_quantile_histmaker")
LINEAR_UPDATERS = ("shotgun", "coord_descent")
PROCESS_UPDATE_UPDATERS = ("refresh", "prune")

TABLE: tuple[Hyperparameter, ...] = (
    Hyperparameter(
        "num_round",
        "int",
        _interval(min_closed=1),
        required=True,
        tunable=True,
        recommended=_interval(min_closed=1, max_closed=4000),
    ),
    Hyperparameter("num_class", "int", _interval(min_closed=2)),
    Hyperparameter("objective", "categorical", OBJECTIVES, default="reg:squarederror"),
    Hyperparameter(
        "eta",
        "float",
        _UNIT,
        "0.3",
        tunable=True,
        recommended=_interval(min_closed=0.1, max_closed=0.5),
    ),
    Hyperparameter(
        "gamma",
        "float",
        _NON_NEGATIVE,
        "0",
        tunable=True,
        recommended=_interval(min_closed=0, max_closed=5),
    ),
    Hyperparameter(
        "max_depth",
        "int",
        _NON_NEGATIVE,
        "6",
        tunable=True,
        recommended=_interval(min_closed=0, max_closed=10),
    ),
    Hyperparameter(
        "min_child_weight",
        "float",
        _NON_NEGATIVE,
        "1",
        tunable=True,
        recommended=_interval(min_closed=0, max_closed=120),
    ),
    Hyperparameter(
        "max_delta_step",
        "float",
        _NON_NEGATIVE,
        "0",
        tunable=True,
        recommended=_interval(min_closed=0, max_closed=10),
    ),
    Hyperparameter(
        "subsample",
        "float",
        _FRACTION,
        "1",
        tunable=True,
        recommended=_interval(min_closed=0.5, max_closed=1),
    ),
    Hyperparameter(
        "colsample_bytree",
        "float",
        _FRACTION,
        "1",
        tunable=True,
        recommended=_interval(min_closed=0.5, max_closed=1),
    ),
    Hyperparameter(
        "colsample_bylevel",
        "float",
        _FRACTION,
        "1",
        tunable=True,
        recommended=_interval(min_closed=0.1, max_closed=1),
    ),
    Hyperparameter(
        "colsample_bynode",
        "float",
        _FRACTION,
        "1",
        tunable=True,
        recommended=_interval(min_closed=0.1, max_closed=1),
    ),
    Hyperparameter(
        "lambda",
        "float",
        _NON_NEGATIVE,
        "1",
        tunable=True,
        recommended=_interval(min_closed=0, max_closed=1000),
    ),
    Hyperparameter(
        "alpha",
        "float",
        _NON_NEGATIVE,
        "0",
        tunable=True,
        recommended=_interval(min_closed=0, max_closed=1000),
    ),
    Hyperparameter("eval_metric", "list", metrics.ALL_METRICS),
    Hyperparameter("early_stopping_rounds", "int", _interval(min_closed=1)),
    Hyperparameter("csv_weights", "int", _UNIT, "0"),
    Hyperparameter("booster", "categorical", ("gbtree", "gblinear", "dart"), "gbtree"),
    Hyperparameter(
        "tree_method", "categorical", ("auto", "exact", "approx", "hist", "gpu_hist"), "auto"
    ),
    Hyperparameter("verbosity", "int", _interval(min_closed=0, max_closed=3), "1"),
    Hyperparameter("nthread", "int", _interval(min_closed=1)),
    Hyperparameter("scale_pos_weight", "float", _interval(min_open=0), "1"),
    Hyperparameter("base_score", "float", _NON_NEGATIVE, "0.5"),
    Hyperparameter("seed", "int", _interval(min_open=-(2**31), max_open=2**31 - 1), "0"),
    Hyperparameter("max_bin", "int", _NON_NEGATIVE, "256"),
    Hyperparameter("max_leaves", "int", _NON_NEGATIVE, "0"),
    Hyperparameter("grow_policy", "categorical", ("depthwise", "lossguide"), "depthwise"),
    Hyperparameter("sketch_eps", "float", _interval(min_open=0, max_open=1), "0.03"),
    Hyperparameter("updater", "list", UPDATERS),
    Hyperparameter("dsplit", "categorical", ("row", "col")),
    Hyperparameter("refresh_leaf", "int", _UNIT, "1"),
    Hyperparameter("process_type", "categorical", ("default", "update"), "default"),
    Hyperparameter("predictor", "categorical", ("auto", "cpu_predictor", "gpu_predictor")),
    Hyperparameter("monotone_constraints", "tuple", (-1, 0, 1)),
    Hyperparameter("interaction_constraints", "nested", _interval(min_closed=1)),
    Hyperparameter("sample_type", "categorical", ("uniform", "weighted"), "uniform"),
    Hyperparameter("normalize_type", "categorical", ("tree", "forest"), "tree"),
    Hyperparameter("rate_drop", "float", _UNIT, "0.0"),
    Hyperparameter("one_drop", "int", _UNIT, "0"),
    Hyperparameter("skip_drop", "float", _UNIT, "0.0"),
    Hyperparameter("lambda_bias", "float", _UNIT, "0"),
    Hyperparameter("tweedie_variance_power", "float", _interval(min_open=1, max_open=2), "1.5"),
    Hyperparameter("aft_loss_distribution", "categorical", ("normal", "logistic", "extreme")),
    Hyperparameter("aft_loss_distribution_scale", "float", _NON_NEGATIVE),
    Hyperparameter("deterministic_histogram", "categorical", _BOOL_TEXT, "true"),
    Hyperparameter("single_precision_histogram", "categorical", _BOOL_TEXT, "false"),
    Hyperparameter("sampling_method", "categorical", ("uniform", "gradient_based")),
    Hyperparameter("num_parallel_tree", "int", _interval(min_closed=1), "1"),
    Hyperparameter("save_model_on_termination", "categorical", _BOOL_TEXT, "false"),
    Hyperparameter("prob_buffer_row", "int", _interval(min_open=1.0)),
    Hyperparameter("use_dask_gpu_training", "categorical", _BOOL_TEXT, "false"),
    Hyperparameter("_kfold", "int", _interval(min_closed=2)),
    Hyperparameter("_num_cv_round", "int", _interval(min_closed=1), "1"),
    Hyperparameter("_tuning_objective_metric", "categorical", metrics.TUNING_OBJECTIVE_METRICS),
)

ALIASES: Mapping[str, str] = {
    "learning_rate": "eta",
    "min_split_loss": "gamma",
    "reg_lambda": "lambda",
    "reg_alpha": "alpha",
}

THRESHOLD_METRICS = ("error", "ndcg", "map")


def table_for(version: str) -> dict[str, Hyperparameter]:
    """Return the table rows by name, with the objective list of image ``version``."""
    rows = {row.name: row for row in TABLE}
    if version_key(version) >= version_key(ABSOLUTE_ERROR_SINCE):
        objective = rows["objective"]
        assert isinstance(objective.valid, tuple)
        rows["objective"] = Hyperparameter(
            "objective", "categorical", (*objective.valid, "reg:absoluteerror"), objective.default
        )
    return rows


def decode_json(value: str, log: Callable[[str], None], name: str) -> Any:
    """Decode a hyperparameter string as JSON, as the training toolkit does first."""
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        log(
            f"Failed to parse hyperparameter {name} value {value} to Json. "
            "Returning the value itself"
        )
        return value


def _parse(row: Hyperparameter, raw: str, decoded: Any) -> Any:
    if row.kind == "int":
        return int(decoded)
    if row.kind == "float":
        return float(decoded)
    if row.kind == "list":
        return raw.split(",")
    if row.kind in ("tuple", "nested"):
        parsed = ast.literal_eval(raw)
        if not isinstance(parsed, (list, tuple)):
            raise ValueError(f"{raw!r} is not a tuple or list")
        return parsed
    return raw


def _check_metric_element(metric: str) -> bool:
    if "@" not in metric:
        return metric in metrics.ALL_METRICS
    name, threshold = (part.strip() for part in metric.split("@", 1))
    if name not in THRESHOLD_METRICS:
        raise UserError(
            f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized "
            "threshold should be one of these options: 'error', 'ndcg', 'map'."
        )
    try:
        float(threshold)
    except ValueError:
        raise UserError(f"Threshold value 't' in '{name}@t' expects float input.") from None
    return True


def _check_range(row: Hyperparameter, value: Any) -> None:
    valid = row.valid
    if row.kind == "list":
        assert isinstance(valid, tuple)
        if row.name == "eval_metric":
            in_range = all(_check_metric_element(element) for element in value)
        else:
            in_range = all(element in valid for element in value)
        if not in_range:
            printed_range = list(valid)
            raise UserError(
                f"Hyperparameter {row.name}: value {value} not in range {printed_range}"
            )
        return
    if row.kind == "tuple":
        assert isinstance(valid, tuple)
        if any(element not in valid for element in value):
            raise UserError(f"Hyperparameter {row.name}: value {value} not in range {list(valid)}")
        return
    if row.kind == "nested":
        assert isinstance(valid, Interval)
        if any(element not in valid for outer in value for element in outer):
            raise UserError(f"Hyperparameter {row.name}: value {value} not in range {valid}")
        return
    if isinstance(valid, Interval):
        if isinstance(value, float) and math.isnan(value) or value not in valid:
            raise UserError(f"Hyperparameter {row.name}: {value} is not in {valid}")
        return
    if valid is not None and value not in valid:
        raise UserError(f"Hyperparameter {row.name}: {value} is not in {list(valid)}")


def _check_objective(values: Values) -> None:
    objective = values.get("objective")
    if objective in ("multi:softmax", "multi:softprob") and "num_class" not in values:
        raise UserError("Require input for parameter 'num_class' for multi-classification")
    if objective is None and "num_class" in values:
        raise UserError(
            "Do not need to setup parameter 'num_class' for learning task other than "
            "multi-classification."
        )


def _check_eval_metric(values: Values) -> None:
    chosen = values.get("eval_metric")
    if chosen is None:
        return
    # The container reads the objective the user gave; XGBoost's default applies otherwise.
    objective = values.get("objective", "reg:squarederror")
    if "auc" in chosen and not objective.startswith(("binary:", "rank:")):
        raise UserError("Metric 'auc' can only be applied for classification and ranking problems.")
    if "aft-nloglik" in chosen and objective != "survival:aft":
        raise UserError("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.")


def _check_updater(values: Values) -> None:
    updaters = values.get("updater")
    if updaters is None:
        return
    if values.get("booster") == "gblinear":
        if not (len(updaters) == 1 and updaters[0] in LINEAR_UPDATERS):
            raise UserError(
                "Linear updater should be one of these options: 'shotgun', 'coord_descent'."
            )
    elif values.get("process_type") == "update":
        if not all(updater in PROCESS_UPDATE_UPDATERS for updater in updaters):
            raise UserError(
                "process_type 'update' can only be used with updater 'refresh' and 'prune'"
            )
    else:
        if not all(updater in TREE_UPDATERS for updater in updaters):
            raise UserError(
                "Tree updater should be selected from these options: 'grow_colmaker', 'distcol', "
                "'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker', "
                "'grow_quantile_histmaker', 'sync', 'refresh', 'prune', 'shortgun', "
                "'coord_descent'."
            )
        if sum(updater in TREE_BUILD_UPDATERS for updater in updaters) > 1:
            raise UserError(
                "Only one tree grow plugin can be selected. Choose one from the following: "
                "'grow_colmaker', 'distcol', 'grow_histmaker', 'grow_local_histmaker', "
                "'grow_skmaker'"
            )


def _check_constraints(values: Values) -> None:
    tree_method = values.get("tree_method")
    if "monotone_constraints" in values and tree_method not in ("exact", "hist"):
        raise UserError(
            "monotone_constraints can be used only when the tree_method parameter is set to "
            "either 'exact' or 'hist'."
        )
    if "interaction_constraints" in values and tree_method not in ("exact", "hist", "approx"):
        raise UserError(
            "interaction_constraints can be used only when the tree_method parameter is set to "
            "either 'exact', 'hist' or 'approx'."
        )


@dataclass(frozen=True)
class DependencyRule:
    """A check that reads several hyperparameters, run after every range check."""

    subject: str
    depends_on: tuple[str, ...]
    check: Callable[[Values], None]


DEPENDENCY_RULES: tuple[DependencyRule, ...] = (
    DependencyRule("updater", ("booster", "process_type"), _check_updater),
    DependencyRule("objective", ("num_class",), _check_objective),
    DependencyRule("monotone_constraints", ("tree_method",), _check_constraints),
    DependencyRule("eval_metric", ("objective",), _check_eval_metric),
)


def validate(
    hyperparameters: Mapping[str, str], version: str, log: Callable[[str], None]
) -> Values:
    """Validate the job's string hyperparameters and return the parsed values.

    Raises UserError with the container's message for the first rule broken.
    """
    rows = table_for(version)
    renamed = {ALIASES.get(name, name): value for name, value in hyperparameters.items()}

    for required in rows.values():
        if required.required and required.name not in renamed:
            raise UserError(f"Missing required hyperparameter: {required.name}")

    parsed: Values = {}
    for name, raw in renamed.items():
        row = rows.get(name)
        if row is None:
            raise UserError(f"Extraneous hyperparameter found: {name}")
        decoded = decode_json(raw, log, name)
        try:
            parsed[name] = _parse(row, raw, decoded)
        except (ValueError, TypeError, SyntaxError) as error:
            raise UserError(
                f"Hyperparameter {name}: could not parse value", caused_by=error
            ) from error

    for name, value in parsed.items():
        _check_range(rows[name], value)

    for rule in DEPENDENCY_RULES:
        rule.check(parsed)
    return parsed
