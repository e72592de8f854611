"""CreateHyperParameterTuningJob and the other operations on tuning jobs."""

from __future__ import annotations

import builtins
import copy
import logging
from typing import TYPE_CHECKING, Any

from ..arns import sagemaker_arn
from ..constraints import check_request
from ..exceptions import ResourceInUse, ResourceNotFound, ValidationException
from ..pagination import list_jobs, paginate
from . import coordinator
from .config import parse_spec
from .models import TuningChild, TuningJob, TuningStatus
from .search import Evaluation, make_search

if TYPE_CHECKING:
    from ..backend import SandboxSageMakerBackend

logger = logging.getLogger(__name__)

TUNING_SORT_KEYS = {
    "Name": lambda job: job.name,
    "CreationTime": lambda job: job.creation_time,
    "Status": lambda job: job.status.value,
}
CHILD_SORT_KEYS = {
    "Name": lambda child: child.job.name,
    "CreationTime": lambda child: child.job.creation_time,
    "Status": lambda child: child.job.status.value,
    "FinalObjectiveMetricValue": lambda child: child.objective_value,
}


class HyperParameterTuningJobs:
    """The hyperparameter tuning jobs of one account and region."""

    def __init__(self, backend: SandboxSageMakerBackend) -> None:
        self.backend = backend
        self.jobs: dict[str, TuningJob] = {}

    def create(self, request: dict[str, Any]) -> TuningJob:
        check_request("CreateHyperParameterTuningJob", request)
        name = request["HyperParameterTuningJobName"]
        if name.lower() in self.jobs:
            raise ResourceInUse(
                f"A hyperparameter tuning job with the name, {name}, already exists. "
                "Choose a different name."
            )
        spec = parse_spec(request)
        parents = self._warm_start_parents(request, spec.objective_metric)
        described = copy.deepcopy(request)
        described.pop("Tags", None)
        tuning = TuningJob(
            name=name,
            arn=sagemaker_arn(
                "hyper-parameter-tuning-job",
                name,
                account_id=self.backend.account_id,
                region=self.backend.region_name,
            ),
            request=described,
            spec=spec,
            parents=parents,
            tags=list(request.get("Tags") or []),
        )
        search = make_search(spec, _parent_results(parents))
        self.jobs[name.lower()] = tuning
        logger.info("tuning job %s: created (%s, %s jobs)", name, spec.strategy, spec.max_jobs)
        coordinator.start(tuning, self.backend.training, search)
        return tuning

    def get(self, name: str) -> TuningJob:
        tuning = self.jobs.get(name.lower()) if name else None
        if tuning is None:
            raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")
        return tuning

    def stop(self, name: str) -> None:
        tuning = self.get(name)
        if tuning.status is not TuningStatus.IN_PROGRESS:
            raise ValidationException(
                f"The hyperparameter tuning job {tuning.name} is in status "
                f"{tuning.status.value}; only a job in status InProgress can be stopped."
            )
        tuning.status = TuningStatus.STOPPING
        tuning.stop_requested.set()
        tuning.wake.set()
        logger.info("tuning job %s: stop requested", tuning.name)

    def delete(self, name: str) -> None:
        tuning = self.get(name)
        if not tuning.status.is_terminal:
            raise ValidationException(
                f"The hyperparameter tuning job {tuning.name} is in status "
                f"{tuning.status.value}. Stop it and wait until it has stopped before deleting it."
            )
        del self.jobs[tuning.name.lower()]
        logger.info("tuning job %s: deleted", tuning.name)

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        check_request("ListHyperParameterTuningJobs", request)
        return list_jobs(
            self.jobs.values(),
            request,
            summaries_key="HyperParameterTuningJobSummaries",
            sort_keys=TUNING_SORT_KEYS,
            default_sort="Name",
            default_order="Ascending",
        )

    def list_training_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        """ListTrainingJobsForHyperParameterTuningJob."""
        check_request("ListTrainingJobsForHyperParameterTuningJob", request)
        tuning = self.get(request["HyperParameterTuningJobName"])
        children = tuning.snapshot()
        if request.get("StatusEquals"):
            children = [c for c in children if c.job.status.value == request["StatusEquals"]]
        sort_by = request.get("SortBy", "Name")
        if sort_by == "FinalObjectiveMetricValue":
            children = [child for child in children if child.objective_value is not None]
        descending = request.get("SortOrder", "Ascending") == "Descending"
        children.sort(key=CHILD_SORT_KEYS[sort_by], reverse=descending)
        page, token = paginate(children, request.get("NextToken"), request.get("MaxResults"))
        response: dict[str, Any] = {"TrainingJobSummaries": [c.summary() for c in page]}
        if token:
            response["NextToken"] = token
        return response

    def _warm_start_parents(
        self, request: dict[str, Any], objective: str
    ) -> builtins.list[TuningJob]:
        warm_start = request.get("WarmStartConfig")
        if not warm_start:
            return []
        parents = []
        for entry in warm_start["ParentHyperParameterTuningJobs"]:
            parent = self.get(entry["HyperParameterTuningJobName"])
            if not parent.status.is_terminal:
                raise ValidationException(
                    f"The parent tuning job {parent.name} is in status {parent.status.value}. "
                    "Warm start needs parent jobs that have ended: wait for it to finish."
                )
            if parent.spec.objective_metric != objective:
                raise ValidationException(
                    f"The parent tuning job {parent.name} optimised "
                    f"{parent.spec.objective_metric}, but this job's objective metric is "
                    f"{objective}. Warm start needs the same objective metric."
                )
            if warm_start["WarmStartType"] == "IdenticalDataAndAlgorithm":
                _check_identical(parent, request["TrainingJobDefinition"])
            parents.append(parent)
        return parents


def _check_identical(parent: TuningJob, definition: dict[str, Any]) -> None:
    """Reject an IdenticalDataAndAlgorithm parent that used another image or other data."""
    parent_definition = parent.spec.definition
    image = definition["AlgorithmSpecification"].get("TrainingImage")
    parent_image = parent_definition["AlgorithmSpecification"].get("TrainingImage")
    if image != parent_image:
        raise ValidationException(
            f"WarmStartType IdenticalDataAndAlgorithm needs the training image of the parent "
            f"tuning job {parent.name} ({parent_image}), but this job uses {image}. "
            "Use WarmStartType TransferLearning to change the algorithm."
        )
    if _data_sources(definition) != _data_sources(parent_definition):
        raise ValidationException(
            "WarmStartType IdenticalDataAndAlgorithm needs the input data of the parent tuning "
            f"job {parent.name}, but the channels or their S3 URIs differ. Use WarmStartType "
            "TransferLearning to train on other data."
        )


def _data_sources(definition: dict[str, Any]) -> dict[str, str | None]:
    return {
        channel["ChannelName"]: (channel["DataSource"].get("S3DataSource") or {}).get("S3Uri")
        for channel in definition.get("InputDataConfig") or []
    }


def _parent_results(parents: list[TuningJob]) -> list[Evaluation]:
    results = []
    for parent in parents:
        for child in parent.snapshot():
            value = child.objective_value
            if _completed(child) and value is not None:
                results.append(Evaluation(dict(child.tuned), value))
    return results


def _completed(child: TuningChild) -> bool:
    return child.job.status.value == "Completed"
