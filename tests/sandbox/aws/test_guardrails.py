"""Guardrail policy: configuration sources and the instance arithmetic per operation."""

from __future__ import annotations

import json

import pytest

from sandbox.guardrails import DEFAULT_INSTANCE_TYPES, GuardrailError, GuardrailPolicy


def test_defaults_without_configuration():
    policy = GuardrailPolicy.from_env()

    assert policy.allowed_instance_types == frozenset(DEFAULT_INSTANCE_TYPES)
    assert policy.max_instances == 2
    assert policy.lab == "unspecified"


def test_environment_overrides_the_file(monkeypatch, tmp_path):
    settings = tmp_path / "guardrails.json"
    settings.write_text(
        json.dumps({"allowed_instance_types": ["ml.m5.large"], "max_instances": 1, "lab": "a"})
    )
    monkeypatch.setenv("SAGELAB_GUARDRAILS_FILE", str(settings))
    monkeypatch.setenv("SAGELAB_MAX_INSTANCES", "4")

    policy = GuardrailPolicy.from_env()

    assert policy.allowed_instance_types == frozenset({"ml.m5.large"})
    assert policy.max_instances == 4
    assert policy.lab == "a"


def test_instance_types_from_environment_are_trimmed(monkeypatch):
    monkeypatch.setenv("SAGELAB_ALLOWED_INSTANCE_TYPES", " ml.m5.large , ml.c5.xlarge,")

    policy = GuardrailPolicy.from_env()

    assert policy.allowed_instance_types == frozenset({"ml.m5.large", "ml.c5.xlarge"})


def test_invalid_cap_names_the_variable(monkeypatch):
    monkeypatch.setenv("SAGELAB_MAX_INSTANCES", "two")

    with pytest.raises(GuardrailError) as excinfo:
        GuardrailPolicy.from_env()

    assert (
        str(excinfo.value) == "SAGELAB_MAX_INSTANCES='two' is invalid: use a whole number such as 2"
    )


def test_zero_cap_is_rejected():
    with pytest.raises(GuardrailError) as excinfo:
        GuardrailPolicy(max_instances=0)

    assert str(excinfo.value) == "max_instances=0 is invalid: use a whole number of 1 or more"


def test_missing_file_names_the_path(monkeypatch, tmp_path):
    missing = tmp_path / "absent.json"
    monkeypatch.setenv("SAGELAB_GUARDRAILS_FILE", str(missing))

    with pytest.raises(GuardrailError) as excinfo:
        GuardrailPolicy.from_env()

    assert str(excinfo.value) == (
        f"SAGELAB_GUARDRAILS_FILE={str(missing)!r} was not found: point it at a JSON file "
        "or unset it"
    )


def test_endpoint_config_counts_every_variant():
    policy = GuardrailPolicy(max_instances=2)
    variants = [
        {
            "VariantName": "A",
            "ModelName": "m",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        },
        {
            "VariantName": "B",
            "ModelName": "m",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 2,
        },
    ]

    with pytest.raises(GuardrailError) as excinfo:
        policy.check("CreateEndpointConfig", {"ProductionVariants": variants})

    assert str(excinfo.value) == (
        "CreateEndpointConfig rejected: it starts 3 instances at once (ProductionVariants[0]: 1, "
        "ProductionVariants[1]: 2), more than the cap of 2. Lower the instance count (or "
        "MaxParallelTrainingJobs), or raise SAGELAB_MAX_INSTANCES."
    )


def test_serverless_variant_passes():
    policy = GuardrailPolicy(max_instances=1)
    variant = {
        "VariantName": "A",
        "ModelName": "m",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
    }

    policy.check("CreateEndpointConfig", {"ProductionVariants": [variant]})


def test_transform_over_cap_rejected():
    policy = GuardrailPolicy(max_instances=1)
    request = {"TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 2}}

    with pytest.raises(GuardrailError, match="starts 2 instances at once"):
        policy.check("CreateTransformJob", request)


def test_training_within_limits_passes():
    policy = GuardrailPolicy()
    request = {"ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2}}

    policy.check("CreateTrainingJob", request)
