"""Models, endpoint configurations and endpoints of one account and region."""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

from .. import changes
from ..arns import sagemaker_arn
from ..constraints import check_request
from ..exceptions import ValidationException
from ..pagination import paginate
from ..services import S3Store
from .deploy import (
    TRANSITION_SECONDS,
    Placement,
    RetainedProperties,
    apply_weights,
    build_variants,
    capture_summary,
    deploy,
    run_in_background,
)
from .models import Endpoint, EndpointConfig, Model
from .weights import set_desired_weights

if TYPE_CHECKING:
    from ..backend import SandboxSageMakerBackend

logger = logging.getLogger(__name__)

IN_PROGRESS = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


class Hosting:
    def __init__(self, backend: SandboxSageMakerBackend) -> None:
        self.backend = backend
        self.models: dict[str, Model] = {}
        self.configs: dict[str, EndpointConfig] = {}
        self.endpoints: dict[str, Endpoint] = {}

    # Models

    def create_model(self, request: dict[str, Any]) -> Model:
        check_request("CreateModel", request)
        name = request["ModelName"]
        arn = self._arn("model", name)
        if name.lower() in self.models:
            raise ValidationException(f'Cannot create already existing model "{arn}".')
        if not request.get("PrimaryContainer") and not request.get("Containers"):
            raise ValidationException("Either PrimaryContainer or Containers must be specified.")
        model = Model(name, arn, copy.deepcopy(request), tags=list(request.get("Tags") or []))
        self.models[name.lower()] = model
        return model

    def get_model(self, name: str) -> Model:
        model = self.models.get(name.lower())
        if model is None:
            raise ValidationException(f'Could not find model "{self._arn("model", name)}".')
        return model

    def delete_model(self, name: str) -> None:
        self.get_model(name)
        del self.models[name.lower()]

    def list_models(self, request: dict[str, Any]) -> dict[str, Any]:
        models = sorted(self.models.values(), key=lambda model: model.creation_time)
        if request.get("NameContains"):
            models = [m for m in models if request["NameContains"].lower() in m.name.lower()]
        if request.get("SortOrder", "Descending") == "Descending":
            models.reverse()
        page, token = paginate(models, request.get("NextToken"), request.get("MaxResults"))
        summaries = [
            {"ModelName": m.name, "ModelArn": m.arn, "CreationTime": m.creation_time} for m in page
        ]
        return _with_token({"Models": summaries}, token)

    # Endpoint configurations

    def create_endpoint_config(self, request: dict[str, Any]) -> EndpointConfig:
        check_request("CreateEndpointConfig", request)
        name = request["EndpointConfigName"]
        arn = self._arn("endpoint-config", name)
        if name.lower() in self.configs:
            raise ValidationException(
                f'Cannot create already existing endpoint configuration "{arn}".'
            )
        filled = copy.deepcopy(request)
        filled.pop("Tags", None)
        self._check_variants(filled["ProductionVariants"])
        config = EndpointConfig(name, arn, filled, tags=list(request.get("Tags") or []))
        self.configs[name.lower()] = config
        return config

    def get_config(self, name: str) -> EndpointConfig:
        config = self.configs.get(name.lower())
        if config is None:
            arn = self._arn("endpoint-config", name)
            raise ValidationException(f'Could not find endpoint configuration "{arn}".')
        return config

    def delete_endpoint_config(self, name: str) -> None:
        self.get_config(name)
        del self.configs[name.lower()]

    def list_endpoint_configs(self, request: dict[str, Any]) -> dict[str, Any]:
        configs = sorted(self.configs.values(), key=lambda config: config.creation_time)
        if request.get("NameContains"):
            configs = [c for c in configs if request["NameContains"].lower() in c.name.lower()]
        if request.get("SortOrder", "Descending") == "Descending":
            configs.reverse()
        page, token = paginate(configs, request.get("NextToken"), request.get("MaxResults"))
        summaries = [
            {
                "EndpointConfigName": c.name,
                "EndpointConfigArn": c.arn,
                "CreationTime": c.creation_time,
            }
            for c in page
        ]
        return _with_token({"EndpointConfigs": summaries}, token)

    # Endpoints

    def create_endpoint(self, request: dict[str, Any]) -> Endpoint:
        check_request("CreateEndpoint", request)
        name = request["EndpointName"]
        arn = self._arn("endpoint", name)
        if name.lower() in self.endpoints:
            raise ValidationException(f'Cannot create already existing endpoint "{arn}".')
        config = self.get_config(request["EndpointConfigName"])
        endpoint = Endpoint(
            name,
            arn,
            config.name,
            data_capture=capture_summary(config),
            tags=list(request.get("Tags") or []),
        )
        self.endpoints[name.lower()] = endpoint
        self._start_deployment(endpoint, config, updating=False)
        return endpoint

    def get_endpoint(self, name: str) -> Endpoint:
        endpoint = self.endpoints.get(name.lower())
        if endpoint is None:
            raise ValidationException(f'Could not find endpoint "{self._arn("endpoint", name)}".')
        return endpoint

    def update_endpoint(self, request: dict[str, Any]) -> Endpoint:
        check_request("UpdateEndpoint", request)
        endpoint = self.get_endpoint(request["EndpointName"])
        self._check_not_in_progress(endpoint)
        if endpoint.status == "Failed":
            raise ValidationException(
                f'Cannot update failed endpoint "{endpoint.arn}". Delete it and create a new one.'
            )
        config = self.get_config(request["EndpointConfigName"])
        with endpoint.lock:
            endpoint.pending_config_name = config.name
            endpoint.failure_reason = None
            endpoint.set_status("Updating")
        self._start_deployment(endpoint, config, updating=True, retained=_retained(request))
        logger.info("endpoint %s: updating to configuration %s", endpoint.name, config.name)
        return endpoint

    def update_weights_and_capacities(self, request: dict[str, Any]) -> Endpoint:
        check_request("UpdateEndpointWeightsAndCapacities", request)
        endpoint = self.get_endpoint(request["EndpointName"])
        self._check_not_in_progress(endpoint)
        if endpoint.status == "Failed":
            raise ValidationException(
                f'Cannot update failed endpoint "{endpoint.arn}". Delete it and create a new one.'
            )
        with endpoint.lock:
            set_desired_weights(endpoint, request["DesiredWeightsAndCapacities"])
            endpoint.set_status("Updating")
        run_in_background(endpoint.name, lambda: apply_weights(endpoint), delay=TRANSITION_SECONDS)
        logger.info("endpoint %s: updating weights and capacities", endpoint.name)
        return endpoint

    def delete_endpoint(self, name: str) -> None:
        endpoint = self.get_endpoint(name)
        if endpoint.status in IN_PROGRESS:
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        with endpoint.lock:
            endpoint.set_status("Deleting")
        run_in_background(
            endpoint.name, lambda: self._remove_endpoint(endpoint), delay=TRANSITION_SECONDS
        )
        logger.info("endpoint %s: deleting", endpoint.name)

    def list_endpoints(self, request: dict[str, Any]) -> dict[str, Any]:
        endpoints = list(self.endpoints.values())
        if request.get("NameContains"):
            endpoints = [e for e in endpoints if request["NameContains"].lower() in e.name.lower()]
        if request.get("StatusEquals"):
            endpoints = [e for e in endpoints if e.status == request["StatusEquals"]]
        sort_by = request.get("SortBy", "CreationTime")
        key = {"Name": "name", "CreationTime": "creation_time", "Status": "status"}[sort_by]
        endpoints.sort(
            key=lambda e: getattr(e, key),
            reverse=request.get("SortOrder", "Descending") == "Descending",
        )
        page, token = paginate(endpoints, request.get("NextToken"), request.get("MaxResults"))
        return _with_token({"Endpoints": [e.summary() for e in page]}, token)

    # Helpers

    def _start_deployment(
        self,
        endpoint: Endpoint,
        config: EndpointConfig,
        *,
        updating: bool,
        retained: RetainedProperties | None = None,
    ) -> None:
        placement = Placement(
            self.backend.account_id,
            self.backend.region_name,
            S3Store(self.backend.account_id, self.backend.partition),
        )

        def variants() -> list[Any]:
            return build_variants(endpoint.name, config, self.get_model, placement)

        run_in_background(
            endpoint.name,
            lambda: deploy(endpoint, config, variants, updating=updating, retained=retained),
        )

    def _remove_endpoint(self, endpoint: Endpoint) -> None:
        key = endpoint.name.lower()
        if self.endpoints.get(key) is endpoint:
            del self.endpoints[key]
            changes.notify("EndpointName", endpoint.name)
        with endpoint.lock:
            endpoint.variants = []
            endpoint.capture = None
        logger.info("endpoint %s: deleted", endpoint.name)

    def _check_not_in_progress(self, endpoint: Endpoint) -> None:
        if endpoint.status in IN_PROGRESS:
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')

    def _check_variants(self, variants: list[dict[str, Any]]) -> None:
        names = [variant["VariantName"] for variant in variants]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValidationException(
                f"The variant name(s) {', '.join(duplicates)} must be unique within the "
                "endpoint configuration."
            )
        for variant in variants:
            self.get_model(variant["ModelName"])
            variant.setdefault("InitialVariantWeight", 1.0)

    def _arn(self, resource: str, name: str) -> str:
        return sagemaker_arn(
            resource, name, account_id=self.backend.account_id, region=self.backend.region_name
        )


def _retained(request: dict[str, Any]) -> RetainedProperties | None:
    """Read RetainAllVariantProperties and ExcludeRetainedVariantProperties of UpdateEndpoint."""
    if not request.get("RetainAllVariantProperties"):
        return None
    excluded = {
        item["VariantPropertyType"]
        for item in request.get("ExcludeRetainedVariantProperties") or []
    }
    return RetainedProperties(
        weights="DesiredWeight" not in excluded,
        instance_counts="DesiredInstanceCount" not in excluded,
        data_capture="DataCaptureConfig" not in excluded,
    )


def _with_token(response: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token:
        response["NextToken"] = token
    return response
