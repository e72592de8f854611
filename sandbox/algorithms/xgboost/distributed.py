"""Multi-host training: one worker process per host, joined by XGBoost's collective.

The container runs one copy of itself per host (``algo-1`` ... ``algo-N``). Each
host builds a DMatrix from its own copy of the channels: ``ShardedByS3Key`` gives
every host a disjoint subset of the objects, and ``FullyReplicated`` gives every
host all of them, so N replicated hosts train as if each row appeared N times.
XGBoost's collective sums the gradient statistics of all hosts each round, and
only rank 0 (algo-1) saves the model.

Here every host is a local process that runs ``worker.main`` and the tracker
listens on 127.0.0.1 in the calling process. At most
MAX_WORKER_PROCESSES processes run. With more hosts, one process trains on the
data of several hosts, which gives the same sums.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xgboost.core import XGBoostError
from xgboost.tracker import RabitTracker

from sandbox.algorithms.xgboost import data
from sandbox.algorithms.xgboost.errors import ToolkitError, UserError
from sandbox.algorithms.xgboost.params import build_plan
from sandbox.algorithms.xgboost.training import (
    TrainingOutcome,
    _Console,
    _failure,
    _TrainingRun,
)

logger = logging.getLogger(__name__)

# A laptop has a few cores, and each process holds its share of the data.
MAX_WORKER_PROCESSES = 4
SHARDED = "ShardedByS3Key"
TRACKER_HOST = "127.0.0.1"
POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 5.0
# Runs sandbox.algorithms.xgboost.worker.main(SPEC). A thread started before any
# import exits the process when stdin closes, which happens when the parent ends
# the job or dies. xgboost imports scikit-learn for its estimator classes when it
# can, which doubles the start-up time of a worker; the workers use xgboost.train
# only, so scikit-learn is hidden while xgboost loads (custom metrics import it later).
WORKER_BOOTSTRAP = "; ".join(
    (
        "import os, sys, threading",
        "threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(70)), daemon=True)"
        ".start()",
        "sys.modules['sklearn'] = None",
        "import xgboost",
        "del sys.modules['sklearn']",
        "from sandbox.algorithms.xgboost.worker import main",
        "sys.exit(main(sys.argv[1]))",
    )
)
ROUND_LINE = re.compile(r"\[([0-9]+)\]\t")


def host_share(
    files: data.ChannelFiles, distribution: str, host_index: int, host_count: int
) -> data.ChannelFiles:
    """Return the files of one channel that host ``host_index`` (0-based) receives.

    NOTE: SageMaker does not document which objects each host gets with
    ShardedByS3Key; the sandbox deals the files out in key order (file i goes to
    host i mod N), over the data files the container loads.
    """
    if distribution != SHARDED:
        return files
    chosen = files.files[host_index::host_count]
    return replace(files, files=chosen, total_size=sum(path.stat().st_size for path in chosen))


def process_share(
    files: data.ChannelFiles, distribution: str, host_indexes: list[int], host_count: int
) -> data.ChannelFiles:
    """Return the files of a process that trains for several hosts (replicated files repeat)."""
    shares = [host_share(files, distribution, index, host_count) for index in host_indexes]
    return replace(
        files,
        files=tuple(path for share in shares for path in share.files),
        total_size=sum(share.total_size for share in shares),
    )


def channel_distributions(job_dir: Path) -> dict[str, str]:
    """Return the S3DistributionType of each channel in inputdataconfig.json."""
    path = job_dir / "input" / "config" / "inputdataconfig.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    return {
        name: settings.get("S3DistributionType", "FullyReplicated")
        for name, settings in config.items()
    }


def train_on_hosts(
    job_dir: Path,
    hosts: list[str],
    *,
    log: Callable[[str], None],
    host_log: Callable[[str], Callable[[str], None]] | None,
    should_stop: Callable[[], bool],
    nthread: int,
    version: str,
) -> TrainingOutcome:
    """Train one job on several hosts, one worker process per participating host.

    Hyperparameters and channels are validated here first, so that a job that
    fails for every host fails before any process starts. The workers then log
    the container's lines on their own host's stream.
    """
    writers = {host: _writer(host, hosts[0], log, host_log) for host in hosts}
    consoles = {host: _Console(writer, job_dir.name) for host, writer in writers.items()}
    prechecked: list[str] = []
    precheck = _TrainingRun(
        job_dir, _Console(prechecked.append, job_dir.name), lambda: False, nthread, version
    )
    try:
        values, formats = precheck.prepare()
        build_plan(values, nthread, lambda _message: None)
        participants = _participants(job_dir, hosts, formats, consoles)
    except ToolkitError as error:
        logger.info("job %s failed before training: %s", job_dir.name, error)
        for line in prechecked:
            log(line)
        return _failure(job_dir, error, 0)

    process_count = min(len(participants), MAX_WORKER_PROCESSES)
    groups = [participants[rank::process_count] for rank in range(process_count)]
    if len(participants) > process_count:
        _log_capped(hosts, groups, consoles)
    cluster = _Cluster(job_dir, hosts, groups, writers, max(1, nthread // process_count), version)
    return cluster.run(should_stop)


def _writer(
    host: str,
    first_host: str,
    log: Callable[[str], None],
    host_log: Callable[[str], Callable[[str], None]] | None,
) -> Callable[[str], None]:
    if host == first_host:
        return log
    if host_log is None:
        return lambda _line: None
    return host_log(host)


def _participants(
    job_dir: Path, hosts: list[str], formats: dict[str, str], consoles: dict[str, _Console]
) -> list[int]:
    """Return the indexes of the hosts that have data, warning on the others' streams.

    Like the container, a host without training data (or without validation data
    when the job has a validation channel) stays out of training.
    """
    distributions = channel_distributions(job_dir)
    listed = {
        channel: data.list_channel_files(
            job_dir / "input" / "data" / channel, channel, lambda _message: None
        )
        for channel in ("train", "validation")
        if channel in formats
    }
    participants = []
    for index, host in enumerate(hosts):
        missing = [
            channel
            for channel, files in listed.items()
            if host_share(files, distributions.get(channel, ""), index, len(hosts)).total_size == 0
        ]
        if not missing:
            participants.append(index)
            continue
        consoles[host].warning(
            f"Host {host} does not have {missing[0]} data. Will broadcast to cluster and this "
            f"host {host} will not be used in distributed training. Please divide the "
            f"{missing[0]} data across instances properly."
        )

    if not participants:
        if _no_host_has(listed["train"], distributions, hosts):
            raise UserError(f"No data in training channel path {listed['train'].container_path}")
        path = listed["validation"].container_path
        raise UserError(f"No data in validation channel path {path}")
    return participants


def _no_host_has(files: data.ChannelFiles, distributions: dict[str, str], hosts: list[str]) -> bool:
    distribution = distributions.get(files.name, "")
    return all(
        host_share(files, distribution, index, len(hosts)).total_size == 0
        for index in range(len(hosts))
    )


def _log_capped(hosts: list[str], groups: list[list[int]], consoles: dict[str, _Console]) -> None:
    first = consoles[hosts[0]]
    first.info(
        f"sandbox: {len(hosts)} hosts share {len(groups)} worker processes "
        f"(at most {MAX_WORKER_PROCESSES}); each process trains on the data of its hosts."
    )
    for group in groups:
        for index in group[1:]:
            consoles[hosts[index]].info(
                f"sandbox: host {hosts[index]} trains in the worker process of {hosts[group[0]]}."
            )


@dataclass
class _Worker:
    rank: int
    host: str
    process: subprocess.Popen[str]
    result_path: Path
    reader: threading.Thread
    rounds: list[int] = field(default_factory=list)

    def result(self) -> dict[str, Any] | None:
        if not self.result_path.exists():
            return None
        loaded: dict[str, Any] = json.loads(self.result_path.read_text())
        return loaded


class _Cluster:
    """The tracker and the worker processes of one job; nothing outlives ``run``."""

    def __init__(
        self,
        job_dir: Path,
        hosts: list[str],
        groups: list[list[int]],
        writers: dict[str, Callable[[str], None]],
        nthread: int,
        version: str,
    ) -> None:
        self.job_dir = job_dir
        self.hosts = hosts
        self.groups = groups
        self.writers = writers
        self.nthread = nthread
        self.version = version
        self.work_dir = job_dir / "distributed"

    def run(self, should_stop: Callable[[], bool]) -> TrainingOutcome:
        self.work_dir.mkdir(exist_ok=True)
        tracker = RabitTracker(n_workers=len(self.groups), host_ip=TRACKER_HOST, sortby="task")
        tracker.start()
        workers: list[_Worker] = []
        try:
            for rank, group in enumerate(self.groups):
                workers.append(self._start(rank, group, tracker.worker_args()))
            logger.info(
                "job %s: started %d worker processes (pids %s)",
                self.job_dir.name,
                len(workers),
                [worker.process.pid for worker in workers],
            )
            return self._supervise(workers, should_stop)
        finally:
            _end_processes(workers)
            _free(tracker, self.job_dir.name)

    def _start(self, rank: int, group: list[int], tracker_args: dict[str, Any]) -> _Worker:
        spec_path = self.work_dir / f"worker-{rank}.json"
        result_path = self.work_dir / f"result-{rank}.json"
        spec = {
            "job_dir": str(self.job_dir),
            "rank": rank,
            "host_indexes": group,
            "host_count": len(self.hosts),
            "tracker": tracker_args,
            "nthread": self.nthread,
            "version": self.version,
            "result": str(result_path),
        }
        spec_path.write_text(json.dumps(spec))
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER_BOOTSTRAP, str(spec_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_worker_environment(),
        )
        host = self.hosts[group[0]]
        rounds: list[int] = []
        reader = threading.Thread(
            target=_forward,
            args=(process, self.writers[host], rounds),
            name=f"log-{self.job_dir.name}-{host}",
            daemon=True,
        )
        reader.start()
        return _Worker(rank, host, process, result_path, reader, rounds)

    def _supervise(
        self, workers: list[_Worker], should_stop: Callable[[], bool]
    ) -> TrainingOutcome:
        job = self.job_dir.name
        while True:
            if should_stop():
                rounds = len(workers[0].rounds)
                logger.info("job %s: stopping the workers after %d rounds", job, rounds)
                return TrainingOutcome("Stopped", None, rounds)
            failed = _first_failure(workers)
            if failed is not None:
                return failed
            if all(worker.process.poll() is not None for worker in workers):
                return _completed(workers[0])
            time.sleep(POLL_SECONDS)


def _worker_environment() -> dict[str, str]:
    import sandbox

    package_root = str(Path(sandbox.__file__).resolve().parents[1])
    environment = dict(os.environ)
    paths = [package_root, environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


def _forward(
    process: subprocess.Popen[str], write: Callable[[str], None], rounds: list[int]
) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        text = line.rstrip("\n")
        match = ROUND_LINE.match(text)
        if match:
            rounds.append(int(match.group(1)))
        write(text)


def _first_failure(workers: list[_Worker]) -> TrainingOutcome | None:
    for worker in workers:
        code = worker.process.poll()
        if code is None:
            continue
        result = worker.result()
        if result is None:
            worker.reader.join(timeout=1.0)
            return TrainingOutcome(
                "Failed",
                f"AlgorithmError: the process of host {worker.host} exited with code {code} "
                "before it reported a result",
                len(workers[0].rounds),
            )
        if result["status"] == "Failed":
            return TrainingOutcome("Failed", result["failure_reason"], result["rounds"])
    return None


def _completed(master: _Worker) -> TrainingOutcome:
    result = master.result()
    if result is None:
        raise RuntimeError(f"the process of host {master.host} ended without a result")
    return TrainingOutcome(result["status"], result["failure_reason"], result["rounds"])


def _end_processes(workers: list[_Worker]) -> None:
    """Close each worker's stdin and terminate the workers still running; kill stragglers."""
    for worker in workers:
        if worker.process.stdin is not None:
            worker.process.stdin.close()
        if worker.process.poll() is None:
            worker.process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
        worker.reader.join(timeout=STOP_GRACE_SECONDS)


def _free(tracker: RabitTracker, job: str) -> None:
    # After an early stop the tracker reports the connections it lost; the job's
    # outcome is already decided, so the error is only logged.
    try:
        tracker.free()
    except XGBoostError as error:
        logger.debug("job %s: tracker shut down with: %s", job, str(error).splitlines()[0])
