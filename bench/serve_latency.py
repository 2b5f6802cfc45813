"""B12: the prediction service's latency and throughput on loopback, against its floor.

On a data root whose champions are published and whose online store is filled (the year's
root after serve_models.py): rewinds the online store to DAY and pushes its events up to
17:00 (replay-live), then, with the load generator on the same cores as the service:
- the floor, in process: the champion's `predict` on one prepared row (its DataFrame built
  beforehand) plus Feast's online lookup of one flight through the model's feature service
  (p50, p99 of their sum);
- single-flight requests one at a time on a kept-alive connection, 1 worker: p50, p99, and
  requests per second;
- batches of 100 flights, 1 worker: p99;
- single-flight requests from CLIENTS threads at once (bounded load), 1 and 2 workers:
  requests per second.
Prints one JSON object of those figures.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.cli.replay_live import replay_live  # noqa: E402
from platform_assets.lib.features.catalog import FeatureCatalog  # noqa: E402
from platform_assets.lib.features.feast_repo import open_store  # noqa: E402
from platform_assets.lib.features.live_state import LOCAL_ZONE  # noqa: E402
from platform_assets.lib.ml.evaluation import predict  # noqa: E402
from platform_assets.lib.paths import DataPaths  # noqa: E402
from platform_assets.serving.champions import ChampionSlots  # noqa: E402
from platform_assets.serving.flight_request import FlightRequest  # noqa: E402
from platform_assets.serving.predictor import flight_features, pipeline_frame  # noqa: E402

MODEL = "delay_classifier"
DAY = date(2013, 7, 15)
AS_OF = datetime.combine(DAY, clock(17, 0), LOCAL_ZONE)
REQUESTS = 10_000
BATCHES = 300
CLIENTS = 4
ROUTE = f"/v1/models/{MODEL}/predict"


def _flights(paths: DataPaths) -> list[dict]:
    """The day's flights leaving after AS_OF, as requests made at AS_OF."""
    flights = pd.read_parquet(paths.feature_files / "flight_events" / f"{DAY}.parquet")
    departures = flights["scheduled_departure_utc"].dt.tz_convert(LOCAL_ZONE)
    flights = flights[departures > AS_OF].assign(departure=departures)
    requests = []
    for row in flights.itertuples():
        request = {
            "carrier": row.carrier,
            "flight_number": int(row.flight_number),
            "origin": row.origin,
            "dest": row.dest,
            "scheduled_departure": row.departure.isoformat(),
            "scheduled_arrival": (row.departure + timedelta(hours=2)).isoformat(),
            "as_of": AS_OF.isoformat(),
        }
        if isinstance(row.tailnum, str):
            request["tailnum"] = row.tailnum
        requests.append(request)
    return requests


def _floor(paths: DataPaths, flights: list[dict]) -> tuple[float, float]:
    """p50, p99 (ms) of the champion's predict on one prepared row plus one online lookup."""
    slots = ChampionSlots(paths.artifacts, [MODEL])
    slots.refresh()
    champion = slots.champion(MODEL)
    store = open_store(paths.feast)
    service = store.get_feature_service(MODEL)
    catalog = FeatureCatalog.from_manifest()
    requests = [FlightRequest(**flight) for flight in flights[:520]]
    rows = flight_features(store, catalog, champion.features, requests, [AS_OF] * len(requests))
    task, pipeline = champion.manifest["task"], champion.pipeline
    keys = ("origin", "dest", "carrier", "flight_number")
    timings = []
    for request, row in zip(requests, rows, strict=True):
        frame = pipeline_frame(pipeline, [row], champion.features)
        entity = {key: getattr(request, key) for key in keys} | {
            "tailnum": request.tailnum or "",
            "scheduled_hour_id": int(request.scheduled_departure.timestamp() // 3600),
        }
        started = time.perf_counter()
        store.get_online_features(
            features=service, entity_rows=[entity], full_feature_names=True
        ).to_dict()
        predict(task, pipeline, frame)
        timings.append((time.perf_counter() - started) * 1000)
    measured = np.array(timings[20:])
    return float(np.percentile(measured, 50)), float(np.percentile(measured, 99))


def _serve(paths: DataPaths, port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("platform-assets")), "serve", "--port", str(port),
         "--workers", str(workers)],
        env={**os.environ, "PLATFORM_DATA_DIR": str(paths.root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the service did not become ready")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def _timed_requests(port: int, bodies: list) -> list[float]:
    """Each body POSTed in turn on one kept-alive connection: milliseconds each."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    timings = []
    for body in bodies:
        payload = json.dumps(body)
        started = time.perf_counter()
        connection.request("POST", ROUTE, payload, headers)
        response = connection.getresponse()
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{response.status} for {payload[:200]}")
    return timings


def _throughput(port: int, flights: list[dict]) -> float:
    """Requests per second of REQUESTS single-flight requests from CLIENTS threads."""
    share = REQUESTS // CLIENTS
    threads = [
        threading.Thread(
            target=_timed_requests,
            args=(port, [flights[(c * share + i) % len(flights)] for i in range(share)]),
        )
        for c in range(CLIENTS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return share * CLIENTS / (time.perf_counter() - started)


if __name__ == "__main__":
    paths = DataPaths.from_env()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 18080
    flights = _flights(paths)
    service = _serve(paths, port, workers=1)
    try:
        replay_live(paths, DAY, f"http://127.0.0.1:{port}", speed=0, until=AS_OF, say=lambda _: 0)
        floor_p50, floor_p99 = _floor(paths, flights)
        single = np.array(
            _timed_requests(port, [flights[i % len(flights)] for i in range(REQUESTS)])
        )
        batches = [
            [flights[(b * 100 + i) % len(flights)] for i in range(100)] for b in range(BATCHES)
        ]
        batched = np.array(_timed_requests(port, batches))
        one_worker = _throughput(port, flights)
    finally:
        _stop(service)
    service = _serve(paths, port, workers=2)
    try:
        two_workers = _throughput(port, flights)
    finally:
        _stop(service)
    print(
        json.dumps(
            {
                "floor_p50_ms": floor_p50,
                "floor_p99_ms": floor_p99,
                "single_p50_ms": float(np.percentile(single, 50)),
                "single_p99_ms": float(np.percentile(single, 99)),
                "single_sequential_rps": 1000 / float(single.mean()),
                "batch_100_p99_ms": float(np.percentile(batched, 99)),
                "rps_1_worker": one_worker,
                "rps_2_workers": two_workers,
            }
        )
    )
