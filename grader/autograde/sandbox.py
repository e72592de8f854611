"""Prepare the grading sandbox of one submission: isolation mode, limits, paths and env.

The kernel launcher (``launch.py`` next to this file) reads the spec written here. See its
docstring for what each isolation mode enforces.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.defaults import Limits, SandboxSettings
from grader.errors import InvalidInputError

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).with_name("launch.py")
NETWORK_GUARD_DIR = Path(__file__).with_name("netguard")
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
ISOLATION_MODES = ("auto", "namespaces", "guard")
# The kernel's own folders in the namespaces mode, on its private /tmp.
KERNEL_TMP, KERNEL_WORK, KERNEL_HOME = "/tmp", "/tmp/work", "/tmp/home"


@dataclass(frozen=True)
class Isolation:
    """The isolation mode in force and a sentence for the log saying why.

    With ``network_namespace`` the guard mode also moves the kernel into a network namespace
    of its own. The namespaces mode always does.
    """

    mode: str
    description: str
    network_namespace: bool = False


def detect_isolation(requested: str = "auto") -> Isolation:
    """Return the strongest isolation mode this machine allows, or the one requested.

    The namespaces mode needs root, because it switches the kernel to an unprivileged uid,
    and a Linux kernel that allows new mount, network and PID namespaces. A probe tries them
    once per process.
    """
    if requested not in ISOLATION_MODES:
        raise InvalidInputError(
            f"invalid isolation mode {requested!r}: use one of {', '.join(ISOLATION_MODES)}"
        )
    if requested == "guard":
        return _guard("requested")

    failure = _probe_namespaces()
    if failure is None:
        return Isolation(
            "namespaces",
            "namespaces: private root file system, network namespace with a private loopback only, "
            "own PID namespace, "
            "unprivileged uid",
        )
    if requested == "namespaces":
        raise InvalidInputError(f"isolation mode 'namespaces' is not available: {failure}")
    return _guard(f"namespaces are unavailable: {failure}")


def _guard(reason: str) -> Isolation:
    network = _probe_network_namespace()
    barrier = "own network namespace" if network else "no network namespace (not allowed here)"
    description = (
        f"guard ({reason}): {barrier}, socket connections blocked in Python, resource limits, "
        "clean environment; files readable by the grader's user stay readable by the kernel"
    )
    return Isolation("guard", description, network_namespace=network)


@functools.lru_cache(maxsize=1)
def _probe_network_namespace() -> bool:
    completed = subprocess.run(
        [sys.executable, "-I", "-S", str(LAUNCHER), "--probe-network"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return completed.returncode == 0


@functools.lru_cache(maxsize=1)
def _probe_namespaces() -> str | None:
    if os.geteuid() != 0:
        return f"it needs root and the grader runs as uid {os.geteuid()}"
    with tempfile.TemporaryDirectory(prefix="sgl-probe-") as scratch:
        completed = subprocess.run(
            [sys.executable, "-I", "-S", str(LAUNCHER), "--probe", scratch],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    if completed.returncode != 0:
        return completed.stderr.strip() or f"probe exited with status {completed.returncode}"
    return None


@functools.lru_cache(maxsize=8)
def kernel_read_only_paths(settings: SandboxSettings) -> tuple[str, ...]:
    """Return the host folders the kernel can read (read-only) in the namespaces mode.

    These are the system folders, this interpreter's installation and virtual environment,
    the entries of a clean ``sys.path`` (so ``.pth`` files keep working) and the folders of
    the repository packages the labs import. Nothing else of the host is visible: not the
    course directory, not the lab sources, not the home folder.
    """
    paths = list(SYSTEM_PATHS)
    paths += [sys.prefix, sys.base_prefix, sys.exec_prefix]
    paths.append(str(Path(os.path.realpath(sys.executable)).parent))
    paths += _clean_sys_path()
    for package in settings.kernel_packages:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            paths += [str(Path(p).resolve()) for p in spec.submodule_search_locations]
    paths += list(settings.extra_read_only_paths)
    return tuple(sorted({p for p in paths if p and os.path.isabs(p)}))


def check_read_only_paths(paths: tuple[str, ...]) -> None:
    """Reject read-only folders that would cover the kernel's private ``/tmp`` folders.

    Any other location works, under the host's ``/tmp`` included: the launcher binds those
    folders inside the kernel's private ``/tmp``.
    """
    for path in paths:
        normal = os.path.normpath(path)
        covers = normal in ("/", KERNEL_TMP)
        inside = any(
            normal == private or normal.startswith(private + "/")
            for private in (KERNEL_WORK, KERNEL_HOME)
        )
        if covers or inside:
            raise InvalidInputError(
                f"invalid read-only path {path!r} for the namespaces sandbox: it would cover "
                f"the kernel's {KERNEL_WORK} or {KERNEL_HOME}; install the course environment "
                "elsewhere or remove the path from SandboxSettings.extra_read_only_paths"
            )


def _clean_sys_path() -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [p for p in json.loads(completed.stdout) if p and os.path.exists(p)]


# uid_base -> (uid, lock descriptor, pid of the process holding the lock)
_reserved_uids: dict[int, tuple[int, int, int]] = {}


def kernel_uid(settings: SandboxSettings) -> int:
    """Return the uid this process's kernels run as in the namespaces mode.

    Each grading process reserves its own uid in ``uid_base .. uid_base + 999`` with a lock
    file, because RLIMIT_NPROC counts the processes of a uid: two concurrent workers, even of
    two grader runs, must not share the fork budget. The lock lasts as long as the process,
    and a forked child reserves a uid of its own.
    """
    reserved = _reserved_uids.get(settings.uid_base)
    if reserved is not None and reserved[2] == os.getpid():
        return reserved[0]
    folder = Path(tempfile.gettempdir()) / "sagelab-grader-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    start = os.getpid() % 1000
    for offset in range(1000):
        uid = settings.uid_base + (start + offset) % 1000
        descriptor = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        _reserved_uids[settings.uid_base] = (uid, descriptor, os.getpid())
        return uid
    raise RuntimeError(f"all 1000 kernel uids from {settings.uid_base} are in use")


def kernel_environment(mode: str, home: str, tmp: str) -> dict[str, str]:
    """Return the complete environment of a grading kernel; nothing of the grader's leaks."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home,
        "TMPDIR": tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
        # One thread per numerical library: a kernel has one core's share, and every
        # thread counts against the process limit.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    if mode == "guard":
        env["PYTHONPATH"] = str(NETWORK_GUARD_DIR)
    return env


