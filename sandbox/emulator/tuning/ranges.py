"""Hyperparameter ranges of a tuning job: parsing, create-time validation and scaling.

Each range maps to an Optuna distribution in the space the optimiser searches:
linear, logarithmic, or for ReverseLogarithmic the logarithm of `1 - x`, which puts
more samples close to 1 (the service's definition of that scaling).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from ..exceptions import ValidationException

# The service allows at most 100 hyperparameters per training job, static and tuned together.
MAX_HYPERPARAMETERS = 100


@dataclass(frozen=True)
class NumericRange:
    """An IntegerParameterRanges or ContinuousParameterRanges entry."""

    name: str
    kind: str  # "Integer" or "Continuous"
    low: float
    high: float
    scaling: str  # Auto, Linear, Logarithmic or ReverseLogarithmic

    @property
    def is_integer(self) -> bool:
        return self.kind == "Integer"

    def distribution(self) -> BaseDistribution:
        # NOTE: the service may pick a logarithmic scale for Auto ranges that span
        # orders of magnitude; the sandbox searches Auto ranges linearly.
        logarithmic = self.scaling == "Logarithmic"
        if self.is_integer:
            return IntDistribution(int(self.low), int(self.high), log=logarithmic)
        if self.scaling == "ReverseLogarithmic":
            return FloatDistribution(1.0 - self.high, 1.0 - self.low, log=True)
        return FloatDistribution(self.low, self.high, log=logarithmic)

    def to_value(self, internal: Any) -> str:
        """Convert a value of the searched space into the hyperparameter string."""
        if self.is_integer:
            return str(int(internal))
        value = float(internal)
        if self.scaling == "ReverseLogarithmic":
            value = 1.0 - value
        return repr(min(self.high, max(self.low, value)))

    def to_internal(self, text: str) -> Any | None:
        """Convert a hyperparameter string into the searched space; None if outside the range."""
        try:
            value = int(text) if self.is_integer else float(text)
        except ValueError:
            return None
        if not self.low <= value <= self.high:
            return None
        if self.scaling == "ReverseLogarithmic":
            return 1.0 - value
        return value


@dataclass(frozen=True)
class CategoricalRange:
    """A CategoricalParameterRanges entry."""

    name: str
    values: tuple[str, ...]

    def distribution(self) -> BaseDistribution:
        return CategoricalDistribution(self.values)

    def to_value(self, internal: Any) -> str:
        return str(internal)

    def to_internal(self, text: str) -> Any | None:
        return text if text in self.values else None


ParameterRange = NumericRange | CategoricalRange


def parse_ranges(
    parameter_ranges: dict[str, Any] | None, static_hyperparameters: dict[str, str]
) -> list[ParameterRange]:
    """Parse and validate the ParameterRanges of a tuning job configuration."""
    parameter_ranges = parameter_ranges or {}
    ranges: list[ParameterRange] = []
    for entry in parameter_ranges.get("IntegerParameterRanges") or []:
        ranges.append(_numeric(entry, "Integer"))
    for entry in parameter_ranges.get("ContinuousParameterRanges") or []:
        ranges.append(_numeric(entry, "Continuous"))
    for entry in parameter_ranges.get("CategoricalParameterRanges") or []:
        ranges.append(_categorical(entry))
    if parameter_ranges.get("AutoParameters"):
        raise ValidationException(
            "AutoParameters are not supported by the sandbox: give explicit "
            "IntegerParameterRanges, ContinuousParameterRanges or CategoricalParameterRanges."
        )
    if not ranges:
        raise ValidationException(
            "The hyperparameter tuning job has no hyperparameter ranges. Provide at least one "
            "range in IntegerParameterRanges, ContinuousParameterRanges or "
            "CategoricalParameterRanges."
        )
    _check_names(ranges, static_hyperparameters)
    return ranges


def count_combinations(ranges: Iterable[ParameterRange]) -> int | None:
    """Return the number of distinct configurations, or None when a range is continuous."""
    total = 1
    for parameter in ranges:
        if isinstance(parameter, CategoricalRange):
            total *= len(parameter.values)
        elif parameter.is_integer:
            total *= int(parameter.high - parameter.low) + 1
        else:
            return None
    return total


def _numeric(entry: dict[str, Any], kind: str) -> NumericRange:
    name = entry["Name"]
    low = _parse_bound(entry["MinValue"], "MinValue", name, kind)
    high = _parse_bound(entry["MaxValue"], "MaxValue", name, kind)
    scaling = entry.get("ScalingType") or "Auto"
    if low > high:
        raise ValidationException(
            f"The MinValue {entry['MinValue']} of the hyperparameter range '{name}' is greater "
            f"than its MaxValue {entry['MaxValue']}. Set MinValue less than or equal to MaxValue."
        )
    if scaling == "Logarithmic" and low <= 0:
        raise ValidationException(
            f"The hyperparameter range '{name}' uses ScalingType Logarithmic, which needs values "
            f"greater than 0, but its MinValue is {entry['MinValue']}. Raise MinValue above 0 or "
            "use ScalingType Linear."
        )
    if scaling == "ReverseLogarithmic" and kind == "Integer":
        raise ValidationException(
            f"The integer hyperparameter range '{name}' uses ScalingType ReverseLogarithmic, "
            "which is valid only for continuous ranges. Use Auto, Linear or Logarithmic."
        )
    if scaling == "ReverseLogarithmic" and not (low >= 0 and high < 1):
        raise ValidationException(
            f"The hyperparameter range '{name}' uses ScalingType ReverseLogarithmic, which needs "
            f"0 <= MinValue and MaxValue < 1, but the range is [{entry['MinValue']}, "
            f"{entry['MaxValue']}]. Narrow the range or use ScalingType Linear."
        )
    return NumericRange(name, kind, low, high, scaling)


def _parse_bound(text: str, member: str, name: str, kind: str) -> float:
    try:
        value: float = int(text) if kind == "Integer" else float(text)
    except ValueError:
        expected = "an integer" if kind == "Integer" else "a number"
        raise ValidationException(
            f"The {member} '{text}' of the {kind.lower()} hyperparameter range '{name}' is not "
            f"{expected}. Give {member} as {expected}, for example '1'."
        ) from None
    if not math.isfinite(value):
        raise ValidationException(
            f"The {member} '{text}' of the hyperparameter range '{name}' is not a finite number. "
            f"Give a finite {member}."
        )
    return value


def _categorical(entry: dict[str, Any]) -> CategoricalRange:
    name = entry["Name"]
    values = tuple(entry["Values"])
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        raise ValidationException(
            f"The categorical hyperparameter range '{name}' lists the value(s) "
            f"{', '.join(repr(value) for value in duplicates)} more than once. "
            "List each value once."
        )
    return CategoricalRange(name, values)


def _check_names(ranges: list[ParameterRange], static_hyperparameters: dict[str, str]) -> None:
    seen: set[str] = set()
    for parameter in ranges:
        if parameter.name in seen:
            raise ValidationException(
                f"The hyperparameter '{parameter.name}' has more than one range. "
                "Give each tuned hyperparameter one range."
            )
        seen.add(parameter.name)
        if parameter.name in static_hyperparameters:
            raise ValidationException(
                f"The hyperparameter '{parameter.name}' is both in StaticHyperParameters and in "
                "ParameterRanges. Remove it from one of them."
            )
    total = len(seen) + len(static_hyperparameters)
    if total > MAX_HYPERPARAMETERS:
        raise ValidationException(
            f"The training job definition has {total} hyperparameters, static and tuned "
            f"together; the limit is {MAX_HYPERPARAMETERS}. Remove some of them."
        )
