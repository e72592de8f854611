"""Hosting resources: models, endpoint configurations, endpoints and their variants."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import changes
from ..lifecycle import utcnow

if TYPE_CHECKING:
    from ...algorithms.xgboost import XGBoostModelServer
    from ..services import LogStreamWriter
    from .capture import DataCapture


@dataclass
class Model:
    name: str
    arn: str
    request: dict[str, Any]
    creation_time: dt.datetime = field(default_factory=utcnow)
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def container(self) -> dict[str, Any]:
        primary: dict[str, Any] = self.request.get("PrimaryContainer") or {}
        if not primary and self.request.get("Containers"):
            primary = self.request["Containers"][0]
        return primary

    def describe(self) -> dict[str, Any]:
        container = dict(self.container)
        container.setdefault("Mode", "SingleModel")
        container.setdefault("Environment", {})
        if "ModelDataUrl" in container:
            container.setdefault(
                "ModelDataSource",
                {
                    "S3DataSource": {
                        "S3Uri": container["ModelDataUrl"],
                        "S3DataType": "S3Object",
                        "CompressionType": "Gzip",
                    }
                },
            )
        described = {
            "ModelName": self.name,
            "ModelArn": self.arn,
            "CreationTime": self.creation_time,
            "EnableNetworkIsolation": self.request.get("EnableNetworkIsolation", False),
        }
        if self.request.get("ExecutionRoleArn"):
            described["ExecutionRoleArn"] = self.request["ExecutionRoleArn"]
        if self.request.get("Containers"):
            described["Containers"] = self.request["Containers"]
        else:
            described["PrimaryContainer"] = container
        if self.request.get("VpcConfig"):
            described["VpcConfig"] = self.request["VpcConfig"]
        return described


@dataclass
class EndpointConfig:
    name: str
    arn: str
    request: dict[str, Any]
    creation_time: dt.datetime = field(default_factory=utcnow)
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def variants(self) -> list[dict[str, Any]]:
        variants: list[dict[str, Any]] = self.request["ProductionVariants"]
        return variants

    def describe(self) -> dict[str, Any]:
        described = {
            "EndpointConfigName": self.name,
            "EndpointConfigArn": self.arn,
            "ProductionVariants": self.variants,
            "CreationTime": self.creation_time,
        }
        for optional in ("DataCaptureConfig", "KmsKeyId", "AsyncInferenceConfig"):
            if self.request.get(optional):
                described[optional] = self.request[optional]
        return described


@dataclass
class Variant:
    """A production variant as deployed: its model server and its weights."""

    name: str
    model_name: str
    image: str
    instance_type: str
    current_weight: float
    desired_weight: float
    current_instance_count: int
    desired_instance_count: int
    server: XGBoostModelServer | None = None
    log: LogStreamWriter | None = field(default=None, repr=False)
    deployed_at: dt.datetime = field(default_factory=utcnow)

    def describe(self) -> dict[str, Any]:
        return {
            "VariantName": self.name,
            "DeployedImages": [
                {
                    "SpecifiedImage": self.image,
                    "ResolvedImage": self.image,
                    "ResolutionTime": self.deployed_at,
                }
            ],
            "CurrentWeight": self.current_weight,
            "DesiredWeight": self.desired_weight,
            "CurrentInstanceCount": self.current_instance_count,
            "DesiredInstanceCount": self.desired_instance_count,
        }


@dataclass
class Endpoint:
    name: str
    arn: str
    config_name: str
    status: str = "Creating"
    variants: list[Variant] = field(default_factory=list)
    pending_config_name: str | None = None
    data_capture: dict[str, Any] | None = None
    capture: DataCapture | None = field(default=None, repr=False)
    failure_reason: str | None = None
    creation_time: dt.datetime = field(default_factory=utcnow)
    last_modified_time: dt.datetime = field(default_factory=utcnow)
    tags: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_status(self, status: str, failure_reason: str | None = None) -> None:
        self.status = status
        if failure_reason is not None:
            self.failure_reason = failure_reason
        self.last_modified_time = utcnow()
        changes.notify("EndpointName", self.name)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "EndpointName": self.name,
            "EndpointArn": self.arn,
            "EndpointConfigName": self.config_name,
            "EndpointStatus": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }
        if self.variants:
            described["ProductionVariants"] = [variant.describe() for variant in self.variants]
        if self.data_capture:
            described["DataCaptureConfig"] = self.data_capture
        if self.failure_reason:
            described["FailureReason"] = self.failure_reason
        return described

    def summary(self) -> dict[str, Any]:
        return {
            "EndpointName": self.name,
            "EndpointArn": self.arn,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "EndpointStatus": self.status,
        }
