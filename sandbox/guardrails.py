"""Cost guardrails for a real AWS account: allowed instance types, instance caps and tags.

`install(events, policy)` registers a botocore `provide-client-params` handler for each
SageMaker create call that starts instances or creates a billable resource. The handler runs before
botocore validates or signs the request, so a rejected request never leaves the process,
and it adds the course and lab tags that `python -m sandbox cleanup` looks for.

Configuration, in order of precedence: the arguments of `GuardrailPolicy`, the
environment (SAGELAB_ALLOWED_INSTANCE_TYPES as a comma-separated list,
SAGELAB_MAX_INSTANCES, SAGELAB_LAB), and a JSON file named by SAGELAB_GUARDRAILS_FILE
with the keys "allowed_instance_types", "max_instances" and "lab".
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

COURSE = "sagelab"
COURSE_TAG = "sagelab:course"
LAB_TAG = "sagelab:lab"
DEFAULT_LAB = "unspecified"

# Small general-purpose instances that every lab fits on. In botocore's SageMaker model,
# ml.t2.medium is listed for endpoints only and ml.t3.medium for training only.
DEFAULT_INSTANCE_TYPES = (
    "ml.c5.xlarge",
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.t2.medium",
    "ml.t3.medium",
)
DEFAULT_MAX_INSTANCES = 2

# SageMaker's pattern and maximum length for a tag value (botocore checks neither).
TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")

# The create operations that the handler checks and tags; each one accepts Tags.
TAGGED_OPERATIONS = (
    "CreateTrainingJob",
    "CreateHyperParameterTuningJob",
    "CreateModel",
    "CreateEndpointConfig",
    "CreateEndpoint",
    "CreateTransformJob",
)


class GuardrailError(ValueError):
    """A request rejected before it was sent; the message names the rule and the fix."""


@dataclass(frozen=True)
class InstanceUse:
    """The instances that one part of a request starts at the same time."""

    where: str
    instance_type: str | None
    count: int


@dataclass(frozen=True)
class GuardrailPolicy:
    allowed_instance_types: frozenset[str] = field(
        default_factory=lambda: frozenset(DEFAULT_INSTANCE_TYPES)
    )
    max_instances: int = DEFAULT_MAX_INSTANCES
    lab: str = DEFAULT_LAB

    def __post_init__(self) -> None:
        if self.max_instances < 1:
            raise GuardrailError(
                f"max_instances={self.max_instances} is invalid: use a whole number of 1 or more"
            )
        if not TAG_VALUE.match(self.lab):
            raise GuardrailError(
                f"lab {self.lab!r} is not a valid tag value: use 1 to 256 letters, digits, "
                "spaces or _.:/=+-@, e.g. 03-train"
            )
        if not self.allowed_instance_types:
            raise GuardrailError(
                "the allowed instance types are empty: list at least one, e.g. ml.m5.large"
            )

    @classmethod
    def from_env(cls, lab: str | None = None) -> GuardrailPolicy:
        """Build the policy from SAGELAB_GUARDRAILS_FILE, then the environment, then `lab`."""
        settings: dict[str, Any] = _read_file(os.environ.get("SAGELAB_GUARDRAILS_FILE"))
        if os.environ.get("SAGELAB_ALLOWED_INSTANCE_TYPES"):
            settings["allowed_instance_types"] = os.environ["SAGELAB_ALLOWED_INSTANCE_TYPES"].split(
                ","
            )
        if os.environ.get("SAGELAB_MAX_INSTANCES"):
            settings["max_instances"] = _parse_count(
                os.environ["SAGELAB_MAX_INSTANCES"], "SAGELAB_MAX_INSTANCES"
            )
        if os.environ.get("SAGELAB_LAB"):
            settings["lab"] = os.environ["SAGELAB_LAB"]
        if lab:
            settings["lab"] = lab
        return cls._from_settings(settings)

    @classmethod
    def _from_settings(cls, settings: dict[str, Any]) -> GuardrailPolicy:
        types = settings.get("allowed_instance_types", DEFAULT_INSTANCE_TYPES)
        cleaned = frozenset(str(name).strip() for name in types if str(name).strip())
        return cls(
            allowed_instance_types=cleaned,
            max_instances=int(settings.get("max_instances", DEFAULT_MAX_INSTANCES)),
            lab=str(settings.get("lab", DEFAULT_LAB)),
        )

    @property
    def tags(self) -> list[dict[str, str]]:
        return [{"Key": COURSE_TAG, "Value": COURSE}, {"Key": LAB_TAG, "Value": self.lab}]

    def check(self, operation: str, params: dict[str, Any]) -> None:
        """Raise GuardrailError if the request uses a type off the list or too many instances."""
        uses = list(instance_uses(operation, params))
        for use in uses:
            if (
                use.instance_type is not None
                and use.instance_type not in self.allowed_instance_types
            ):
                allowed = ", ".join(sorted(self.allowed_instance_types))
                raise GuardrailError(
                    f"{operation} rejected: {use.where} InstanceType={use.instance_type!r} "
                    f"is not on the allowed list ({allowed}). Pick one of those, or extend "
                    "SAGELAB_ALLOWED_INSTANCE_TYPES if the course allows it."
                )
        total = sum(use.count for use in uses)
        if total > self.max_instances:
            parts = ", ".join(f"{use.where}: {use.count}" for use in uses)
            raise GuardrailError(
                f"{operation} rejected: it starts {total} instances at once ({parts}), "
                f"more than the cap of {self.max_instances}. Lower the instance count "
                "(or MaxParallelTrainingJobs), or raise SAGELAB_MAX_INSTANCES."
            )

    def with_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return a copy of the request whose Tags carry the course and lab tags."""
        ours = {tag["Key"] for tag in self.tags}
        kept = [tag for tag in params.get("Tags") or [] if tag.get("Key") not in ours]
        return {**params, "Tags": kept + self.tags}


