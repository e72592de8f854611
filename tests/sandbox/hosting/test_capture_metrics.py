"""Data capture, CloudWatch metrics and logs of endpoints, read back through boto3."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from hosting_helpers import create_model, deploy, seed_traffic, variant

BODY = "0.5,-1.0,0.25,2.0\n"


def _capture_config(bucket, prefix, percentage=100, modes=("Input", "Output"), **extra):
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": percentage,
        "DestinationS3Uri": f"s3://{bucket}/{prefix}",
        "CaptureOptions": [{"CaptureMode": mode} for mode in modes],
        **extra,
    }


def _records(session, prefix):
    s3 = session.client("s3")
    listed = s3.list_objects_v2(Bucket=session.bucket, Prefix=prefix).get("Contents", [])
    records = []
    for item in listed:
        body = s3.get_object(Bucket=session.bucket, Key=item["Key"])["Body"].read().decode()
        records.extend((item["Key"], json.loads(line)) for line in body.splitlines())
    return records


def test_capture_records_input_and_output(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    config = _capture_config(hosting_session.bucket, f"capture-{name}")
    described = deploy(
        hosting_session, name, [variant("AllTraffic", name)], DataCaptureConfig=config
    )

    before = dt.datetime.now(dt.timezone.utc)
    response = runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body=BODY, InferenceId="order-17"
    )
    prediction = response["Body"].read().decode()
    ((key, record),) = _records(hosting_session, f"capture-{name}/")

    assert described["DataCaptureConfig"] == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{hosting_session.bucket}/capture-{name}",
        "KmsKeyId": "",
    }
    assert key.startswith(f"capture-{name}/{name}/AllTraffic/{before:%Y/%m/%d/%H}/")
    assert key.endswith(".jsonl")
    assert record["eventVersion"] == "0"
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": BODY,
        "encoding": "CSV",
    }
    assert record["captureData"]["endpointOutput"] == {
        "observedContentType": "text/csv; charset=utf-8",
        "mode": "OUTPUT",
        "data": prediction,
        "encoding": "CSV",
    }
    assert record["eventMetadata"]["inferenceId"] == "order-17"
    assert len(record["eventMetadata"]["eventId"]) == 36
    inference_time = dt.datetime.strptime(
        record["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=dt.timezone.utc)
    assert before.replace(microsecond=0) <= inference_time <= dt.datetime.now(dt.timezone.utc)


def test_capture_modes_and_base64_encoding(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    config = _capture_config(
        hosting_session.bucket,
        f"capture-{name}",
        modes=("Input",),
        CaptureContentTypeHeader={"CsvContentTypes": ["text/csv"]},
    )
    deploy(hosting_session, name, [variant("AllTraffic", name)], DataCaptureConfig=config)
    libsvm = "1:0.5 2:-1.0 3:0.25 4:2.0"

    runtime.invoke_endpoint(EndpointName=name, ContentType="text/libsvm", Body=libsvm)
    ((_, record),) = _records(hosting_session, f"capture-{name}/")

    assert list(record["captureData"]) == ["endpointInput"]
    captured = record["captureData"]["endpointInput"]
    assert captured["encoding"] == "BASE64"
    assert base64.b64decode(captured["data"]).decode() == libsvm
    assert "inferenceId" not in record["eventMetadata"]


def test_capture_sampling_percentage(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    config = _capture_config(hosting_session.bucket, f"capture-{name}", percentage=25)
    deploy(hosting_session, name, [variant("AllTraffic", name)], DataCaptureConfig=config)
    seed_traffic(hosting_session, 3)

    for _ in range(200):
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=BODY)
    captured = len(_records(hosting_session, f"capture-{name}/"))

    # Binomial(200, 0.25): mean 50, standard deviation 6.1; allow four deviations.
    assert 25 <= captured <= 75


def test_failed_invocations_are_not_captured(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    config = _capture_config(hosting_session.bucket, f"capture-{name}")
    deploy(hosting_session, name, [variant("AllTraffic", name)], DataCaptureConfig=config)

    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body="{}")

    assert _records(hosting_session, f"capture-{name}/") == []


def _statistics(session, endpoint, variant_name, metric, statistic="Sum"):
    now = dt.datetime.now(dt.timezone.utc)
    response = session.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=[
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant_name},
        ],
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
        Period=3600,
        Statistics=[statistic],
    )
    return response["Datapoints"]


def test_invocation_metrics(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("AllTraffic", name, count=2)])
    for _ in range(5):
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=BODY)
    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body="{}")

    sums = {
        metric: sum(
            point["Sum"] for point in _statistics(hosting_session, name, "AllTraffic", metric)
        )
        for metric in (
            "Invocations",
            "InvocationsPerInstance",
            "Invocation4XXErrors",
            "Invocation5XXErrors",
        )
    }
    (latency,) = _statistics(hosting_session, name, "AllTraffic", "ModelLatency", "Average")
    (overhead,) = _statistics(hosting_session, name, "AllTraffic", "OverheadLatency", "Average")

    assert sums == {
        "Invocations": 6.0,
        "InvocationsPerInstance": 3.0,
        "Invocation4XXErrors": 1.0,
        "Invocation5XXErrors": 0.0,
    }
    assert latency["Unit"] == "Microseconds"
    assert 0 < latency["Average"] < 5_000_000
    assert overhead["Unit"] == "Microseconds"
    assert overhead["Average"] >= 0


def test_metrics_readable_with_get_metric_data(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("VariantA", name), variant("VariantB", name)])
    for target in ("VariantA", "VariantA", "VariantB"):
        runtime.invoke_endpoint(
            EndpointName=name, ContentType="text/csv", Body=BODY, TargetVariant=target
        )
    now = dt.datetime.now(dt.timezone.utc)

    response = hosting_session.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": target.lower(),
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "Invocations",
                        "Dimensions": [
                            {"Name": "EndpointName", "Value": name},
                            {"Name": "VariantName", "Value": target},
                        ],
                    },
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
            for target in ("VariantA", "VariantB")
        ],
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
    )

    totals = {result["Id"]: sum(result["Values"]) for result in response["MetricDataResults"]}
    assert totals == {"varianta": 2.0, "variantb": 1.0}


def test_endpoint_logs_show_model_load_and_errors(hosting_session, runtime, model_data_url, name):
    create_model(hosting_session, name, model_data_url)
    deploy(hosting_session, name, [variant("AllTraffic", name)])
    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body="{}")
    logs = hosting_session.client("logs")
    group = f"/aws/sagemaker/Endpoints/{name}"

    (stream,) = logs.describe_log_streams(logGroupName=group)["logStreams"]
    events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])
    messages = [event["message"] for event in events["events"]]

    assert stream["logStreamName"].startswith("AllTraffic/i-")
    assert any("Model loaded successfully" in message for message in messages)
    assert "application/json is not an accepted ContentType" in messages[-1]
    assert ":ERROR] " in messages[-1]
