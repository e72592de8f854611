"""Collect submissions from a folder or an LMS zip, with a repairing preflight."""

from grader.collect.collect import CollectEntry, CollectReport, collect
from grader.collect.preflight import PreflightResult, preflight

__all__ = ["CollectEntry", "CollectReport", "PreflightResult", "collect", "preflight"]
