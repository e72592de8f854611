"""Run one batch transform job off the request thread: load, split, invoke, assemble, write.

Objects under the input prefix are transformed one after the other, in key order. The
mini-batches of an object go to the model server on up to MaxConcurrentTransforms
threads and their responses are assembled in input order. Outputs are written when the
job ends: all of them on success, those of the finished objects on failure, none when
the job is stopped (as on SageMaker).
"""

from __future__ import annotations

import gzip
import logging
import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...images import is_builtin_xgboost
from .. import workers
from ..lifecycle import JobStatus, utcnow
from ..services import S3Store, S3Uri
from .logs import TransformLog
from .models import TransformJob
from .records import (
    DataProcessing,
    RecordError,
    pack,
    pack_lines,
    response_records,
    split_records,
)
from .servers import model_server

if TYPE_CHECKING:
    from ...algorithms.xgboost import XGBoostModelServer
    from ..hosting.models import Model

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024


class TransformFailure(Exception):
    """The job cannot go on; the message becomes its FailureReason."""


class StopRequested(Exception):
    """StopTransformJob was called while the job ran."""


@dataclass(frozen=True)
class Settings:
    """How records are packed and sent, after the container's defaults are applied."""

    content_type: str | None
    accept: str | None
    split_type: str
    multi_record: bool
    max_payload_bytes: int
    concurrency: int
    assemble_lines: bool
    processing: DataProcessing | None


def run_transform_job(job: TransformJob, model: Model, partition: str = "aws") -> None:
    """Carry a job from InProgress to a terminal status; never raises."""
    try:
        _run(job, model, S3Store(job.account_id, partition))
    except StopRequested:
        job.finish(JobStatus.STOPPED)
        logger.info("transform job %s: stopped", job.name)
    except TransformFailure as error:
        job.finish(JobStatus.FAILED, failure_reason=str(error))
        logger.info("transform job %s: failed: %s", job.name, error)
    except Exception as error:
        logger.exception("transform job %s: internal error", job.name)
        job.finish(
            JobStatus.FAILED,
            failure_reason=f"InternalServerError: the sandbox failed to run the job: {error!r}",
        )


