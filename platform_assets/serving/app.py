"""The prediction service's HTTP API (FastAPI): what an airline's app calls before departure.

`platform-assets serve` (and `make serve`) runs it under uvicorn on 127.0.0.1:8080. It reads
the declared models' champions from their published manifests (`champions.py`), never the
warehouse, and polls them so that a promotion or a rollback is served without a restart.

Routes (part of the service's contract: clients and proxies are configured against them):
- `GET /healthz`: the process answers;
- `GET /readyz`: 200 once every declared model serves a verified champion and no published
  manifest is refused, else 503; both say, per model, what is served and what is wrong;
- `GET /v1/models`: the served champions, their versions, training windows and features;
- `GET /docs`: the OpenAPI page (`/openapi.json` its document).
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from platform_assets.lib.settings import PlatformSettings
from platform_assets.serving.champions import ChampionSlots


def create_app(artifacts: Path, models: list[str], poll_seconds: float) -> FastAPI:
    """The service over the champions of `models`, published under `artifacts`."""
    slots = ChampionSlots(artifacts, models)

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

    @app.get("/healthz", summary="The process answers")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="Every declared model serves a verified champion")
    def readyz() -> JSONResponse:
        ready = slots.ready()
        return JSONResponse(
            {"ready": ready, "models": slots.status()}, status_code=200 if ready else 503
        )

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

    return app


def app_from_env() -> FastAPI:
    """The service of the environment's data root and models file (uvicorn's factory: each
    worker process builds its own)."""
    from platform_assets.lib.ml.spec import load_model_specs
    from platform_assets.lib.paths import DataPaths

    settings = PlatformSettings.from_env()
    models = list(load_model_specs(settings.models_file))
    return create_app(DataPaths(settings.data_dir).artifacts, models, settings.serve_poll_seconds)
