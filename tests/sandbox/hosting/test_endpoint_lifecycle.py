"""Endpoint life cycle through boto3: statuses, blue/green updates, deletion and errors."""

from __future__ import annotations

import io
import tarfile

import pytest
from botocore.exceptions import ClientError, WaiterError
from hosting_helpers import client_error, create_model, deploy, variant

ARN_PREFIX = "arn:aws:sagemaker:us-east-1:123456789012"


def _create(sm, name, model):
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ProductionVariants=[variant("AllTraffic", model)]
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def test_endpoint_goes_creating_then_in_service(hosting_session, sm, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    _create(sm, name, name)

    first = sm.describe_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name)
    described = sm.describe_endpoint(EndpointName=name)

    assert first["EndpointStatus"] == "Creating"
    assert "ProductionVariants" not in first
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointArn"] == f"{ARN_PREFIX}:endpoint/{name}"
    assert described["EndpointConfigName"] == f"{name}-config"
    (deployed,) = described["ProductionVariants"]
    assert deployed["VariantName"] == "AllTraffic"
    assert deployed["CurrentWeight"] == 1.0
    assert deployed["DesiredWeight"] == 1.0
    assert deployed["CurrentInstanceCount"] == 1
    assert deployed["DeployedImages"][0]["SpecifiedImage"] == hosting_session.image_uri(
        "xgboost", "1.7-1"
    )


def test_variant_weight_defaults_to_one(hosting_session, sm, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    spec = variant("AllTraffic", name)
    del spec["InitialVariantWeight"]

    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[spec])

    described = sm.describe_endpoint_config(EndpointConfigName=name)
    assert described["ProductionVariants"][0]["InitialVariantWeight"] == 1.0


def _corrupt_archive() -> bytes:
    return b"this is not a gzip archive"


def _archive_with(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for file_name, content in files.items():
            info = tarfile.TarInfo(file_name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("artifact", "expected"),
    [
        (
            None,
            "Failed to download model data for production variant AllTraffic from {url}: the "
            "object does not exist. Please ensure that the model artifact exists.",
        ),
        (
            _corrupt_archive(),
            "The primary container for production variant AllTraffic did not pass the ping "
            "health check: model.tar.gz is not a valid gzip-compressed tar archive",
        ),
        (
            _archive_with({"xgboost-model": b"\x80\x04pickled"}),
            "The primary container for production variant AllTraffic did not pass the ping "
            "health check: Model file xgboost-model is a Python pickle",
        ),
    ],
    ids=["missing", "corrupt", "pickle"],
)
def test_bad_artifact_fails_endpoint(hosting_session, sm, name, artifact, expected):
    key = f"artifacts/{name}/model.tar.gz"
    url = f"s3://{hosting_session.bucket}/{key}"
    if artifact is not None:
        hosting_session.client("s3").put_object(
            Bucket=hosting_session.bucket, Key=key, Body=artifact
        )
    create_model(hosting_session, name, url)
    _create(sm, name, name)

    with pytest.raises(WaiterError) as excinfo:
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name)

    assert "terminal failure state" in str(excinfo.value)
    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"].startswith(expected.format(url=url))


def test_unsupported_image_fails_endpoint(hosting_session, sm, model_data_url, name):
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest"
    create_model(hosting_session, name, model_data_url, Image=image)
    _create(sm, name, name)

    with pytest.raises(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name)

    assert sm.describe_endpoint(EndpointName=name)["FailureReason"] == (
        "The primary container for production variant AllTraffic did not pass the ping health "
        f"check: the sandbox serves the built-in XGBoost image only, not '{image}'."
    )


def test_duplicate_names_are_rejected(hosting_session, sm, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("AllTraffic", name)])

    cases = [
        (
            lambda: create_model(hosting_session, name, model_data_url),
            f'Cannot create already existing model "{ARN_PREFIX}:model/{name}".',
        ),
        (
            lambda: sm.create_endpoint_config(
                EndpointConfigName=f"{name}-config",
                ProductionVariants=[variant("AllTraffic", name)],
            ),
            "Cannot create already existing endpoint configuration "
            f'"{ARN_PREFIX}:endpoint-config/{name}-config".',
        ),
        (
            lambda: sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config"),
            f'Cannot create already existing endpoint "{ARN_PREFIX}:endpoint/{name}".',
        ),
    ]
    for call, message in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert client_error(excinfo) == ("ValidationException", message)


