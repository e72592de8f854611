"""UpdateEndpointWeightsAndCapacities: check the request and set the desired values."""

from __future__ import annotations

from typing import Any

from ..exceptions import ValidationException
from .models import Endpoint


def set_desired_weights(endpoint: Endpoint, desired: list[dict[str, Any]]) -> None:
    """Set DesiredWeight and DesiredInstanceCount of the named variants, all or none.

    The current values stay until the update finishes, so traffic keeps its old split
    while the endpoint is Updating.
    """
    variants = {variant.name: variant for variant in endpoint.variants}
    seen: set[str] = set()
    for item in desired:
        name = item["VariantName"]
        if name in seen:
            raise ValidationException(
                f'The variant name "{name}" was non-unique within the request.'
            )
        seen.add(name)
        if "DesiredWeight" not in item and "DesiredInstanceCount" not in item:
            raise ValidationException(
                f"Variant {name} has neither DesiredWeight nor DesiredInstanceCount: "
                "set at least one of them."
            )

    unknown = [item["VariantName"] for item in desired if item["VariantName"] not in variants]
    if unknown:
        raise ValidationException(
            f'The variant name(s) "{", ".join(unknown)}" is/are not present within endpoint '
            f'configuration "{endpoint.config_name}".'
        )

    for item in desired:
        variant = variants[item["VariantName"]]
        if "DesiredWeight" in item:
            variant.desired_weight = float(item["DesiredWeight"])
        if "DesiredInstanceCount" in item:
            variant.desired_instance_count = int(item["DesiredInstanceCount"])
