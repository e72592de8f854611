"""The search strategies: which hyperparameters the next training job gets.

Bayesian, Random and Hyperband run on an Optuna study driven through its ask-and-tell
interface: Bayesian with the TPE sampler, Random with the random sampler, Hyperband
with the random sampler and Optuna's Hyperband pruner, which decides from per-round
objective values which training jobs stop early. Grid walks every combination of the
categorical ranges in order. Every method is safe to call from several threads.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import TrialState

from .config import TuningSpec
from .ranges import CategoricalRange

logger = logging.getLogger(__name__)

# Optuna logs every finished trial at INFO on its own handler; the service prints nothing
# of the kind, so the sandbox keeps Optuna to warnings.
optuna.logging.set_verbosity(optuna.logging.WARNING)

# Hyperband halves its brackets by this factor, as Optuna's and the original algorithm do.
HYPERBAND_REDUCTION_FACTOR = 3


@dataclass(frozen=True)
class Evaluation:
    """A finished configuration: tuned hyperparameter strings and the objective value."""

    tuned: dict[str, str]
    value: float


@dataclass
class Candidate:
    """The hyperparameters chosen for one training job, with the optimiser's handle."""

    tuned: dict[str, str]
    handle: Any = None


class Search:
    """Base class; subclasses choose candidates and learn from the results."""

    def suggest(self) -> Candidate | None:
        """Return the next configuration, or None when the search space is exhausted."""
        raise NotImplementedError

    def report(self, candidate: Candidate, rounds: int, value: float) -> bool:
        """Record an intermediate objective value; return True if the job should stop."""
        return False

    def tell(self, candidate: Candidate, value: float | None, state: str) -> None:
        """Record the end of a job: state is "complete", "stopped" or "failed"."""


class OptunaSearch(Search):
    def __init__(self, spec: TuningSpec, seeds: list[Evaluation]) -> None:
        self.spec = spec
        self.distributions: dict[str, BaseDistribution] = {
            parameter.name: parameter.distribution() for parameter in spec.ranges
        }
        self._lock = threading.Lock()
        self.study = optuna.create_study(
            direction="maximize" if spec.maximize else "minimize",
            sampler=_sampler(spec),
            pruner=_pruner(spec),
        )
        self._add_seeds(seeds)

    def suggest(self) -> Candidate | None:
        with self._lock:
            trial = self.study.ask(self.distributions)
        tuned = {
            parameter.name: parameter.to_value(trial.params[parameter.name])
            for parameter in self.spec.ranges
        }
        return Candidate(tuned, trial)

    def report(self, candidate: Candidate, rounds: int, value: float) -> bool:
        if self.spec.hyperband is None:
            return False
        trial = candidate.handle
        with self._lock:
            trial.report(value, rounds)
            return bool(trial.should_prune())

    def tell(self, candidate: Candidate, value: float | None, state: str) -> None:
        with self._lock:
            if state == "complete" and value is not None:
                self.study.tell(candidate.handle, value)
            elif state == "stopped":
                self.study.tell(candidate.handle, state=TrialState.PRUNED)
            else:
                self.study.tell(candidate.handle, state=TrialState.FAIL)

    def _add_seeds(self, seeds: list[Evaluation]) -> None:
        """Add the results of parent tuning jobs as finished trials (warm start)."""
        ranges = {parameter.name: parameter for parameter in self.spec.ranges}
        added = 0
        for seed in seeds:
            params: dict[str, Any] = {}
            for name, text in seed.tuned.items():
                parameter = ranges.get(name)
                internal = parameter.to_internal(text) if parameter else None
                if internal is not None:
                    params[name] = internal
            if not params:
                continue
            distributions = {name: self.distributions[name] for name in params}
            trial = optuna.trial.create_trial(
                params=params, distributions=distributions, value=seed.value
            )
            self.study.add_trial(trial)
            added += 1
        if seeds:
            logger.info("warm start: %s of %s parent results seed the search", added, len(seeds))


class GridSearch(Search):
    """Every combination of the categorical ranges, each once, in the order given."""

    def __init__(self, spec: TuningSpec) -> None:
        ranges = [p for p in spec.ranges if isinstance(p, CategoricalRange)]
        names = [parameter.name for parameter in ranges]
        self._combinations = (
            dict(zip(names, values, strict=True))
            for values in itertools.product(*(p.values for p in ranges))
        )
        self._lock = threading.Lock()

    def suggest(self) -> Candidate | None:
        with self._lock:
            tuned = next(self._combinations, None)
        return None if tuned is None else Candidate(tuned)


def make_search(spec: TuningSpec, seeds: list[Evaluation]) -> Search:
    """Return the search for the spec's strategy, seeded with warm-start results."""
    if spec.strategy == "Grid":
        # NOTE: Grid evaluates every combination even when a warm-start parent already did.
        return GridSearch(spec)
    return OptunaSearch(spec, seeds)


def _sampler(spec: TuningSpec) -> optuna.samplers.BaseSampler:
    if spec.strategy == "Bayesian":
        # A third of the budget (2 to 10 jobs) explores at random before TPE models the
        # results. The constant liar keeps parallel jobs from proposing the same point.
        # With parallel jobs the proposals depend on the order in which jobs finish, so
        # RandomSeed reproduces a Bayesian run only with MaxParallelTrainingJobs=1.
        startup = min(10, max(2, spec.max_jobs // 3))
        return optuna.samplers.TPESampler(
            seed=spec.random_seed, n_startup_trials=startup, constant_liar=True
        )
    return optuna.samplers.RandomSampler(seed=spec.random_seed)


def _pruner(spec: TuningSpec) -> optuna.pruners.BasePruner:
    if spec.hyperband is None:
        return optuna.pruners.NopPruner()
    return optuna.pruners.HyperbandPruner(
        min_resource=spec.hyperband.min_resource,
        max_resource=spec.hyperband.max_resource,
        reduction_factor=HYPERBAND_REDUCTION_FACTOR,
    )
