"""InvokeEndpoint through boto3: payload formats, Accept types and the runtime's errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from hosting_helpers import client_error, create_model, csv_body, deploy, load_booster, variant

ENDPOINT = "invoke-endpoint"
ROWS = np.array([[0.5, -1.0, 0.25, 2.0], [-1.5, 0.5, 0.0, -0.75], [2.0, 1.0, -0.5, 0.1]])
LOG_GROUP_URL = (
    "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
    f"#logEventViewer:group=/aws/sagemaker/Endpoints/{ENDPOINT}"
)


@pytest.fixture(scope="module")
def endpoint(hosting_session, model_data_url):
    create_model(hosting_session, ENDPOINT, model_data_url)
    deploy(hosting_session, ENDPOINT, [variant("AllTraffic", ENDPOINT)])
    return ENDPOINT


@pytest.fixture(scope="module")
def expected(hosting_session, model_data_url):
    """Predictions of Booster.predict on ROWS, parsed from the same CSV text."""
    booster = load_booster(hosting_session, model_data_url)
    parsed = np.array([[float(v) for v in line.split(",")] for line in csv_body(ROWS).split()])
    return booster.predict(xgb.DMatrix(parsed)).tolist()


def _invoke(runtime, **kwargs):
    kwargs.setdefault("EndpointName", ENDPOINT)
    return runtime.invoke_endpoint(**kwargs)


def _model_error(runtime, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, **kwargs)
    return excinfo.value.response


def test_csv_rows_return_one_score_per_line(runtime, endpoint, expected):
    response = _invoke(runtime, ContentType="text/csv", Body=csv_body(ROWS))

    assert response["ContentType"] == "text/csv; charset=utf-8"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    lines = response["Body"].read().decode().split("\n")
    assert lines[-1] == ""
    assert [float(line) for line in lines[:-1]] == expected


def test_csv_charset_parameter_is_accepted(runtime, endpoint, expected):
    body = csv_body(ROWS[:1]).rstrip("\n")

    response = _invoke(runtime, ContentType="text/csv; charset=utf-8", Body=body)

    assert float(response["Body"].read()) == expected[0]


def test_libsvm_payload_is_accepted(runtime, endpoint, expected):
    lines = [" ".join(f"{i + 1}:{v:.6g}" for i, v in enumerate(row)) for row in ROWS]

    response = _invoke(runtime, ContentType="text/libsvm", Body="\n".join(lines))

    scores = [float(v) for v in response["Body"].read().decode().split()]
    assert scores == pytest.approx(expected, rel=1e-6)


def test_json_accept_returns_predictions_object(runtime, endpoint, expected):
    response = _invoke(
        runtime, ContentType="text/csv", Accept="application/json", Body=csv_body(ROWS)
    )

    assert response["ContentType"] == "application/json"
    body = json.loads(response["Body"].read())
    assert body == {"predictions": [{"score": value} for value in expected]}


def test_json_request_is_refused_with_415(runtime, endpoint):
    response = _model_error(runtime, ContentType="application/json", Body='{"x": [1, 2, 3, 4]}')

    original = (
        "application/json is not an accepted ContentType: csv, libsvm, parquet, "
        "recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, application/x-parquet, "
        "application/x-recordio-protobuf."
    )
    assert response["Error"]["Code"] == "ModelError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == 415
    assert response["OriginalMessage"] == original
    assert response["Error"]["Message"] == (
        f'Received client error (415) from primary with message "{original}". '
        f"See {LOG_GROUP_URL} in account 123456789012 for more information."
    )
    assert response["LogStreamArn"] == (
        f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/{ENDPOINT}"
    )


def test_unsupported_accept_is_refused_with_406(runtime, endpoint):
    response = _model_error(runtime, ContentType="text/csv", Accept="text/html", Body="1,2,3,4")

    assert response["OriginalStatusCode"] == 406
    assert response["OriginalMessage"] == (
        "Accept type text/html is not supported. Please use supported accept types: "
        "['application/json', 'application/jsonlines', 'application/x-recordio-protobuf', "
        "'text/csv']."
    )


def test_too_many_features_is_a_400_model_error(runtime, endpoint):
    response = _model_error(runtime, ContentType="text/csv", Body="1,2,3,4,5,6")

    assert response["OriginalStatusCode"] == 400
    assert response["OriginalMessage"].startswith("Unable to evaluate payload provided: ")
    assert response["OriginalMessage"].endswith(
        "(4 vs. 6) : Number of columns does not match number of features in booster."
    )
    assert "Stack trace" not in response["OriginalMessage"]
    assert response["Error"]["Message"].startswith("Received client error (400) from primary")


def test_payload_over_6_mb_is_rejected(runtime, endpoint):
    body = b"1" * (6291456 + 1)

    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, ContentType="text/csv", Body=body)

    assert client_error(excinfo) == (
        "ValidationError",
        "1 validation error detected: Value at 'body' failed to satisfy constraint: "
        "Member must have length less than or equal to 6291456",
    )


def test_custom_attributes_reach_no_response_header(runtime, endpoint):
    response = _invoke(
        runtime,
        ContentType="text/csv",
        Body="1,2,3,4",
        CustomAttributes="trace=abc",
        InferenceId="request-1",
    )

    assert "CustomAttributes" not in response
    assert response["InvokedProductionVariant"] == "AllTraffic"


def test_too_long_inference_id_is_rejected(runtime, endpoint):
    with pytest.raises(ClientError) as excinfo:
        _invoke(runtime, ContentType="text/csv", Body="1,2,3,4", InferenceId="x" * 65)

    assert client_error(excinfo) == (
        "ValidationError",
        f"1 validation error detected: Value '{'x' * 65}' at 'inferenceId' failed to satisfy "
        "constraint: Member must have length less than or equal to 64",
    )


@pytest.mark.parametrize("endpoint_name", ["no-such-endpoint", ENDPOINT.upper()])
def test_unknown_endpoint_is_a_validation_error(runtime, endpoint, endpoint_name):
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body="1")

    assert client_error(excinfo) == (
        "ValidationError",
        f"Endpoint {endpoint_name} of account 123456789012 not found.",
    )
