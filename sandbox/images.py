"""The built-in XGBoost image URIs, per region and version.

The table in `data/images.json` comes from the SageMaker Python SDK's image URI
configuration; the local and the AWS backends read it through these functions so that
a lab resolves the same URI on both.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import botocore.session

IMAGE_PATTERN = re.compile(
    r"^(?P<account>\d{12})\.dkr\.(?P<host>ecr\.[a-z0-9.-]+)/(?P<repository>[a-z0-9._/-]+)"
    r"(?::(?P<tag>[A-Za-z0-9._-]+)|@(?P<digest>sha256:[0-9a-f]+))$"
)


class ImageError(ValueError):
    """An image URI or version that the table does not know."""


@dataclass(frozen=True)
class ImageRef:
    account: str
    region: str
    repository: str
    tag: str


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    text = resources.files("sandbox").joinpath("data/images.json").read_text()
    table: dict[str, Any] = json.loads(text)
    return table


def framework_versions(framework: str = "xgboost") -> list[str]:
    return list(_entry(framework)["versions"])


def image_uri(framework: str, version: str, region: str) -> str:
    """Return the ECR URI of a built-in algorithm image, e.g. ("xgboost", "1.7-1", "us-east-1")."""
    entry = _entry(framework)
    if framework == "xgboost" and version in ("1", "latest"):
        entry, framework = _entry("xgboost-legacy"), "xgboost-legacy"
        version = entry["aliases"].get(version, version)
    if version not in entry["versions"]:
        known = ", ".join(entry["versions"])
        raise ImageError(
            f"{framework} version {version!r} is not a built-in image version: use one of {known}"
        )
    account = entry["accounts"].get(region)
    if account is None:
        raise ImageError(
            f"the {framework} image is not published in region {region!r}: "
            f"use one of {', '.join(sorted(entry['accounts']))}"
        )
    return f"{account}.dkr.{_ecr_hostname(region)}/{entry['repository']}:{version}"


def parse_image_uri(uri: str) -> ImageRef:
    """Split an ECR image URI; raise ImageError if it is not one."""
    match = IMAGE_PATTERN.match(uri)
    if match is None:
        raise ImageError(
            f"{uri!r} is not an ECR image URI of the form "
            "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>"
        )
    region = match["host"].split(".")[1]
    return ImageRef(match["account"], region, match["repository"], match["tag"] or "")


def is_builtin_xgboost(uri: str) -> bool:
    try:
        ref = parse_image_uri(uri)
    except ImageError:
        return False
    return ref.repository == "sagemaker-xgboost"


def _entry(framework: str) -> dict[str, Any]:
    table = _table()
    if framework not in table or framework.startswith("_"):
        known = ", ".join(name for name in table if not name.startswith("_"))
        raise ImageError(f"unknown framework {framework!r}: use one of {known}")
    entry: dict[str, Any] = table[framework]
    return entry


@functools.lru_cache(maxsize=64)
def _ecr_hostname(region: str) -> str:
    """Return the ECR host for the region, with the partition's DNS suffix from botocore."""
    session = botocore.session.get_session()
    partition = session.get_partition_for_region(region)
    resolver = session._get_internal_component("endpoint_resolver")
    return f"ecr.{region}.{resolver.get_partition_dns_suffix(partition)}"
