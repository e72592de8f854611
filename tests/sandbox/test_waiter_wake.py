"""Local waiters wake when the resource they wait for changes, instead of sleeping out Delay."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from unittest import mock

import botocore.waiter
from sandbox_helpers import make_rows, to_csv, training_request, upload_channels

import sandbox
from sandbox.emulator import changes

LONG_DELAY = 300.0
JOIN_SECONDS = 60.0
JOB = {"TrainingJobName": "waited-for"}


def _sleep_in_thread(seconds: float, before: Callable[[], None] | None = None) -> threading.Thread:
    def sleep() -> None:
        if before is not None:
            before()
        changes.sleep_until_change(seconds)

    thread = threading.Thread(target=sleep, daemon=True)
    thread.start()
    return thread


def test_sleep_ends_on_later_change():
    observed = threading.Event()

    def observe_then_signal() -> None:
        changes.observe(JOB)
        observed.set()

    thread = _sleep_in_thread(LONG_DELAY, before=observe_then_signal)
    observed.wait()
    changes.notify("TrainingJobName", "Waited-For")

    thread.join(JOIN_SECONDS)
    assert not thread.is_alive()


def test_sleep_sees_earlier_change():
    def observe_then_change() -> None:
        changes.observe(JOB)
        changes.notify("TrainingJobName", "waited-for")

    thread = _sleep_in_thread(LONG_DELAY, before=observe_then_change)

    thread.join(JOIN_SECONDS)
    assert not thread.is_alive()


def test_sleep_ignores_other_resources():
    changes.observe(JOB)
    started = time.monotonic()
    changes.notify("TrainingJobName", "another-job")
    changes.notify("EndpointName", "waited-for")
    changes.sleep_until_change(0.05)

    assert time.monotonic() - started >= 0.05


def test_sleep_without_request_lasts_full_time():
    changes.observe(JOB)
    changes.notify("TrainingJobName", "waited-for")
    changes.sleep_until_change(0.0)

    started = time.monotonic()
    changes.notify("TrainingJobName", "waited-for")
    changes.sleep_until_change(0.05)

    assert time.monotonic() - started >= 0.05


def test_training_waiter_wakes_at_job_end(session, sagemaker):
    upload_channels(session, "wake", to_csv(make_rows(2000)), to_csv(make_rows(500, seed=1)))
    hyperparameters = {"objective": "binary:logistic", "num_round": "200"}
    sagemaker.create_training_job(**training_request(session, "wake", "wake", hyperparameters))
    waiter = sagemaker.get_waiter("training_job_completed_or_stopped")
    waited = threading.Thread(
        target=waiter.wait,
        kwargs={
            "TrainingJobName": "wake",
            "WaiterConfig": {"Delay": LONG_DELAY, "MaxAttempts": 2},
        },
        daemon=True,
    )

    waited.start()
    waited.join(JOIN_SECONDS)

    assert not waited.is_alive()
    status = sagemaker.describe_training_job(TrainingJobName="wake")["TrainingJobStatus"]
    assert status == "Completed"


def test_waiter_sleep_restored_after_close():
    with sandbox.connect():
        assert botocore.waiter.time is not time

    assert botocore.waiter.time is time


def test_waiter_keeps_patched_clock():
    with mock.patch("botocore.waiter.time") as clock:
        with sandbox.connect():
            # The thread's last request names no resource, so the sleep uses the clock.
            changes.observe({})
            botocore.waiter.time.sleep(1.5)

        assert botocore.waiter.time is clock
    clock.sleep.assert_called_once_with(1.5)
