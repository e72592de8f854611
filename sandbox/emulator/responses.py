"""Request parsing for the operations the sandbox implements; the families do the work."""

from __future__ import annotations

from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.responses import SageMakerResponse

from . import changes
from .backend import SandboxSageMakerBackend


class SandboxSageMakerResponse(SageMakerResponse):
    def call_action(self) -> TYPE_RESPONSE:
        changes.observe(self._get_params())
        return super().call_action()

    @property
    def sandbox(self) -> SandboxSageMakerBackend:
        backend = self.sagemaker_backend
        assert isinstance(backend, SandboxSageMakerBackend)
        return backend

    @property
    def request(self) -> dict[str, Any]:
        return dict(self._get_params())

    # Training jobs

    def create_training_job(self) -> ActionResult:
        job = self.sandbox.training.create(self.request)
        return ActionResult({"TrainingJobArn": job.arn})

    def describe_training_job(self) -> ActionResult:
        return ActionResult(
            self.sandbox.training.get(self._get_param("TrainingJobName")).describe()
        )

    def list_training_jobs(self) -> ActionResult:
        return ActionResult(self.sandbox.training.list(self.request))

    def stop_training_job(self) -> ActionResult:
        self.sandbox.training.stop(self._get_param("TrainingJobName"))
        return EmptyResult()

    # Models

    def create_model(self) -> ActionResult:
        model = self.sandbox.hosting.create_model(self.request)
        return ActionResult({"ModelArn": model.arn})

    def describe_model(self) -> ActionResult:
        return ActionResult(self.sandbox.hosting.get_model(self._get_param("ModelName")).describe())

    def delete_model(self) -> ActionResult:
        self.sandbox.hosting.delete_model(self._get_param("ModelName"))
        return EmptyResult()

    def list_models(self) -> ActionResult:
        return ActionResult(self.sandbox.hosting.list_models(self.request))

    # Endpoint configurations

    def create_endpoint_config(self) -> ActionResult:
        config = self.sandbox.hosting.create_endpoint_config(self.request)
        return ActionResult({"EndpointConfigArn": config.arn})

    def describe_endpoint_config(self) -> ActionResult:
        name = self._get_param("EndpointConfigName")
        return ActionResult(self.sandbox.hosting.get_config(name).describe())

    def delete_endpoint_config(self) -> ActionResult:
        self.sandbox.hosting.delete_endpoint_config(self._get_param("EndpointConfigName"))
        return EmptyResult()

    def list_endpoint_configs(self) -> ActionResult:
        return ActionResult(self.sandbox.hosting.list_endpoint_configs(self.request))

    # Endpoints

    def create_endpoint(self) -> ActionResult:
        endpoint = self.sandbox.hosting.create_endpoint(self.request)
        return ActionResult({"EndpointArn": endpoint.arn})

    def describe_endpoint(self) -> ActionResult:
        name = self._get_param("EndpointName")
        return ActionResult(self.sandbox.hosting.get_endpoint(name).describe())

    def update_endpoint(self) -> ActionResult:
        endpoint = self.sandbox.hosting.update_endpoint(self.request)
        return ActionResult({"EndpointArn": endpoint.arn})

    def delete_endpoint(self) -> ActionResult:
        self.sandbox.hosting.delete_endpoint(self._get_param("EndpointName"))
        return EmptyResult()

    def list_endpoints(self) -> ActionResult:
        return ActionResult(self.sandbox.hosting.list_endpoints(self.request))

    def update_endpoint_weights_and_capacities(self) -> ActionResult:
        endpoint = self.sandbox.hosting.update_weights_and_capacities(self.request)
        return ActionResult({"EndpointArn": endpoint.arn})

    # Transform jobs

    def create_transform_job(self) -> ActionResult:
        job = self.sandbox.transform.create(self.request)
        return ActionResult({"TransformJobArn": job.arn})

    def describe_transform_job(self) -> ActionResult:
        name = self._get_param("TransformJobName")
        return ActionResult(self.sandbox.transform.get(name).describe())

    def list_transform_jobs(self) -> ActionResult:
        return ActionResult(self.sandbox.transform.list(self.request))

    def stop_transform_job(self) -> ActionResult:
        self.sandbox.transform.stop(self._get_param("TransformJobName"))
        return EmptyResult()

    # Hyperparameter tuning jobs

    def create_hyper_parameter_tuning_job(self) -> ActionResult:
        tuning = self.sandbox.tuning.create(self.request)
        return ActionResult({"HyperParameterTuningJobArn": tuning.arn})

    def describe_hyper_parameter_tuning_job(self) -> ActionResult:
        name = self._get_param("HyperParameterTuningJobName")
        return ActionResult(self.sandbox.tuning.get(name).describe())

    def list_hyper_parameter_tuning_jobs(self) -> ActionResult:
        return ActionResult(self.sandbox.tuning.list(self.request))

    def list_training_jobs_for_hyper_parameter_tuning_job(self) -> ActionResult:
        return ActionResult(self.sandbox.tuning.list_training_jobs(self.request))

    def stop_hyper_parameter_tuning_job(self) -> ActionResult:
        self.sandbox.tuning.stop(self._get_param("HyperParameterTuningJobName"))
        return EmptyResult()

    def delete_hyper_parameter_tuning_job(self) -> ActionResult:
        self.sandbox.tuning.delete(self._get_param("HyperParameterTuningJobName"))
        return EmptyResult()