def _run(job: TransformJob, model: Model, store: S3Store) -> None:
    job.start_time = utcnow()
    log = TransformLog(job.account_id, job.region, job.name)
    server = _load_server(job, model, store, log)
    settings = _settings(job, server)
    log.data(
        f"MaxConcurrentTransforms={settings.concurrency}, "
        f"MaxPayloadInMB={settings.max_payload_bytes // MEGABYTE}, "
        f"BatchStrategy={'MULTI_RECORD' if settings.multi_record else 'SINGLE_RECORD'}"
    )
    source = S3Uri.parse(job.request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"])
    keys = [key for key in store.list_keys(source) if not key.endswith("/")]
    if not keys:
        raise TransformFailure(
            f"ClientError: No S3 objects found under S3 URL {source}: upload the input "
            "objects, or correct TransformInput.DataSource.S3DataSource.S3Uri."
        )

    output_root = S3Uri.parse(job.request["TransformOutput"]["S3OutputPath"])
    outputs: list[tuple[S3Uri, bytes]] = []
    threads = workers.threads_for_job(settings.concurrency)
    try:
        with ThreadPoolExecutor(threads, thread_name_prefix=f"transform-{job.name}") as pool:
            for key in keys:
                _check_stop(job)
                body = _transform_object(job, server, settings, store, source, key, pool, log)
                outputs.append((_output_uri(output_root, source.key, key), body))
    except TransformFailure:
        _write(store, outputs)
        raise
    _check_stop(job)
    _write(store, outputs)
    job.finish(JobStatus.COMPLETED)
    logger.info("transform job %s: completed, %d output objects", job.name, len(outputs))


def _load_server(
    job: TransformJob, model: Model, store: S3Store, log: TransformLog
) -> XGBoostModelServer:
    from ...algorithms.xgboost import ModelLoadError

    container = model.container
    image = container.get("Image", "")
    if not is_builtin_xgboost(image):
        raise TransformFailure(
            f"ClientError: the sandbox runs the built-in XGBoost image only, not {image!r}."
        )
    url = container.get("ModelDataUrl", "")
    archive = store.read(S3Uri.parse(url)) if url else None
    if archive is None:
        raise TransformFailure(
            f"ClientError: Failed to download model data from {url or '(no ModelDataUrl)'}: "
            "the object does not exist. Please ensure that the model artifact exists."
        )
    environment = {
        **(container.get("Environment") or {}),
        **(job.request.get("Environment") or {}),
        "SAGEMAKER_BATCH": "True",
    }
    try:
        server = model_server(archive, environment)
    except ModelLoadError as error:
        log.instance(f"Unable to load model: {error}")
        raise TransformFailure(
            f"ClientError: the model of {model.name} cannot be loaded: {error}"
        ) from None
    log.instance(f"Loaded model {model.name} from {url}")
    return server


def _settings(job: TransformJob, server: XGBoostModelServer) -> Settings:
    """Fill MaxConcurrentTransforms, BatchStrategy and MaxPayloadInMB from the container."""
    parameters = server.execution_parameters()
    request = job.request
    with job.lock:
        if not request.get("MaxConcurrentTransforms"):
            request["MaxConcurrentTransforms"] = int(str(parameters["MaxConcurrentTransforms"]))
        request.setdefault("BatchStrategy", "MultiRecord")
        request.setdefault("MaxPayloadInMB", int(str(parameters["MaxPayloadInMB"])))
    if request["MaxPayloadInMB"] == 0:
        raise TransformFailure(
            "ClientError: MaxPayloadInMB 0 asks for chunked transfer, which the built-in "
            "XGBoost container does not support: set MaxPayloadInMB between 1 and 100."
        )
    transform_input = request["TransformInput"]
    return Settings(
        content_type=transform_input.get("ContentType"),
        accept=request["TransformOutput"].get("Accept"),
        split_type=transform_input["SplitType"],
        multi_record=request["BatchStrategy"] == "MultiRecord",
        max_payload_bytes=request["MaxPayloadInMB"] * MEGABYTE,
        concurrency=request["MaxConcurrentTransforms"],
        assemble_lines=request["TransformOutput"]["AssembleWith"] == "Line",
        processing=DataProcessing.from_request(
            request.get("DataProcessing"), transform_input.get("ContentType")
        ),
    )


def _transform_object(
    job: TransformJob,
    server: XGBoostModelServer,
    settings: Settings,
    store: S3Store,
    source: S3Uri,
    key: str,
    pool: ThreadPoolExecutor,
    log: TransformLog,
) -> bytes:
    location = f"{source.bucket}/{key}"
    data = _read_object(store, S3Uri(source.bucket, key), job.request["TransformInput"])
    try:
        payloads, counts, parsed = _payloads(settings, data)
        if len(payloads) == 1:
            # One payload gains nothing from the pool, so it skips the hop to a pool thread.
            responses = [_invoke(job, server, settings, payloads[0])]
        else:
            responses = list(
                pool.map(lambda payload: _invoke(job, server, settings, payload), payloads)
            )
        return _assemble(settings, counts, responses, parsed)
    except _ContainerError as error:
        log.data(f"{location}: {error.kind}: {error.status}")
        log.data(f"{location}: Message:")
        log.data(f"{location}: {error.message}")
        raise TransformFailure(f"{error.kind}: See job logs for more information") from None
    except (RecordError, ValueError) as error:
        log.data(f"{location}: ClientError: {error}")
        raise TransformFailure(f"ClientError: {location}: {error}") from None


class _ContainerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = "ClientError" if status < 500 else "AlgorithmError"


def _payloads(settings: Settings, data: bytes) -> tuple[list[bytes], list[int], list[Any]]:
    """Return the request bodies of one object, their record counts and the parsed records.

    Counts and parsed records are filled only with DataProcessing, which joins each output
    to its input record.
    """
    if settings.processing is None and settings.split_type == "Line" and settings.multi_record:
        sliced = pack_lines(data, settings.max_payload_bytes)
        if sliced is not None:
            return sliced, [], []

    records = split_records(data, settings.split_type)
    parsed: list[Any] = []
    if settings.processing is not None:
        pairs = [settings.processing.model_input(record) for record in records]
        parsed = [pair[0] for pair in pairs]
        records = [pair[1] for pair in pairs]
    batches = pack(
        records, multi_record=settings.multi_record, max_bytes=settings.max_payload_bytes
    )
    payloads, counts = [], []
    for batch in batches:
        payloads.append(b"\n".join(batch))
        counts.append(len(batch))
    return payloads, counts, parsed


def _invoke(
    job: TransformJob, server: XGBoostModelServer, settings: Settings, payload: bytes
) -> bytes:
    _check_stop(job)
    response = server.invoke(payload, settings.content_type, settings.accept, batch=True)
    if response.status >= 400:
        raise _ContainerError(response.status, response.body.decode("utf-8", errors="replace"))
    return response.body


def _assemble(
    settings: Settings, counts: list[int], responses: list[bytes], parsed: list[Any]
) -> bytes:
    if settings.processing is None:
        if not settings.assemble_lines:
            return b"".join(responses)
        return b"".join(body if body.endswith(b"\n") else body + b"\n" for body in responses)
    lines: list[str] = []
    position = 0
    for count, body in zip(counts, responses, strict=True):
        predictions = response_records(body, count)
        for prediction in predictions:
            lines.append(settings.processing.output(parsed[position], prediction))
            position += 1
    separator = "\n" if settings.assemble_lines else ""
    return "".join(line + separator for line in lines).encode("utf-8")


def _read_object(store: S3Store, uri: S3Uri, transform_input: dict[str, Any]) -> bytes:
    data = store.read(uri)
    if data is None:
        raise TransformFailure(f"ClientError: input object {uri} disappeared during the job.")
    if transform_input.get("CompressionType") == "Gzip":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise TransformFailure(
                f"ClientError: {uri} is not gzip-compressed ({error}): set CompressionType "
                "to None, or compress the object with gzip."
            ) from None
    return data


def _output_uri(root: S3Uri, input_prefix: str, key: str) -> S3Uri:
    """Return `<S3OutputPath>/<path of the object below the input prefix>.out`."""
    if key == input_prefix:
        relative = posixpath.basename(key)
    elif input_prefix.endswith("/") or key[len(input_prefix) : len(input_prefix) + 1] == "/":
        relative = key[len(input_prefix) :].lstrip("/")
    else:
        folder = input_prefix.rpartition("/")[0]
        relative = key[len(folder) :].lstrip("/")
    base = root.key.rstrip("/")
    return S3Uri(root.bucket, f"{base}/{relative}.out" if base else f"{relative}.out")


def _write(store: S3Store, outputs: list[tuple[S3Uri, bytes]]) -> None:
    for uri, body in outputs:
        store.write(uri, body)


def _check_stop(job: TransformJob) -> None:
    if job.stop_requested.is_set():
        raise StopRequested()
