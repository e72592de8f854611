"""The validated settings of a tuning job, parsed once from its create request."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ...images import is_builtin_xgboost
from ..exceptions import ValidationException
from .ranges import CategoricalRange, ParameterRange, count_combinations, parse_ranges

OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"
# Static hyperparameters from which the service infers Hyperband's MaxResource.
EPOCH_HYPERPARAMETERS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")
# Members of a HyperParameterTrainingJobDefinition that CreateTrainingJob takes as they are.
COPIED_DEFINITION_MEMBERS = (
    "RoleArn",
    "InputDataConfig",
    "VpcConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "RetryStrategy",
    "Environment",
)


@dataclass(frozen=True)
class Hyperband:
    min_resource: int
    max_resource: int


@dataclass(frozen=True)
class TuningSpec:
    """The strategy, objective, limits and child job template of one tuning job."""

    strategy: str
    objective_metric: str
    maximize: bool
    ranges: tuple[ParameterRange, ...]
    max_jobs: int
    max_parallel: int
    max_runtime_seconds: int | None
    early_stopping: bool
    target_value: float | None
    max_jobs_not_improving: int | None
    random_seed: int | None
    hyperband: Hyperband | None
    definition: dict[str, Any]

    def is_better(self, value: float, than: float) -> bool:
        return value > than if self.maximize else value < than

    def child_request(self, name: str, tuned: dict[str, str]) -> dict[str, Any]:
        """Build the CreateTrainingJob request of one child training job."""
        definition = self.definition
        request: dict[str, Any] = {
            "TrainingJobName": name,
            "AlgorithmSpecification": copy.deepcopy(definition["AlgorithmSpecification"]),
            "HyperParameters": {**definition["StaticHyperParameters"], **tuned},
        }
        for member in COPIED_DEFINITION_MEMBERS:
            if member in definition:
                request[member] = copy.deepcopy(definition[member])
        if "ResourceConfig" not in request:
            request["ResourceConfig"] = _resource_config(definition)
        return request


def parse_spec(request: dict[str, Any]) -> TuningSpec:
    """Validate a CreateHyperParameterTuningJob request and return its settings."""
    config = request["HyperParameterTuningJobConfig"]
    definition = _definition(request)
    objective_metric, maximize = _objective(config, definition)

    static = definition["StaticHyperParameters"]
    user_static = {k: v for k, v in static.items() if k != OBJECTIVE_HYPERPARAMETER}
    ranges = tuple(parse_ranges(config.get("ParameterRanges"), user_static))

    strategy = config["Strategy"]
    limits = config["ResourceLimits"]
    _check_strategy_rules(strategy, ranges, config)
    max_jobs = _max_jobs(strategy, ranges, limits)
    if "ResourceConfig" not in definition:
        _resource_config(definition)

    criteria = config.get("TuningJobCompletionCriteria") or {}
    not_improving = criteria.get("BestObjectiveNotImproving") or {}
    return TuningSpec(
        strategy=strategy,
        objective_metric=objective_metric,
        maximize=maximize,
        ranges=ranges,
        max_jobs=max_jobs,
        max_parallel=int(limits["MaxParallelTrainingJobs"]),
        max_runtime_seconds=limits.get("MaxRuntimeInSeconds"),
        early_stopping=config.get("TrainingJobEarlyStoppingType", "Off") == "Auto",
        target_value=criteria.get("TargetObjectiveMetricValue"),
        max_jobs_not_improving=not_improving.get("MaxNumberOfTrainingJobsNotImproving"),
        random_seed=config.get("RandomSeed"),
        hyperband=_hyperband(strategy, config, user_static),
        definition=definition,
    )


def _definition(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("TrainingJobDefinitions"):
        raise ValidationException(
            "TrainingJobDefinitions (several training job definitions) is not supported by the "
            "sandbox. Give one TrainingJobDefinition."
        )
    if not request.get("TrainingJobDefinition"):
        raise ValidationException(
            "The request has no TrainingJobDefinition. Provide the definition of the training "
            "jobs that the tuning job launches."
        )
    definition = copy.deepcopy(request["TrainingJobDefinition"])
    definition["StaticHyperParameters"] = dict(definition.get("StaticHyperParameters") or {})
    return definition


def _objective(config: dict[str, Any], definition: dict[str, Any]) -> tuple[str, bool]:
    objective = config.get("HyperParameterTuningJobObjective")
    if not objective:
        raise ValidationException(
            "The HyperParameterTuningJobConfig has no HyperParameterTuningJobObjective. Provide "
            "the objective metric's MetricName and Type (Maximize or Minimize)."
        )
    name = objective["MetricName"]
    spec = definition["AlgorithmSpecification"]
    defined = {metric["Name"] for metric in spec.get("MetricDefinitions") or []}
    if is_builtin_xgboost(spec.get("TrainingImage") or ""):
        from ...algorithms.xgboost.metrics import TUNING_OBJECTIVE_METRICS

        if name not in defined and name not in TUNING_OBJECTIVE_METRICS:
            raise ValidationException(
                f"The objective metric '{name}' is not emitted by the built-in XGBoost "
                "algorithm. Use one of its validation metrics, for example validation:auc, "
                "validation:logloss or validation:rmse."
            )
    elif name not in defined:
        raise ValidationException(
            "A metric is required for this hyperparameter tuning job objective. "
            "Provide a metric in the metric definitions."
        )
    definition["StaticHyperParameters"][OBJECTIVE_HYPERPARAMETER] = name
    return name, objective["Type"] == "Maximize"


def _check_strategy_rules(
    strategy: str, ranges: tuple[ParameterRange, ...], config: dict[str, Any]
) -> None:
    early_stopping = config.get("TrainingJobEarlyStoppingType", "Off")
    if strategy == "Grid":
        numeric = [p.name for p in ranges if not isinstance(p, CategoricalRange)]
        if numeric:
            raise ValidationException(
                "The Grid strategy searches categorical ranges only, but "
                f"{', '.join(repr(name) for name in numeric)} is an integer or continuous range. "
                "Give them as CategoricalParameterRanges or use another strategy."
            )
    if strategy == "Hyperband" and early_stopping != "Off":
        raise ValidationException(
            "TrainingJobEarlyStoppingType must be Off for the Hyperband strategy, which stops "
            "training jobs early by itself."
        )
    if config.get("StrategyConfig") and strategy != "Hyperband":
        raise ValidationException(
            f"StrategyConfig applies to the Hyperband strategy only, but Strategy is {strategy}. "
            "Remove StrategyConfig or set Strategy to Hyperband."
        )


def _max_jobs(strategy: str, ranges: tuple[ParameterRange, ...], limits: dict[str, Any]) -> int:
    requested = limits.get("MaxNumberOfTrainingJobs")
    combinations = count_combinations(ranges)
    if strategy == "Grid":
        assert combinations is not None
        return combinations if requested is None else min(int(requested), combinations)
    if requested is None:
        # NOTE: the service's default for strategies other than Grid is not documented.
        raise ValidationException(
            f"ResourceLimits.MaxNumberOfTrainingJobs is required for the {strategy} strategy. "
            "Set the number of training jobs to launch."
        )
    if combinations is not None and combinations < int(requested):
        raise ValidationException(
            "You don't have enough combinations of hyperparameter ranges. The total number of "
            f"hyperparameter combinations for the provided ranges [{float(combinations)}] must "
            f"be equal or greater than the value of MaxNumberOfJobs, [{int(requested)}]. "
            "Provide additional ranges."
        )
    return int(requested)


def _hyperband(strategy: str, config: dict[str, Any], static: dict[str, str]) -> Hyperband | None:
    if strategy != "Hyperband":
        return None
    settings = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
    max_resource = settings.get("MaxResource")
    if max_resource is None:
        max_resource = next(
            (int(static[name]) for name in EPOCH_HYPERPARAMETERS if name in static), None
        )
    if max_resource is None:
        raise ValidationException(
            "HyperbandStrategyConfig.MaxResource is missing and no static hyperparameter "
            f"({', '.join(EPOCH_HYPERPARAMETERS)}) gives it. Set MaxResource to the number of "
            "rounds a training job may run, for example the value of num_round."
        )
    min_resource = int(settings.get("MinResource", 1))
    if min_resource > max_resource:
        raise ValidationException(
            f"HyperbandStrategyConfig.MinResource ({min_resource}) is greater than MaxResource "
            f"({max_resource}). Set MinResource less than or equal to MaxResource."
        )
    return Hyperband(min_resource, int(max_resource))


def _resource_config(definition: dict[str, Any]) -> dict[str, Any]:
    tuning_resources = definition.get("HyperParameterTuningResourceConfig")
    if not tuning_resources:
        raise ValidationException(
            "The TrainingJobDefinition has neither ResourceConfig nor "
            "HyperParameterTuningResourceConfig. Provide the instance type and count."
        )
    config = {
        "InstanceType": tuning_resources.get("InstanceType"),
        "InstanceCount": tuning_resources.get("InstanceCount", 1),
        "VolumeSizeInGB": tuning_resources.get("VolumeSizeInGB", 30),
    }
    return {key: value for key, value in config.items() if value is not None}
