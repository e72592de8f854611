"""Start a Jupyter kernel inside the grading sandbox.

Usage: ``python -I -S launch.py SPEC.json -- KERNEL-COMMAND...``

jupyter_client runs this script in place of the kernel command, with the working directory
nbgrader chose for the kernel. The script only imports the standard library, because it
runs for every submission and before any student code.

Two modes, chosen by the worker and written in the spec:

``namespaces`` (needs root): new mount, network, PID, IPC and UTS namespaces. The kernel gets
a fresh root file system with read-only binds of the system and Python folders only. Its
``/tmp`` is private, with the allowed files in ``/tmp/work`` and an empty ``/tmp/home``. It
has a ``/proc`` of its own PID namespace and a network namespace whose only interface is a
private loopback, and it runs as an unprivileged uid with resource limits. The kernel is
PID 1 of its namespace, so when it ends, the Linux kernel kills every process it started,
detached ones included.

``guard``: the kernel runs as the grader's user in a copy of the allowed files, with resource
limits, a clean environment and a ``sitecustomize`` that rejects socket connections. Where
the machine allows unprivileged user namespaces, it also gets a network namespace of its
own (the effect of ``unshare -rn``). Files the user can read stay readable; the worker logs
this mode as weaker.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    result = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {source} on {target}")


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl")


def _loopback_up() -> None:
    """Bring up ``lo`` in this process's new network namespace.

    The namespace's loopback is private: a lab may run a local server (the course's
    SageMaker sandbox, say) and reach it, while the host's loopback stays out of reach.
    """
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handle:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(handle, siocgifflags, request))[1]
        fcntl.ioctl(handle, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def _set_limits(limits: dict) -> None:
    """Apply the submission's resource limits (sizes in MiB, times in seconds)."""
    mib = 1024 * 1024
    pairs = {
        resource.RLIMIT_DATA: limits["memory_mb"] * mib,
        resource.RLIMIT_FSIZE: limits["file_size_mb"] * mib,
        resource.RLIMIT_NPROC: limits["processes"],
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_CPU: limits["cpu_seconds"],
        resource.RLIMIT_NOFILE: 1024,
    }
    for which, value in pairs.items():
        resource.setrlimit(which, (value, value))


def _bind(source: str, target: str, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _outermost(paths: list[str]) -> list[str]:
    """Drop paths that lie inside another path of the list (binding the outer one covers them)."""
    kept: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths}):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _copy_allowed_files(origin: str, target: str, uid: int, gid: int) -> None:
    """Copy every file of ``origin`` except notebooks (they hold the hidden tests)."""
    for folder, dirs, files in os.walk(origin):
        relative = os.path.relpath(folder, origin)
        destination = os.path.normpath(os.path.join(target, relative))
        os.makedirs(destination, exist_ok=True)
        os.chown(destination, uid, gid)
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        for name in files:
            if name.endswith(".ipynb") or os.path.islink(os.path.join(folder, name)):
                continue
            copied = os.path.join(destination, name)
            shutil.copyfile(os.path.join(folder, name), copied)
            os.chown(copied, uid, gid)


def _build_root(spec: dict, files_from: str) -> None:
    """Assemble the kernel's root file system under spec['root_dir'] and chroot into it.

    The private ``/tmp`` is mounted before the read-only binds, so a bound folder that lives
    under the host's ``/tmp`` (a project cloned there, with its ``.venv``) lands inside it
    instead of being hidden by it.
    """
    root = spec["root_dir"]
    uid, gid = spec["uid"], spec["gid"]
    os.umask(0o022)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0755")

    disk = f"size={spec['limits']['work_disk_mb']}m,mode=1777"
    os.makedirs(root + "/tmp")
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, disk)
    for name in ("work", "home"):
        os.makedirs(f"{root}/tmp/{name}")
        os.chown(f"{root}/tmp/{name}", uid, gid)

    _bind_read_only_paths(root, spec["read_only_paths"])
    _make_devices(root)
    os.makedirs(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _copy_allowed_files(files_from, root + "/tmp/work", uid, gid)

    runtime = spec["runtime_dir"]
    _bind(runtime, root + runtime, read_only=False)
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755")

    os.chroot(root)
    os.chdir("/tmp/work")


def _bind_read_only_paths(root: str, paths: list[str]) -> None:
    for path in _outermost(paths):
        if not os.path.lexists(path):
            continue
        inside = root + path
        if os.path.islink(path):
            os.makedirs(os.path.dirname(inside), exist_ok=True)
            os.symlink(os.readlink(path), inside)
        else:
            _bind(path, inside, read_only=True)


def _make_devices(root: str) -> None:
    os.makedirs(root + "/dev", exist_ok=True)
    for name in DEVICES:
        _bind("/dev/" + name, f"{root}/dev/{name}", read_only=False)
    os.symlink("/proc/self/fd", root + "/dev/fd")
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{number}", f"{root}/dev/{name}")
    os.makedirs(root + "/dev/shm")
    _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777")


def _drop_privileges(spec: dict) -> None:
    os.setgroups([])
    os.setgid(spec["gid"])
    os.setuid(spec["uid"])
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def _exec_kernel(spec: dict, command: list[str]) -> None:
    os.execve(command[0], command, spec["env"])


def _run_namespace_child(spec: dict, command: list[str], files_from: str) -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _loopback_up()
    for runtime_file in os.listdir(spec["runtime_dir"]):
        os.chown(os.path.join(spec["runtime_dir"], runtime_file), spec["uid"], spec["gid"])
    os.chown(spec["runtime_dir"], spec["uid"], spec["gid"])
    _build_root(spec, files_from)
    _set_limits(spec["limits"])
    _drop_privileges(spec)
    _exec_kernel(spec, command)


def _supervise(child: int) -> int:
    """Wait for the namespace's PID 1 and pass on signals; return the exit status."""

    def on_interrupt(signum: int, frame: object) -> None:
        # jupyter_client signals the whole process group, which includes the child; forward
        # only when the child has left the group.
        try:
            if os.getpgid(child) != os.getpgrp():
                os.kill(child, signal.SIGINT)
        except ProcessLookupError:
            pass

    def on_terminate(signum: int, frame: object) -> None:
        # PID 1 of a namespace ignores SIGTERM unless it installed a handler; end it for sure.
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)

    signal.signal(signal.SIGINT, on_interrupt)
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGHUP, on_terminate)
    while True:
        try:
            _, status = os.waitpid(child, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return 1
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)


