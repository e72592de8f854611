"""Lay out a training job's working directory the way the container expects /opt/ml.

Writes `input/config/*.json` and copies each channel's S3 objects to
`input/data/<channel>/`, keeping key paths relative to the channel's prefix.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..instances import vcpus
from ..services import S3Store, S3Uri


class ChannelError(Exception):
    """A channel could not be downloaded; the message becomes the job's failure reason."""


def write_configs(job_dir: Path, request: dict[str, Any]) -> None:
    config = job_dir / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (job_dir / "model").mkdir(exist_ok=True)
    (job_dir / "output" / "data").mkdir(parents=True, exist_ok=True)

    hosts = [f"algo-{index}" for index in range(1, _instance_count(request) + 1)]
    _write_json(config / "hyperparameters.json", request.get("HyperParameters") or {})
    _write_json(config / "inputdataconfig.json", _input_data_config(request))
    _write_json(
        config / "resourceconfig.json",
        {
            "current_host": "algo-1",
            "current_instance_type": request["ResourceConfig"]["InstanceType"],
            "hosts": hosts,
            "network_interface_name": "eth0",
        },
    )
    if request.get("CheckpointConfig"):
        _write_json(config / "checkpointconfig.json", request["CheckpointConfig"])


def download_channels(job_dir: Path, request: dict[str, Any], store: S3Store) -> int:
    """Copy every channel's objects into input/data/<channel>/; return the bytes copied."""
    copied = 0
    for channel in request.get("InputDataConfig") or []:
        target = job_dir / "input" / "data" / channel["ChannelName"]
        target.mkdir(parents=True, exist_ok=True)
        source = channel["DataSource"].get("S3DataSource")
        if source is None:
            raise ChannelError(
                f"ClientError: channel {channel['ChannelName']!r} has no S3DataSource: "
                "the sandbox reads channels from S3 only"
            )
        for relative, body in _objects(source, store):
            path = _safe_join(target, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            copied += len(body)
    return copied


def requested_threads(request: dict[str, Any]) -> int:
    return vcpus(request["ResourceConfig"]["InstanceType"])


def _objects(source: dict[str, Any], store: S3Store) -> Iterator[tuple[str, bytes]]:
    """Yield (path below the channel, body) one object at a time, so one body is in memory."""
    uri = S3Uri.parse(source["S3Uri"])
    data_type = source.get("S3DataType", "S3Prefix")
    if data_type == "ManifestFile":
        yield from _manifest_objects(uri, store)
        return
    if data_type != "S3Prefix":
        raise ChannelError(
            f"ClientError: S3DataType {data_type} is not supported by the sandbox: "
            "use S3Prefix or ManifestFile"
        )
    for key in store.list_keys(uri):
        if key.endswith("/"):
            continue
        body = store.read(S3Uri(uri.bucket, key))
        if body is not None:
            yield _relative_key(uri.key, key), body


def _manifest_objects(uri: S3Uri, store: S3Store) -> Iterator[tuple[str, bytes]]:
    manifest = store.read(uri)
    if manifest is None:
        raise ChannelError(f"ClientError: the manifest file {uri} does not exist")
    try:
        entries = json.loads(manifest)
        prefix = S3Uri.parse(entries[0]["prefix"])
        names = [str(name) for name in entries[1:]]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ChannelError(
            f"ClientError: the manifest file {uri} is not a JSON list starting with "
            f'{{"prefix": "s3://bucket/prefix/"}} followed by relative keys ({error})'
        ) from None
    for name in names:
        key = posixpath.join(prefix.key, name)
        body = store.read(S3Uri(prefix.bucket, key))
        if body is None:
            raise ChannelError(
                f"ClientError: the manifest lists s3://{prefix.bucket}/{key}, which does not exist"
            )
        yield name, body


def _relative_key(prefix: str, key: str) -> str:
    """Return the path of key below the channel prefix (the file name for an exact key)."""
    if key == prefix:
        return posixpath.basename(key)
    remainder = key[len(prefix) :]
    if prefix.endswith("/") or remainder.startswith("/"):
        return remainder.lstrip("/")
    parent = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    return key[len(parent) :]


def _safe_join(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ChannelError(f"ClientError: S3 key {relative!r} points outside the channel directory")
    return path


def _input_data_config(request: dict[str, Any]) -> dict[str, Any]:
    config = {}
    mode = request["AlgorithmSpecification"].get("TrainingInputMode", "File")
    for channel in request.get("InputDataConfig") or []:
        source = channel["DataSource"].get("S3DataSource") or {}
        entry = {
            "TrainingInputMode": channel.get("InputMode", mode),
            "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
        if "ContentType" in channel:
            entry["ContentType"] = channel["ContentType"]
        config[channel["ChannelName"]] = entry
    return config


def _instance_count(request: dict[str, Any]) -> int:
    return int(request["ResourceConfig"].get("InstanceCount", 1))


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True))
