"""Create requests of the labs through an AWS session: checked, tagged, valid for the model.

The Stubber answers instead of SageMaker. botocore validates each request against the
SageMaker service model before the Stubber sees it, so these tests also show that the
tagged requests are well-formed. Whether a real account accepts them is not tested here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.stub import Stubber

from sandbox import aws
from sandbox.guardrails import GuardrailError, GuardrailPolicy

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BUCKET = f"s3://sagemaker-us-east-1-{ACCOUNT}"
TAGS = [{"Key": "sagelab:course", "Value": "sagelab"}, {"Key": "sagelab:lab", "Value": "03-train"}]

RESOURCES = {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}
TRAINING_JOB = {
    "TrainingJobName": "claims-xgb-1",
    "RoleArn": ROLE,
    "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
    "HyperParameters": {"objective": "binary:logistic", "num_round": "50"},
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "ContentType": "text/csv",
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/claims/train/"}
            },
        }
    ],
    "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/claims/output"},
    "ResourceConfig": RESOURCES,
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}
TUNING_JOB = {
    "HyperParameterTuningJobName": "claims-tune-1",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}]
        },
    },
    "TrainingJobDefinition": {
        "StaticHyperParameters": {"objective": "binary:logistic", "num_round": "50"},
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": TRAINING_JOB["InputDataConfig"],
        "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/claims/tuning"},
        "ResourceConfig": RESOURCES,
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    },
}
MODEL = {
    "ModelName": "claims-model",
    "ExecutionRoleArn": ROLE,
    "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": f"{BUCKET}/claims/model.tar.gz"},
}
ENDPOINT_CONFIG = {
    "EndpointConfigName": "claims-config",
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": "claims-model",
            "InstanceType": "ml.t2.medium",
            "InitialInstanceCount": 1,
        }
    ],
}
ENDPOINT = {"EndpointName": "claims", "EndpointConfigName": "claims-config"}
TRANSFORM_JOB = {
    "TransformJobName": "claims-batch-1",
    "ModelName": "claims-model",
    "TransformInput": {
        "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/claims/batch/"}
        },
        "ContentType": "text/csv",
        "SplitType": "Line",
    },
    "TransformOutput": {"S3OutputPath": f"{BUCKET}/claims/batch-out"},
    "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
}

CASES = [
    (
        "create_training_job",
        TRAINING_JOB,
        {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
    ),
    (
        "create_hyper_parameter_tuning_job",
        TUNING_JOB,
        {"HyperParameterTuningJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
    ),
    ("create_model", MODEL, {"ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"}),
    (
        "create_endpoint_config",
        ENDPOINT_CONFIG,
        {"EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
    ),
    (
        "create_endpoint",
        ENDPOINT,
        {"EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
    ),
    (
        "create_transform_job",
        TRANSFORM_JOB,
        {"TransformJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
    ),
]


@pytest.fixture
def session(stubbed, monkeypatch):
    monkeypatch.setenv("SAGELAB_ROLE_ARN", ROLE)
    monkeypatch.setenv("SAGELAB_LAB", "03-train")
    stubbed.plan("sts", lambda stub: stub.add_response("get_caller_identity", {"Account": ACCOUNT}))
    stubbed.plan("s3", lambda stub: stub.add_response("head_bucket", {}))
    return aws.AwsSession(boto_session=stubbed.boto_session)


@pytest.mark.parametrize(("operation", "request_", "response"), CASES, ids=[c[0] for c in CASES])
def test_create_request_is_tagged_and_valid(session, stubbed, operation, request_, response):
    sagemaker = session.client("sagemaker")
    stub: Stubber = stubbed.stubbers["sagemaker"]
    stub.add_response(operation, response, {**request_, "Tags": TAGS})

    getattr(sagemaker, operation)(**copy.deepcopy(request_))

    stub.assert_no_pending_responses()


def test_caller_tags_are_kept_and_course_tags_win(session, stubbed):
    sagemaker = session.client("sagemaker")
    stub: Stubber = stubbed.stubbers["sagemaker"]
    own = [{"Key": "team", "Value": "blue"}, {"Key": "sagelab:lab", "Value": "spoofed"}]
    stub.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
        {**MODEL, "Tags": [{"Key": "team", "Value": "blue"}, *TAGS]},
    )

    sagemaker.create_model(**MODEL, Tags=own)

    stub.assert_no_pending_responses()


def test_disallowed_type_is_rejected_before_sending(session, stubbed):
    sagemaker = session.client("sagemaker")
    stub: Stubber = stubbed.stubbers["sagemaker"]
    stub.add_response(
        "create_training_job",
        {"TrainingJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:resource/claims"},
    )
    request: dict[str, Any] = copy.deepcopy(TRAINING_JOB)
    request["ResourceConfig"]["InstanceType"] = "ml.p4d.24xlarge"

    with pytest.raises(GuardrailError) as excinfo:
        sagemaker.create_training_job(**request)

    assert str(excinfo.value) == (
        "CreateTrainingJob rejected: ResourceConfig InstanceType='ml.p4d.24xlarge' is not on "
        "the allowed list (ml.c5.xlarge, ml.m5.large, ml.m5.xlarge, ml.t2.medium, "
        "ml.t3.medium). Pick one of those, or extend SAGELAB_ALLOWED_INSTANCE_TYPES if the "
        "course allows it."
    )
    with pytest.raises(AssertionError):
        stub.assert_no_pending_responses()  # the planned response was never consumed


def test_tuning_parallel_instances_over_cap_rejected(session):
    request: dict[str, Any] = copy.deepcopy(TUNING_JOB)
    request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"] = 3

    with pytest.raises(GuardrailError) as excinfo:
        session.client("sagemaker").create_hyper_parameter_tuning_job(**request)

    assert str(excinfo.value) == (
        "CreateHyperParameterTuningJob rejected: it starts 3 instances at once "
        "(TrainingJobDefinitions[0].ResourceConfig x MaxParallelTrainingJobs: 3), more than "
        "the cap of 2. Lower the instance count (or MaxParallelTrainingJobs), or raise "
        "SAGELAB_MAX_INSTANCES."
    )


def test_invalid_lab_name_is_rejected():
    with pytest.raises(GuardrailError) as excinfo:
        GuardrailPolicy(lab="lab #3")

    assert str(excinfo.value) == (
        "lab 'lab #3' is not a valid tag value: use 1 to 256 letters, digits, spaces or "
        "_.:/=+-@, e.g. 03-train"
    )