def run_namespaces(spec: dict, command: list[str]) -> int:
    files_from = os.getcwd()
    pidfile = os.open(spec["pidfile"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)
    child = os.fork()
    if child == 0:
        try:
            _run_namespace_child(spec, command, files_from)
        except BaseException as error:  # noqa: BLE001 - report, then end the child
            print(f"grader sandbox: kernel start failed: {error!r}", file=sys.stderr, flush=True)
        os._exit(70)
    os.write(pidfile, str(child).encode())
    os.close(pidfile)
    return _supervise(child)


def _private_network() -> bool:
    """Move into new user and network namespaces that keep this uid; False if refused."""
    uid, gid = os.getuid(), os.getgid()
    try:
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        _loopback_up()
    except OSError as error:
        print(f"grader sandbox: no network namespace: {error}", file=sys.stderr, flush=True)
        return False
    return True


def run_guard(spec: dict, command: list[str]) -> None:
    if spec.get("network_namespace") and _private_network():
        spec["env"]["SAGELAB_GRADER_PRIVATE_LOOPBACK"] = "1"
    files_from = os.getcwd()
    work = spec["work_dir"]
    os.makedirs(work, exist_ok=True)
    os.makedirs(spec["env"]["HOME"], exist_ok=True)
    _copy_allowed_files(files_from, work, os.getuid(), os.getgid())
    with open(spec["pidfile"], "w") as handle:
        handle.write(str(os.getpid()))
    os.chdir(work)
    _set_limits(spec["limits"])
    _exec_kernel(spec, command)


def probe(root_dir: str) -> int:
    """Check that this machine allows the namespaces mode; exit status 0 when it does."""
    try:
        _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)
        child = os.fork()
        if child == 0:
            try:
                _mount(None, "/", None, MS_REC | MS_PRIVATE)
                _mount("tmpfs", root_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
                os.makedirs(root_dir + "/proc")
                _mount("proc", root_dir + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                os._exit(0)
            except BaseException as error:  # noqa: BLE001 - the status carries the answer
                print(f"grader sandbox probe: {error!r}", file=sys.stderr, flush=True)
                os._exit(1)
        _, status = os.waitpid(child, 0)
        return 0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1
    except OSError as error:
        print(f"grader sandbox probe: {error!r}", file=sys.stderr, flush=True)
        return 1


def probe_network() -> int:
    """Check that an unprivileged network namespace is allowed; exit status 0 when it is."""
    child = os.fork()
    if child == 0:
        os._exit(0 if _private_network() else 1)
    _, status = os.waitpid(child, 0)
    return 0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] == "--probe-network":
        return probe_network()
    if len(argv) == 3 and argv[1] == "--probe":
        return probe(argv[2])
    if len(argv) < 4 or argv[2] != "--":
        print("usage: launch.py SPEC.json -- KERNEL-COMMAND...", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    command = argv[3:]
    if spec["mode"] == "namespaces":
        return run_namespaces(spec, command)
    run_guard(spec, command)
    return 0  # not reached: run_guard replaces this process with the kernel


if __name__ == "__main__":
    sys.exit(main(sys.argv))
