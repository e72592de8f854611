"""Create-time validation of tuning jobs: each rejected request and its exact message."""

from __future__ import annotations

from typing import Any

import pytest
from tuning_helpers import config, definition, wait_for_tuning

import sandbox


def create_error(sm: Any, session: sandbox.Session, name: str, **request: Any) -> dict[str, str]:
    settings = request.pop("settings", None) or config()
    request.setdefault("TrainingJobDefinition", definition(session))
    with pytest.raises(sm.exceptions.ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=settings, **request
        )
    error: dict[str, str] = raised.value.response["Error"]
    return error


def numeric(kind: str, minimum: str, maximum: str, scaling: str = "Auto") -> dict[str, Any]:
    entry = {"Name": "eta", "MinValue": minimum, "MaxValue": maximum, "ScalingType": scaling}
    return {f"{kind}ParameterRanges": [entry]}


RANGE_ERRORS = [
    pytest.param(
        numeric("Continuous", "0.5", "0.1"),
        "The MinValue 0.5 of the hyperparameter range 'eta' is greater than its MaxValue 0.1. "
        "Set MinValue less than or equal to MaxValue.",
        id="min-above-max",
    ),
    pytest.param(
        numeric("Continuous", "small", "0.1"),
        "The MinValue 'small' of the continuous hyperparameter range 'eta' is not a number. "
        "Give MinValue as a number, for example '1'.",
        id="min-not-a-number",
    ),
    pytest.param(
        numeric("Integer", "1", "2.5"),
        "The MaxValue '2.5' of the integer hyperparameter range 'eta' is not an integer. "
        "Give MaxValue as an integer, for example '1'.",
        id="integer-max-not-integer",
    ),
    pytest.param(
        numeric("Continuous", "0", "0.5", "Logarithmic"),
        "The hyperparameter range 'eta' uses ScalingType Logarithmic, which needs values "
        "greater than 0, but its MinValue is 0. Raise MinValue above 0 or use ScalingType Linear.",
        id="logarithmic-from-zero",
    ),
    pytest.param(
        numeric("Integer", "1", "5", "ReverseLogarithmic"),
        "The integer hyperparameter range 'eta' uses ScalingType ReverseLogarithmic, which is "
        "valid only for continuous ranges. Use Auto, Linear or Logarithmic.",
        id="reverse-logarithmic-integer",
    ),
    pytest.param(
        numeric("Continuous", "0.5", "1", "ReverseLogarithmic"),
        "The hyperparameter range 'eta' uses ScalingType ReverseLogarithmic, which needs "
        "0 <= MinValue and MaxValue < 1, but the range is [0.5, 1]. Narrow the range or use "
        "ScalingType Linear.",
        id="reverse-logarithmic-reaches-one",
    ),
    pytest.param(
        {"CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "gbtree"]}]},
        "The categorical hyperparameter range 'booster' lists the value(s) 'gbtree' more than "
        "once. List each value once.",
        id="categorical-duplicate-value",
    ),
    pytest.param(
        {
            **numeric("Continuous", "0.1", "0.5"),
            "CategoricalParameterRanges": [{"Name": "eta", "Values": ["0.1", "0.2"]}],
        },
        "The hyperparameter 'eta' has more than one range. Give each tuned hyperparameter one "
        "range.",
        id="range-given-twice",
    ),
    pytest.param(
        {"ContinuousParameterRanges": [{"Name": "num_round", "MinValue": "1", "MaxValue": "5"}]},
        "The hyperparameter 'num_round' is both in StaticHyperParameters and in "
        "ParameterRanges. Remove it from one of them.",
        id="tuned-and-static",
    ),
    pytest.param(
        {},
        "The hyperparameter tuning job has no hyperparameter ranges. Provide at least one range "
        "in IntegerParameterRanges, ContinuousParameterRanges or CategoricalParameterRanges.",
        id="no-ranges",
    ),
]


@pytest.mark.parametrize(("ranges", "message"), RANGE_ERRORS)
def test_range_rejected(
    sm: Any, tuning_session: sandbox.Session, name: str, ranges: dict[str, Any], message: str
) -> None:
    error = create_error(sm, tuning_session, name, settings=config(ranges=ranges))

    assert error["Code"] == "ValidationException"
    assert error["Message"] == message


CONFIG_ERRORS = [
    pytest.param(
        config("Grid", max_jobs=None),
        "The Grid strategy searches categorical ranges only, but 'max_depth', 'eta' is an "
        "integer or continuous range. Give them as CategoricalParameterRanges or use another "
        "strategy.",
        id="grid-numeric-range",
    ),
    pytest.param(
        config("Hyperband", TrainingJobEarlyStoppingType="Auto"),
        "TrainingJobEarlyStoppingType must be Off for the Hyperband strategy, which stops "
        "training jobs early by itself.",
        id="hyperband-with-auto-stopping",
    ),
    pytest.param(
        config("Random", StrategyConfig={"HyperbandStrategyConfig": {"MaxResource": 5}}),
        "StrategyConfig applies to the Hyperband strategy only, but Strategy is Random. "
        "Remove StrategyConfig or set Strategy to Hyperband.",
        id="strategy-config-without-hyperband",
    ),
    pytest.param(
        config("Hyperband"),
        "HyperbandStrategyConfig.MaxResource is missing and no static hyperparameter (epochs, "
        "numepochs, n-epochs, n_epochs, num_epochs) gives it. Set MaxResource to the number of "
        "rounds a training job may run, for example the value of num_round.",
        id="hyperband-without-max-resource",
    ),
    pytest.param(
        config(
            "Hyperband",
            StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 10, "MaxResource": 5}},
        ),
        "HyperbandStrategyConfig.MinResource (10) is greater than MaxResource (5). Set "
        "MinResource less than or equal to MaxResource.",
        id="hyperband-min-above-max",
    ),
    pytest.param(
        config(metric="validation:unknown"),
        "The objective metric 'validation:unknown' is not emitted by the built-in XGBoost "
        "algorithm. Use one of its validation metrics, for example validation:auc, "
        "validation:logloss or validation:rmse.",
        id="objective-not-emitted",
    ),
    pytest.param(
        config(
            ranges={"CategoricalParameterRanges": [{"Name": "max_depth", "Values": ["2", "3"]}]},
            max_jobs=3,
        ),
        "You don't have enough combinations of hyperparameter ranges. The total number of "
        "hyperparameter combinations for the provided ranges [2.0] must be equal or greater "
        "than the value of MaxNumberOfJobs, [3]. Provide additional ranges.",
        id="too-few-combinations",
    ),
    pytest.param(
        config("Bayesian", max_jobs=None),
        "ResourceLimits.MaxNumberOfTrainingJobs is required for the Bayesian strategy. Set the "
        "number of training jobs to launch.",
        id="max-jobs-missing",
    ),
]


