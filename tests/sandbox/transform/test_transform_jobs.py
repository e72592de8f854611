"""Batch transform jobs through boto3: outputs, batching, DataProcessing and failures."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError, WaiterError
from hosting_helpers import client_error, csv_body, load_booster

ROWS = np.random.default_rng(5).normal(size=(30, 4))


def _put(session, key, body):
    session.client("s3").put_object(Bucket=session.bucket, Key=key, Body=body)


def _get(session, key):
    return session.client("s3").get_object(Bucket=session.bucket, Key=key)["Body"].read().decode()


def _keys(session, prefix):
    listed = session.client("s3").list_objects_v2(Bucket=session.bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _request(session, name, model, input_prefix, **options):
    transform_input = {
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": f"s3://{session.bucket}/{input_prefix}",
            }
        },
        "ContentType": "text/csv",
        "SplitType": options.pop("SplitType", "Line"),
    }
    transform_output = {
        "S3OutputPath": f"s3://{session.bucket}/{name}/out",
        **options.pop("Output", {}),
    }
    return {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": transform_input,
        "TransformOutput": transform_output,
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **options,
    }


def _run(sm, request):
    sm.create_transform_job(**request)
    sm.get_waiter("transform_job_completed_or_stopped").wait(
        TransformJobName=request["TransformJobName"]
    )
    return sm.describe_transform_job(TransformJobName=request["TransformJobName"])


@pytest.fixture(scope="module")
def expected(transform_session, model_data_url):
    booster = load_booster(transform_session, model_data_url)
    parsed = np.array([[float(v) for v in line.split(",")] for line in csv_body(ROWS).split()])
    return [str(value) for value in booster.predict(xgb.DMatrix(parsed)).tolist()]


@pytest.mark.parametrize("strategy", ["MultiRecord", "SingleRecord"])
def test_every_object_gets_an_out_file(transform_session, sm, model, expected, name, strategy):
    _put(transform_session, f"{name}/in/first.csv", csv_body(ROWS[:20]))
    _put(transform_session, f"{name}/in/nested/second.csv", csv_body(ROWS[20:]))

    described = _run(
        sm,
        _request(
            transform_session,
            name,
            model,
            f"{name}/in/",
            BatchStrategy=strategy,
            MaxConcurrentTransforms=2,
            Output={"AssembleWith": "Line", "Accept": "text/csv"},
        ),
    )

    assert described["TransformJobStatus"] == "Completed"
    assert described["BatchStrategy"] == strategy
    assert described["TransformEndTime"] >= described["TransformStartTime"]
    assert _keys(transform_session, f"{name}/out/") == [
        f"{name}/out/first.csv.out",
        f"{name}/out/nested/second.csv.out",
    ]
    assert _get(transform_session, f"{name}/out/first.csv.out").split() == expected[:20]
    assert _get(transform_session, f"{name}/out/nested/second.csv.out").split() == expected[20:]


def test_small_payload_limit_packs_many_requests(transform_session, sm, model, expected, name):
    rows = np.repeat(ROWS, 2000, axis=0)
    _put(transform_session, f"{name}/in/big.csv", csv_body(rows))

    described = _run(sm, _request(transform_session, name, model, f"{name}/in", MaxPayloadInMB=1))

    assert described["MaxPayloadInMB"] == 1
    lines = _get(transform_session, f"{name}/out/big.csv.out").split()
    assert len(lines) == len(rows)
    assert lines == [value for value in expected for _ in range(2000)]


def test_split_none_sends_whole_object(transform_session, sm, model, expected, name):
    _put(transform_session, f"{name}/in/data.csv", csv_body(ROWS))

    described = _run(
        sm, _request(transform_session, name, model, f"{name}/in/data.csv", SplitType="None")
    )

    assert described["TransformInput"]["SplitType"] == "None"
    assert described["TransformOutput"]["AssembleWith"] == "None"
    assert _get(transform_session, f"{name}/out/data.csv.out").split() == expected


def test_data_processing_joins_id_and_prediction(transform_session, sm, model, expected, name):
    lines = [f"id-{i}," + ",".join(f"{v:.6g}" for v in row) for i, row in enumerate(ROWS)]
    _put(transform_session, f"{name}/in/ids.csv", "\n".join(lines) + "\n")

    described = _run(
        sm,
        _request(
            transform_session,
            name,
            model,
            f"{name}/in",
            Output={"AssembleWith": "Line", "Accept": "text/csv"},
            DataProcessing={
                "InputFilter": "$[1:]",
                "JoinSource": "Input",
                "OutputFilter": "$[0,-1]",
            },
        ),
    )

    assert described["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "JoinSource": "Input",
        "OutputFilter": "$[0,-1]",
    }
    output = _get(transform_session, f"{name}/out/ids.csv.out").splitlines()
    assert output == [f"id-{i},{value}" for i, value in enumerate(expected)]


def test_container_error_fails_job_with_data_log(transform_session, sm, model, name):
    _put(transform_session, f"{name}/in/a.csv", csv_body(ROWS[:3]))
    _put(transform_session, f"{name}/in/b.csv", "1,2,3,4,5,6,7\n")

    with pytest.raises(WaiterError):
        _run(sm, _request(transform_session, name, model, f"{name}/in/"))
    described = sm.describe_transform_job(TransformJobName=name)

    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"] == "ClientError: See job logs for more information"
    assert _keys(transform_session, f"{name}/out/") == [f"{name}/out/a.csv.out"]
    logs = transform_session.client("logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=f"{name}/"
    )["logStreams"]
    data_log = next(s["logStreamName"] for s in streams if s["logStreamName"].endswith("/data-log"))
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamName=data_log
    )
    messages = [event["message"] for event in events["events"]]
    assert any(
        m.endswith(
            f"[sagemaker logs]: {transform_session.bucket}/{name}/in/b.csv: ClientError: 400"
        )
        for m in messages
    )


def test_empty_prefix_fails_job(transform_session, sm, model, name):
    with pytest.raises(WaiterError):
        _run(sm, _request(transform_session, name, model, f"{name}/nothing/"))

    assert sm.describe_transform_job(TransformJobName=name)["FailureReason"] == (
        f"ClientError: No S3 objects found under S3 URL s3://{transform_session.bucket}/{name}/"
        "nothing/: upload the input objects, or correct "
        "TransformInput.DataSource.S3DataSource.S3Uri."
    )


def test_record_over_payload_limit_fails_job(transform_session, sm, model, name):
    _put(transform_session, f"{name}/in/wide.csv", ("1," * 600_000) + "1\n")

    with pytest.raises(WaiterError):
        _run(sm, _request(transform_session, name, model, f"{name}/in", MaxPayloadInMB=1))

    assert sm.describe_transform_job(TransformJobName=name)["FailureReason"] == (
        f"ClientError: {transform_session.bucket}/{name}/in/wide.csv: A record of 1200001 bytes "
        "exceeds MaxPayloadInMB (1048576 bytes): raise MaxPayloadInMB, or set SplitType to Line "
        "so that each line is a record."
    )


def test_create_errors(transform_session, sm, model, name):
    _put(transform_session, f"{name}/in/a.csv", csv_body(ROWS[:2]))
    _run(sm, _request(transform_session, name, model, f"{name}/in"))
    cases = [
        (
            _request(transform_session, name, model, f"{name}/in"),
            "ResourceInUse",
            "Job names must be unique within an AWS account and region, and a job with this "
            f"name already exists (arn:aws:sagemaker:us-east-1:123456789012:transform-job/{name})",
        ),
        (
            _request(transform_session, f"{name}-x", "no-such-model", f"{name}/in"),
            "ValidationException",
            'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/no-such-model".',
        ),
        (
            _request(
                transform_session,
                f"{name}-y",
                model,
                f"{name}/in",
                Output={"Accept": "text/csv"},
                DataProcessing={"InputFilter": "$[1:]"},
            ),
            "ValidationException",
            "DataProcessing on text/csv needs SplitType Line and AssembleWith Line, not "
            "SplitType Line and AssembleWith None.",
        ),
        (
            _request(
                transform_session,
                f"{name}-z",
                model,
                f"{name}/in",
                Output={"AssembleWith": "Line", "Accept": "text/csv"},
                DataProcessing={"InputFilter": "$..x"},
            ),
            "ValidationException",
            "Invalid DataProcessing filter: JSONPath '$..x' is not supported at '..x': use $, "
            ".name, ['a','b'], [i], [i,j] or [start:end]",
        ),
    ]
    for request, code, message in cases:
        with pytest.raises(ClientError) as excinfo:
            sm.create_transform_job(**request)
        assert client_error(excinfo) == (code, message)


def test_missing_job_is_a_validation_exception(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.describe_transform_job(TransformJobName="no-such-job")
    with pytest.raises(WaiterError) as waited:
        sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="no-such-job")

    assert client_error(excinfo) == (
        "ValidationException",
        "Could not find requested job with name no-such-job",
    )
    assert "ValidationException" in str(waited.value)


def test_stop_transform_job(transform_session, sm, model, name):
    rows = np.repeat(ROWS, 500, axis=0)
    for index in range(20):
        _put(transform_session, f"{name}/in/part-{index:02d}.csv", csv_body(rows))
    sm.create_transform_job(
        **_request(transform_session, name, model, f"{name}/in", BatchStrategy="SingleRecord")
    )

    sm.stop_transform_job(TransformJobName=name)
    stopping = sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"]
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name)
    described = sm.describe_transform_job(TransformJobName=name)

    # The job thread may see the stop request before DescribeTransformJob runs.
    assert stopping in ("Stopping", "Stopped")
    assert described["TransformJobStatus"] == "Stopped"
    assert _keys(transform_session, f"{name}/out/") == []
    with pytest.raises(ClientError) as excinfo:
        sm.stop_transform_job(TransformJobName=name)
    assert client_error(excinfo) == (
        "ValidationException",
        "The request was rejected because the transform job is in status Stopped.",
    )


def test_list_transform_jobs(transform_session, sm, model, name):
    _put(transform_session, f"{name}/in/a.csv", csv_body(ROWS[:2]))
    _run(sm, _request(transform_session, name, model, f"{name}/in"))

    summaries = sm.list_transform_jobs(NameContains=name)["TransformJobSummaries"]

    assert [s["TransformJobName"] for s in summaries] == [name]
    assert summaries[0]["TransformJobStatus"] == "Completed"
