"""The prediction service's HTTP API (FastAPI): what an airline's app calls before departure.

`platform-assets serve` (and `make serve`) runs it under uvicorn on 127.0.0.1:8080. It reads
the declared models' champions from their published manifests (`champions.py`), never the
warehouse, and polls them so that a promotion or a rollback is served without a restart.

Routes (part of the service's contract: clients and proxies are configured against them):
- `GET /healthz`: the process answers;
- `GET /readyz`: 200 once every declared model serves a verified champion, no published
  manifest is refused and the online store is there, else 503; both say, per model, what is
  served and what is wrong, and what the online store lacks;
- `GET /v1/models`: the served champions, their versions, training windows and features;
- `POST /v1/models/{model}/predict`: one flight or a list, each scored by the model's champion
  with the features known at its prediction time (`predictor.py`), and logged;
- `POST /v1/events/departures`, `POST /v1/events/weather`: events as they happen, pushed to
  the live event views of the online store (lib/features/live_events.py);
- `GET /docs`: the OpenAPI page (`/openapi.json` its document).

The routes that touch the online store are `async`: they run one at a time on the worker's
event loop, so its single SQLite connection (Feast's) is never used by two threads at once.
Scale goes by workers (`--workers`) and replicas, not threads.
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings
from platform_assets.serving.champions import ChampionSlots
from platform_assets.serving.flight_request import (
    DepartureEvent,
    FlightRequest,
    WeatherObservation,
)
from platform_assets.serving.online_features import OnlineFeatures, OnlineStoreUnavailable
from platform_assets.serving.prediction_log import PredictionLog


def _as_list(body) -> list:
    """One item or a list of them, as a list; an empty list is refused (nothing to do)."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise HTTPException(422, "The body is an empty list: send one item or a list of them.")
    return items


def create_app(paths: DataPaths, models: list[str], poll_seconds: float) -> FastAPI:
    """The service over the champions of `models` and the online store of data root `paths`."""
    slots = ChampionSlots(paths.artifacts, models)
    online = OnlineFeatures(paths.feast)
    log = PredictionLog(paths.served_predictions)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        slots.refresh()
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(poll_seconds):
                slots.refresh()

        poller = threading.Thread(target=poll, name="champion-poller", daemon=True)
        poller.start()
        yield
        stop.set()
        poller.join()

    app = FastAPI(
        title="platform-assets prediction service",
        description="Predictions of the declared models' champions for flights before "
        "departure; champions are learned from their published manifests and verified.",
        lifespan=lifespan,
    )
    app.state.slots = slots

    @app.exception_handler(OnlineStoreUnavailable)
    async def store_unavailable(_, error: OnlineStoreUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.get("/healthz", summary="The process answers")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="Every model serves a verified champion over the online store")
    def readyz() -> JSONResponse:
        store_problem = online.problem()
        ready = slots.ready() and store_problem is None
        body = {
            "ready": ready,
            "models": slots.status(),
            "online_store": {"repository": str(online.repo), "problem": store_problem},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/v1/models", summary="The served champions")
    def list_models() -> dict:
        status = slots.status()
        listed = []
        for model in slots.models:
            champion = slots.champion(model)
            listed.append(
                {
                    "model": model,
                    "champion": champion.describe() if champion else None,
                    "problem": status[model]["problem"],
                }
            )
        return {"models": listed}

    @app.post("/v1/models/{model}/predict", summary="Predict flights with the model's champion")
    async def predict(model: str, body: FlightRequest | list[FlightRequest]) -> JSONResponse:
        """Per flight: `prediction` (the probability of an arrival more than 15 minutes late,
        or the arrival delay in minutes: `task`, `target`), `model`, `version`,
        `prediction_time` and the `features` used, in the order the flights were sent."""
        if model not in slots.models:
            raise HTTPException(
                404, f"Unknown model '{model}'. Served models: {', '.join(slots.models)}."
            )
        flights = _as_list(body)
        champion = slots.champion(model)
        if champion is None:
            problem = slots.status()[model]["problem"]
            raise HTTPException(503, f"Model '{model}' has no champion to serve: {problem}.")
        served = online.predict(champion, flights, datetime.now(UTC))
        predictions = [{"model": model, **row} for row in served]
        log.append(predictions)
        # the values are JSON already: a JSONResponse skips FastAPI's slow generic encoder
        return JSONResponse({"predictions": predictions})

    @app.post("/v1/events/departures", summary="Departures as they happen")
    async def departures(body: DepartureEvent | list[DepartureEvent]) -> dict:
        return {"accepted": online.push_departures(_as_list(body))}

    @app.post("/v1/events/weather", summary="Weather observations as they are made")
    async def weather(body: WeatherObservation | list[WeatherObservation]) -> dict:
        return {"accepted": online.push_weather(_as_list(body))}

    return app


def app_from_env() -> FastAPI:
    """The service of the environment's data root and models file (uvicorn's factory: each
    worker process builds its own)."""
    from platform_assets.lib.ml.spec import load_model_specs

    settings = PlatformSettings.from_env()
    models = list(load_model_specs(settings.models_file))
    return create_app(DataPaths(settings.data_dir), models, settings.serve_poll_seconds)