def build_spec(
    job_dir: Path,
    isolation: Isolation,
    limits: Limits,
    settings: SandboxSettings,
    read_only_paths: tuple[str, ...] = (),
) -> Path:
    """Write the launcher spec for one submission into ``job_dir`` and return its path.

    ``job_dir`` gets ``rt/`` (connection file and kernel sockets, visible on both sides),
    ``root/`` (mount point of the kernel's root in the namespaces mode) and ``work/`` and
    ``home/`` (the kernel's folders in the guard mode).
    """
    runtime = job_dir / "rt"
    runtime.mkdir(exist_ok=True)
    (job_dir / "root").mkdir(exist_ok=True)
    read_only = tuple(read_only_paths or kernel_read_only_paths(settings))
    if isolation.mode == "namespaces":
        check_read_only_paths(read_only)
        home, tmp, work = KERNEL_HOME, KERNEL_TMP, KERNEL_WORK
        uid = gid = kernel_uid(settings)
    else:
        home, tmp, work = str(job_dir / "home"), str(job_dir / "tmp"), str(job_dir / "work")
        Path(tmp).mkdir(exist_ok=True)
        uid, gid = os.getuid(), os.getgid()

    limit_values = asdict(limits)
    limit_values["cpu_seconds"] = limits.notebook_timeout * 2 + 60
    limit_values["processes"] = limits.processes + _guard_process_allowance(isolation)
    spec = {
        "mode": isolation.mode,
        "root_dir": str(job_dir / "root"),
        "runtime_dir": str(runtime),
        "work_dir": work,
        "pidfile": str(job_dir / "kernel.pid"),
        "uid": uid,
        "gid": gid,
        "limits": limit_values,
        "read_only_paths": list(read_only),
        "env": kernel_environment(isolation.mode, home, tmp),
        "network_namespace": isolation.network_namespace,
    }
    path = job_dir / "sandbox.json"
    path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return path


def _guard_process_allowance(isolation: Isolation) -> int:
    """Return how many processes the grader's user already runs (guard mode only).

    RLIMIT_NPROC counts every process of the real uid, so in the guard mode the limit has to
    sit on top of what the user already runs, or the kernel could not even start a thread.
    """
    if isolation.mode == "namespaces":
        return 0
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except FileNotFoundError:
                continue
    return count
