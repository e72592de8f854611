"""The training job's CloudWatch log stream and the metrics SageMaker parses out of it."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from ..lifecycle import utcnow
from ..services import LogStreamWriter, put_metrics
from .models import TrainingJob

logger = logging.getLogger(__name__)

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
METRICS_NAMESPACE = "/aws/sagemaker/TrainingJobs"
# The round number that starts a per-round evaluation line, e.g. "[12]#011train-auc:0.9".
ROUND_PATTERN = re.compile(r"\[([0-9]+)\]")


class TrainingLog:
    """Write container output as CloudWatch Logs saves it and extract metrics from it.

    CloudWatch stores a tab as the text `#011`, and the metric regexes of built-in
    algorithms expect exactly that, so tabs are converted before matching. Each host
    of a job writes its own stream.
    """

    def __init__(
        self, job: TrainingJob, metric_definitions: list[dict[str, str]], host: str = "algo-1"
    ) -> None:
        from ...algorithms.xgboost.metrics import platform_metric_markers

        epoch = int(job.creation_time.timestamp())
        self.job = job
        self.stream = f"{job.name}/{host}-{epoch}"
        self._writer = LogStreamWriter(job.account_id, job.region, LOG_GROUP, self.stream)
        markers = platform_metric_markers()
        self._metrics = [
            (definition["Name"], re.compile(definition["Regex"]), markers.get(definition["Regex"]))
            for definition in metric_definitions
        ]
        self._latest: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        message = line.rstrip("\n").replace("\t", "#011")
        self._writer.write([message])
        self._extract_metrics(message)

    def final_metrics(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._latest.values())

    def _extract_metrics(self, message: str) -> None:
        found: list[dict[str, Any]] = []
        for name, regex, marker in self._metrics:
            if marker is not None and marker not in message:
                continue
            match = regex.search(message)
            if match is None or not match.groups():
                continue
            try:
                value = float(match.group(1))
            except ValueError:
                continue
            found.append({"MetricName": name, "Value": value, "Timestamp": utcnow()})
        if not found:
            return
        with self._lock:
            for datapoint in found:
                self._latest[datapoint["MetricName"]] = datapoint
        self._notify_listeners(message, found)
        put_metrics(
            self.job.account_id,
            self.job.region,
            METRICS_NAMESPACE,
            [
                {
                    "MetricName": datapoint["MetricName"],
                    "Value": datapoint["Value"],
                    "Unit": "None",
                    "Dimensions": [{"Name": "TrainingJobName", "Value": self.job.name}],
                }
                for datapoint in found
            ],
        )

    def _notify_listeners(self, message: str, found: list[dict[str, Any]]) -> None:
        """Pass per-round values to the job's metric listeners; a failing listener is logged."""
        round_match = ROUND_PATTERN.match(message)
        if round_match is None or not self.job.metric_listeners:
            return
        round_number = int(round_match.group(1))
        for listener in list(self.job.metric_listeners):
            for datapoint in found:
                try:
                    listener(datapoint["MetricName"], round_number, datapoint["Value"])
                except Exception:
                    logger.exception(
                        "training job %s: metric listener failed on round %s",
                        self.job.name,
                        round_number,
                    )
