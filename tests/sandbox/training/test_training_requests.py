"""CreateTrainingJob validation and the read APIs, asserting the service's codes and messages."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from sandbox_helpers import make_rows, to_csv, training_request, upload_channels, wait_for_job


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_invalid_name_is_rejected(session, sagemaker):
    upload_channels(session, "names", to_csv(make_rows(20)))
    request = training_request(session, "bad_name!", "names", channels=("train",))

    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_training_job(**request)

    assert _error(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value 'bad_name!' at 'trainingJobName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    )


def test_unknown_instance_type_is_rejected(session, sagemaker):
    upload_channels(session, "types", to_csv(make_rows(20)))
    request = training_request(
        session,
        "job-type",
        "types",
        channels=("train",),
        ResourceConfig={"InstanceType": "ml.laptop", "InstanceCount": 1, "VolumeSizeInGB": 5},
    )

    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_training_job(**request)

    code, message = _error(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'ml.laptop' at 'resourceConfig.instanceType' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ml.m4.xlarge"
    )


def test_duplicate_name_is_resource_in_use(session, sagemaker):
    upload_channels(session, "dup", to_csv(make_rows(50)))
    request = training_request(session, "job-dup", "dup", channels=("train",))
    sagemaker.create_training_job(**request)

    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_training_job(**{**request, "TrainingJobName": "JOB-DUP"})

    assert _error(excinfo) == (
        "ResourceInUse",
        "Training job names must be unique within an AWS account and region, and a training "
        "job with this name already exists "
        f"(arn:aws:sagemaker:us-east-1:{session.account_id}:training-job/job-dup)",
    )
    wait_for_job(sagemaker, "job-dup")


def test_empty_input_prefix_is_rejected_at_create(session, sagemaker):
    request = training_request(session, "job-empty", "nothing-here", channels=("train",))

    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_training_job(**request)

    assert _error(excinfo) == (
        "ValidationException",
        f'No S3 objects found under S3 URL "s3://{session.bucket}/nothing-here/train/" given in '
        "input data source. Please ensure that the bucket exists in the selected region "
        "(us-east-1), that objects exist under that S3 prefix, and that the role "
        f'"{session.role_arn}" has "s3:ListBucket" permissions on bucket "{session.bucket}".',
    )


def test_unknown_job_is_a_validation_exception(sagemaker):
    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_training_job(TrainingJobName="never-created")

    assert _error(excinfo) == ("ValidationException", "Requested resource not found.")


def test_list_training_jobs_pages_sorts_and_filters(session, sagemaker):
    upload_channels(session, "list", to_csv(make_rows(50)))
    names = ["list-c", "list-a", "list-b", "other-d"]
    for name in names:
        request = training_request(session, name, "list", {"num_round": "2"}, channels=("train",))
        sagemaker.create_training_job(**request)
    for name in names:
        wait_for_job(sagemaker, name)

    first = sagemaker.list_training_jobs(
        NameContains="list-", SortBy="Name", SortOrder="Descending", MaxResults=2
    )
    second = sagemaker.list_training_jobs(
        NameContains="list-",
        SortBy="Name",
        SortOrder="Descending",
        MaxResults=2,
        NextToken=first["NextToken"],
    )

    assert [job["TrainingJobName"] for job in first["TrainingJobSummaries"]] == ["list-c", "list-b"]
    assert [job["TrainingJobName"] for job in second["TrainingJobSummaries"]] == ["list-a"]
    assert "NextToken" not in second
    failed = sagemaker.list_training_jobs(StatusEquals="Failed")["TrainingJobSummaries"]
    assert [job["TrainingJobName"] for job in failed] == []


def test_tags_on_training_jobs(session, sagemaker):
    upload_channels(session, "tags", to_csv(make_rows(50)))
    request = training_request(
        session,
        "job-tags",
        "tags",
        channels=("train",),
        Tags=[{"Key": "course", "Value": "sagelab"}],
    )
    arn = sagemaker.create_training_job(**request)["TrainingJobArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "lab", "Value": "03-train"}])

    tags = sagemaker.list_tags(ResourceArn=arn)["Tags"]

    assert tags == [{"Key": "course", "Value": "sagelab"}, {"Key": "lab", "Value": "03-train"}]
    wait_for_job(sagemaker, "job-tags")
