"""Data capture: JSON Lines records of an endpoint's requests and responses in S3.

Layout and record fields follow SageMaker's data capture:
`<DestinationS3Uri>/<EndpointName>/<VariantName>/yyyy/mm/dd/hh/<MM>-<SS>-<mmm>-<uuid>.jsonl`
(UTC time of the invocation), each line holding `captureData`, `eventMetadata` and
`eventVersion`. SageMaker buffers records and delivers a file every few minutes. The
sandbox writes one file per captured invocation before InvokeEndpoint returns, so the
capture can be read right after the call.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..services import S3Store, S3Uri

# NOTE: when CaptureContentTypeHeader is omitted the sandbox applies the SageMaker Python
# SDK's defaults; what the service itself does then is not documented.
DEFAULT_CSV_TYPES = ("text/csv",)
DEFAULT_JSON_TYPES = ("application/json",)
EVENT_VERSION = "0"


@dataclass(frozen=True)
class CapturedCall:
    """The request and response of one invocation, as data capture records them."""

    endpoint: str
    variant: str
    request_body: bytes
    request_content_type: str
    response_body: bytes
    response_content_type: str
    inference_id: str | None
    time: dt.datetime


@dataclass(frozen=True)
class DataCapture:
    """The DataCaptureConfig of an endpoint configuration, ready to apply."""

    destination: S3Uri
    sampling_percentage: float
    capture_input: bool
    capture_output: bool
    csv_types: Sequence[str]
    json_types: Sequence[str]

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> DataCapture | None:
        """Return the capture settings, or None when capture is absent or disabled."""
        if not config or not config.get("EnableCapture", True):
            return None
        modes = {option["CaptureMode"] for option in config.get("CaptureOptions") or []}
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(
            destination=S3Uri.parse(config["DestinationS3Uri"]),
            sampling_percentage=float(config["InitialSamplingPercentage"]),
            capture_input=bool(modes & {"Input", "InputAndOutput"}),
            capture_output=bool(modes & {"Output", "InputAndOutput"}),
            csv_types=_media_types(header.get("CsvContentTypes") or DEFAULT_CSV_TYPES),
            json_types=_media_types(header.get("JsonContentTypes") or DEFAULT_JSON_TYPES),
        )

    def sampled(self, rng: random.Random) -> bool:
        """Draw whether one invocation is captured, with the configured probability."""
        return rng.random() * 100 < self.sampling_percentage

    def record(self, call: CapturedCall) -> dict[str, Any]:
        """Build the JSON record of one invocation."""
        capture_data: dict[str, Any] = {}
        if self.capture_input:
            capture_data["endpointInput"] = self._payload(
                call.request_body, call.request_content_type, "INPUT"
            )
        if self.capture_output:
            capture_data["endpointOutput"] = self._payload(
                call.response_body, call.response_content_type, "OUTPUT"
            )
        metadata = {
            "eventId": str(uuid.uuid4()),
            "inferenceTime": call.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if call.inference_id:
            metadata["inferenceId"] = call.inference_id
        return {
            "captureData": capture_data,
            "eventMetadata": metadata,
            "eventVersion": EVENT_VERSION,
        }

    def write(self, store: S3Store, call: CapturedCall) -> S3Uri:
        """Store the record of one invocation as its own JSON Lines object."""
        stamp = call.time.astimezone(dt.timezone.utc)
        prefix = self.destination.key.rstrip("/")
        folder = f"{call.endpoint}/{call.variant}/{stamp:%Y/%m/%d/%H}"
        name = f"{stamp:%M-%S}-{stamp.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
        key = f"{prefix}/{folder}/{name}" if prefix else f"{folder}/{name}"
        uri = S3Uri(self.destination.bucket, key)
        line = json.dumps(self.record(call), separators=(",", ":")) + "\n"
        store.write(uri, line.encode("utf-8"))
        return uri

    def _payload(self, body: bytes, content_type: str, mode: str) -> dict[str, str]:
        encoding = self._encoding(content_type)
        if encoding != "BASE64":
            try:
                data = body.decode("utf-8")
            except UnicodeDecodeError:
                encoding = "BASE64"
        if encoding == "BASE64":
            data = base64.b64encode(body).decode("ascii")
        return {
            "observedContentType": content_type,
            "mode": mode,
            "data": data,
            "encoding": encoding,
        }

    def _encoding(self, content_type: str) -> str:
        media_type = _media_type(content_type)
        if media_type in self.csv_types:
            return "CSV"
        if media_type in self.json_types:
            return "JSON"
        return "BASE64"


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _media_types(content_types: Sequence[str]) -> tuple[str, ...]:
    return tuple(_media_type(content_type) for content_type in content_types)
