"""Platform metric definitions and metric directions of built-in XGBoost."""

from __future__ import annotations

import re

from sandbox.algorithms.xgboost import metric_direction, platform_metric_definitions
from sandbox.algorithms.xgboost.metrics import platform_metric_markers


def test_definitions_match_cloudwatch_log_line() -> None:
    definitions = {item["Name"]: item["Regex"] for item in platform_metric_definitions()}
    line = "[7]#011train-logloss:0.51314#011validation-auc:0.90123#011validation-logloss:0.6"

    assert re.match(definitions["train:logloss"], line).group(1) == "0.51314"
    assert re.match(definitions["validation:auc"], line).group(1) == "0.90123"
    assert re.match(definitions["validation:logloss"], line).group(1) == "0.6"
    assert re.match(definitions["train:auc"], line) is None


def test_markers_are_literal_parts_of_regexes() -> None:
    markers = platform_metric_markers()
    regexes = [item["Regex"] for item in platform_metric_definitions()]

    assert sorted(markers) == sorted(regexes)
    for regex, marker in markers.items():
        line = f"[12]{marker}0.25#011other-metric:1"
        assert re.search(regex, line).group(1) == "0.25"
        assert re.search(regex, line.replace(marker, marker.upper())) is None


def test_definitions_cover_both_channels() -> None:
    names = {item["Name"] for item in platform_metric_definitions()}
    assert {"train:rmse", "validation:rmse", "validation:accuracy", "train:mlogloss"} <= names


def test_metric_direction() -> None:
    assert metric_direction("validation:auc") == "Maximize"
    assert metric_direction("validation:f1") == "Maximize"
    assert metric_direction("validation:rmse") == "Minimize"
    assert metric_direction("train:error@0.7") == "Minimize"
    assert metric_direction("ndcg@5") == "Maximize"
