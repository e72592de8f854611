"""Endpoint latency and throughput, measured against Booster.predict in the same run.

1. 1,000 sequential single-row InvokeEndpoint calls through boto3: p50 and p99 latency,
   and the same percentiles of `Booster.predict` on the same rows (parsed from the same
   CSV text, on one thread as the endpoint's model server predicts), with their ratios.
2. 4 client threads invoking one endpoint for 10 seconds: requests, errors, throughput.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sandbox" / "hosting"))

from hosting_helpers import (  # noqa: E402
    FEATURES,
    create_model,
    deploy,
    load_booster,
    train_model,
    variant,
)

import sandbox  # noqa: E402

INVOCATIONS = 1000
THREADS = 4
THREAD_SECONDS = 10.0


def percentiles(seconds: list[float]) -> tuple[float, float]:
    milliseconds = np.array(seconds) * 1000
    return float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 99))


def endpoint_latencies(runtime: object, endpoint: str, bodies: list[str]) -> list[float]:
    latencies = []
    for body in bodies:
        started = time.perf_counter()
        response = runtime.invoke_endpoint(  # type: ignore[attr-defined]
            EndpointName=endpoint, ContentType="text/csv", Body=body
        )
        response["Body"].read()
        latencies.append(time.perf_counter() - started)
    return latencies


def booster_latencies(booster: xgb.Booster, bodies: list[str]) -> list[float]:
    latencies = []
    for body in bodies:
        started = time.perf_counter()
        row = np.array([[float(value) for value in body.split(",")]])
        booster.predict(xgb.DMatrix(row, nthread=1))
        latencies.append(time.perf_counter() - started)
    return latencies


def threaded_load(session: sandbox.Session, endpoint: str, body: str) -> tuple[int, int]:
    deadline = time.monotonic() + THREAD_SECONDS
    counts = {"requests": 0, "errors": 0}
    lock = threading.Lock()

    def client_loop() -> None:
        runtime = session.client("sagemaker-runtime")
        requests = errors = 0
        while time.monotonic() < deadline:
            try:
                runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
            except Exception:
                errors += 1
            requests += 1
        with lock:
            counts["requests"] += requests
            counts["errors"] += errors

    threads = [threading.Thread(target=client_loop) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["requests"], counts["errors"]


def main() -> None:
    with sandbox.connect("local") as session:
        url = train_model(session, "bench-hosting")
        create_model(session, "bench-hosting", url)
        deploy(session, "bench-hosting", [variant("AllTraffic", "bench-hosting")])
        booster = load_booster(session, url)
        booster.set_param("nthread", "1")
        rows = np.random.default_rng(1).normal(size=(INVOCATIONS, FEATURES))
        bodies = [",".join(f"{value:.6g}" for value in row) for row in rows]
        runtime = session.client("sagemaker-runtime")

        endpoint_p50, endpoint_p99 = percentiles(
            endpoint_latencies(runtime, "bench-hosting", bodies)
        )
        direct_p50, direct_p99 = percentiles(booster_latencies(booster, bodies))
        print(f"{INVOCATIONS} sequential single-row invocations")
        print(f"  InvokeEndpoint  p50 {endpoint_p50:7.3f} ms   p99 {endpoint_p99:7.3f} ms")
        print(f"  Booster.predict p50 {direct_p50:7.3f} ms   p99 {direct_p99:7.3f} ms")
        print(
            f"  ratio           p50 {endpoint_p50 / direct_p50:7.1f} x    "
            f"p99 {endpoint_p99 / direct_p99:7.1f} x"
        )

        requests, errors = threaded_load(session, "bench-hosting", bodies[0])
        print(f"{THREADS} threads for {THREAD_SECONDS:.0f} s on one endpoint")
        print(
            f"  requests {requests}, errors {errors}, "
            f"throughput {requests / THREAD_SECONDS:.0f} requests/s"
        )


if __name__ == "__main__":
    main()