def test_unknown_config_and_model_are_rejected(sm, name):
    with pytest.raises(ClientError) as missing_config:
        sm.create_endpoint(EndpointName=name, EndpointConfigName="no-such-config")
    with pytest.raises(ClientError) as missing_model:
        sm.create_endpoint_config(
            EndpointConfigName=name, ProductionVariants=[variant("AllTraffic", "no-such-model")]
        )

    assert client_error(missing_config) == (
        "ValidationException",
        f'Could not find endpoint configuration "{ARN_PREFIX}:endpoint-config/no-such-config".',
    )
    assert client_error(missing_model) == (
        "ValidationException",
        f'Could not find model "{ARN_PREFIX}:model/no-such-model".',
    )


def test_update_and_delete_during_creation_are_rejected(hosting_session, sm, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    _create(sm, name, name)
    message = f'Cannot update in-progress endpoint "{ARN_PREFIX}:endpoint/{name}".'

    with pytest.raises(ClientError) as update:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    with pytest.raises(ClientError) as delete:
        sm.delete_endpoint(EndpointName=name)

    assert client_error(update) == ("ValidationException", message)
    assert client_error(delete) == ("ValidationException", message)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name)


def test_update_endpoint_is_blue_green(hosting_session, sm, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("Blue", name)])
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-green", ProductionVariants=[variant("Green", name)]
    )

    sm.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-green")
    during = sm.describe_endpoint(EndpointName=name)
    served_during = runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body="0.1,0.2,0.3,0.4"
    )["InvokedProductionVariant"]
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name)
    after = sm.describe_endpoint(EndpointName=name)
    served_after = runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body="0.1,0.2,0.3,0.4"
    )["InvokedProductionVariant"]

    assert during["EndpointStatus"] == "Updating"
    assert during["EndpointConfigName"] == f"{name}-config"
    assert served_during == "Blue"
    assert after["EndpointConfigName"] == f"{name}-green"
    assert [v["VariantName"] for v in after["ProductionVariants"]] == ["Green"]
    assert served_after == "Green"


def test_failed_update_keeps_old_variants(hosting_session, sm, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("Blue", name)])
    missing = f"s3://{hosting_session.bucket}/missing/{name}/model.tar.gz"
    create_model(hosting_session, f"{name}-missing", missing)
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-broken",
        ProductionVariants=[variant("Green", f"{name}-missing")],
    )

    sm.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-broken")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name)
    described = sm.describe_endpoint(EndpointName=name)

    assert described["EndpointConfigName"] == f"{name}-config"
    assert described["FailureReason"].startswith(
        "Failed to download model data for production variant Green"
    )
    served = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3,4")
    assert served["InvokedProductionVariant"] == "Blue"


def test_delete_endpoint_goes_through_deleting(hosting_session, sm, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("AllTraffic", name)])

    sm.delete_endpoint(EndpointName=name)
    during = sm.describe_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name)

    assert during["EndpointStatus"] == "Deleting"
    with pytest.raises(ClientError) as excinfo:
        sm.describe_endpoint(EndpointName=name)
    assert client_error(excinfo) == (
        "ValidationException",
        f'Could not find endpoint "{ARN_PREFIX}:endpoint/{name}".',
    )
    assert sm.describe_endpoint_config(EndpointConfigName=f"{name}-config")
    assert sm.describe_model(ModelName=name)


def test_failed_endpoint_can_be_deleted(hosting_session, sm, name):
    create_model(hosting_session, name, f"s3://{hosting_session.bucket}/none/model.tar.gz")
    _create(sm, name, name)
    with pytest.raises(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name)

    sm.delete_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name)

    names = [e["EndpointName"] for e in sm.list_endpoints(NameContains=name)["Endpoints"]]
    assert names == []


def test_missing_endpoint_operations_raise_not_found(sm):
    message = f'Could not find endpoint "{ARN_PREFIX}:endpoint/nowhere".'
    calls = [
        lambda: sm.describe_endpoint(EndpointName="nowhere"),
        lambda: sm.delete_endpoint(EndpointName="nowhere"),
        lambda: sm.update_endpoint(EndpointName="nowhere", EndpointConfigName="x"),
        lambda: sm.update_endpoint_weights_and_capacities(
            EndpointName="nowhere",
            DesiredWeightsAndCapacities=[{"VariantName": "A", "DesiredWeight": 1}],
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert client_error(excinfo) == ("ValidationException", message)
    sm.get_waiter("endpoint_deleted").wait(EndpointName="nowhere")
