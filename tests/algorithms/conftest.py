"""Builders of small /opt/ml-shaped job folders for the XGBoost algorithm tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xgboost_job_helpers import JobBuilder


@pytest.fixture
def make_job(tmp_path: Path) -> JobBuilder:
    """Return a function that writes a job folder and returns its path.

    ``channels`` maps a channel name to ``(content_type or None, {relative path: bytes or str})``.
    """

    def build(
        hyperparameters: dict[str, str],
        channels: dict[str, tuple[str | None, dict[str, bytes | str]]],
        hosts: int = 1,
    ) -> Path:
        job = tmp_path / "job"
        config = job / "input" / "config"
        config.mkdir(parents=True)
        (job / "model").mkdir()
        (job / "output").mkdir()
        (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
        data_config = {}
        for name, (content_type, files) in channels.items():
            settings = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}
            if content_type is not None:
                settings["ContentType"] = content_type
            data_config[name] = settings
            folder = job / "input" / "data" / name
            folder.mkdir(parents=True)
            for relative, content in files.items():
                path = folder / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, str):
                    path.write_text(content)
                else:
                    path.write_bytes(content)
        (config / "inputdataconfig.json").write_text(json.dumps(data_config))
        host_names = [f"algo-{i}" for i in range(1, hosts + 1)]
        resources = {
            "current_host": "algo-1",
            "hosts": host_names,
            "network_interface_name": "eth0",
        }
        (config / "resourceconfig.json").write_text(json.dumps(resources))
        return job

    return build