@pytest.mark.parametrize(("settings", "message"), CONFIG_ERRORS)
def test_config_rejected(
    sm: Any, tuning_session: sandbox.Session, name: str, settings: dict[str, Any], message: str
) -> None:
    error = create_error(sm, tuning_session, name, settings=settings)

    assert error["Code"] == "ValidationException"
    assert error["Message"] == message


def test_custom_image_needs_metric_definition(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    custom = definition(tuning_session)
    custom["AlgorithmSpecification"]["TrainingImage"] = (
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-algorithm:latest"
    )
    error = create_error(
        sm,
        tuning_session,
        name,
        settings=config(metric="validation:f1"),
        TrainingJobDefinition=custom,
    )

    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "A metric is required for this hyperparameter tuning job objective. "
        "Provide a metric in the metric definitions."
    )


def test_name_pattern_rejected(sm: Any, tuning_session: sandbox.Session) -> None:
    error = create_error(sm, tuning_session, "bad_name")

    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "1 validation error detected: Value 'bad_name' at 'hyperParameterTuningJobName' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
    )


def test_several_definitions_rejected(sm: Any, tuning_session: sandbox.Session, name: str) -> None:
    several = {**definition(tuning_session), "DefinitionName": "first"}
    with pytest.raises(sm.exceptions.ClientError) as raised:
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name,
            HyperParameterTuningJobConfig=config(),
            TrainingJobDefinitions=[several],
        )

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["Error"]["Message"] == (
        "TrainingJobDefinitions (several training job definitions) is not supported by the "
        "sandbox. Give one TrainingJobDefinition."
    )


def test_duplicate_name_in_use(sm: Any, tuning_session: sandbox.Session, name: str) -> None:
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
        TrainingJobDefinition=definition(tuning_session),
    )
    error = create_error(sm, tuning_session, name.upper())
    wait_for_tuning(sm, name)

    assert error["Code"] == "ResourceInUse"
    assert error["Message"] == (
        f"A hyperparameter tuning job with the name, {name.upper()}, already exists. "
        "Choose a different name."
    )


@pytest.mark.parametrize(
    "operation",
    [
        "describe_hyper_parameter_tuning_job",
        "stop_hyper_parameter_tuning_job",
        "list_training_jobs_for_hyper_parameter_tuning_job",
        "delete_hyper_parameter_tuning_job",
    ],
)
def test_missing_job_not_found(sm: Any, operation: str) -> None:
    with pytest.raises(sm.exceptions.ClientError) as raised:
        getattr(sm, operation)(HyperParameterTuningJobName="no-such-tuning-job")

    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
    assert raised.value.response["Error"]["Message"] == (
        "Amazon SageMaker can't find a tuning job with name no-such-tuning-job"
    )


def test_warm_start_parent_not_found(sm: Any, tuning_session: sandbox.Session, name: str) -> None:
    warm_start = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "no-such-parent"}],
        "WarmStartType": "TransferLearning",
    }
    error = create_error(sm, tuning_session, name, WarmStartConfig=warm_start)

    assert error["Code"] == "ResourceNotFound"
    assert error["Message"] == "Amazon SageMaker can't find a tuning job with name no-such-parent"


def test_rejected_request_creates_nothing(
    sm: Any, tuning_session: sandbox.Session, name: str
) -> None:
    create_error(sm, tuning_session, name, settings=config(metric="validation:unknown"))

    with pytest.raises(sm.exceptions.ClientError) as raised:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
    names = [
        job["TrainingJobName"]
        for job in sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    ]
    assert names == []