def instance_uses(operation: str, params: dict[str, Any]) -> Iterable[InstanceUse]:
    """Yield the instances that a create request starts at once, per part of the request."""
    if operation == "CreateTrainingJob":
        yield _resource_use("ResourceConfig", params.get("ResourceConfig"), parallel=1)
    elif operation == "CreateHyperParameterTuningJob":
        limits = params.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
        parallel = int(limits.get("MaxParallelTrainingJobs", 1))
        definitions = list(params.get("TrainingJobDefinitions") or [])
        if params.get("TrainingJobDefinition"):
            definitions.insert(0, params["TrainingJobDefinition"])
        for index, definition in enumerate(definitions):
            where = f"TrainingJobDefinitions[{index}].ResourceConfig x MaxParallelTrainingJobs"
            yield _resource_use(where, definition.get("ResourceConfig"), parallel)
    elif operation == "CreateEndpointConfig":
        for index, variant in enumerate(params.get("ProductionVariants") or []):
            if "InstanceType" not in variant:
                continue  # serverless variants start no instances of their own
            where = f"ProductionVariants[{index}]"
            count = int(variant.get("InitialInstanceCount", 1))
            yield InstanceUse(where, variant["InstanceType"], count)
    elif operation == "CreateTransformJob":
        yield _resource_use("TransformResources", params.get("TransformResources"), parallel=1)


def _resource_use(where: str, config: dict[str, Any] | None, parallel: int) -> InstanceUse:
    config = config or {}
    count = int(config.get("InstanceCount", 1)) * parallel
    # NOTE: instance groups (heterogeneous clusters) are checked by type only through
    # InstanceType; a request that uses InstanceGroups alone is counted as one instance.
    return InstanceUse(where, config.get("InstanceType"), count)


def install(events: Any, policy: GuardrailPolicy) -> None:
    """Register the guardrails on a botocore event emitter (a session's or a client's)."""
    for operation in TAGGED_OPERATIONS:
        events.register(
            f"provide-client-params.sagemaker.{operation}",
            _handler(operation, policy),
            unique_id=f"sagelab-guardrails-{operation}",
        )


def _handler(operation: str, policy: GuardrailPolicy) -> Any:
    def guard(params: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        policy.check(operation, params)
        logger.debug("%s passed the guardrails for lab %s", operation, policy.lab)
        return policy.with_tags(params)

    return guard


def _read_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        settings = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise GuardrailError(
            f"SAGELAB_GUARDRAILS_FILE={path!r} was not found: point it at a JSON file or unset it"
        ) from None
    except json.JSONDecodeError as error:
        raise GuardrailError(
            f"SAGELAB_GUARDRAILS_FILE={path!r} is not valid JSON: {error}"
        ) from None
    if not isinstance(settings, dict):
        raise GuardrailError(
            f"SAGELAB_GUARDRAILS_FILE={path!r} must contain a JSON object with the keys "
            '"allowed_instance_types", "max_instances" and "lab"'
        )
    return settings


def _parse_count(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise GuardrailError(f"{name}={text!r} is invalid: use a whole number such as 2") from None
