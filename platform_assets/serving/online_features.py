"""The service's side of the online store: predictions from it, events pushed to it.

The data root's Feast repository (`features/online_store` applies it and fills it) is opened
on first use, not at start: a service started before the platform's first run answers 503
naming what to materialize, and serves once the repository is there, without a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.features.live_events import (
    WEATHER_AVAILABLE_AFTER_MINUTES,
    push_departures,
    push_weather,
)
from platform_assets.lib.features.live_state import LOCAL_ZONE, WEATHER_COLUMNS, epoch_minute
from platform_assets.serving.champions import Champion
from platform_assets.serving.flight_request import (
    DepartureEvent,
    FlightRequest,
    WeatherObservation,
    flight_id,
)
from platform_assets.serving.predictor import flight_features, scores


class OnlineStoreUnavailable(RuntimeError):
    """The data root has no Feast repository yet."""


class OnlineFeatures:
    """The data root's online store, opened on first use."""

    def __init__(self, repo: Path):
        self.repo = repo
        self._store = None

    def problem(self) -> str | None:
        """Why predictions cannot be served from the store yet (None: they can)."""
        if self._store is None and not (self.repo / "registry.db").exists():
            return (
                f"the online store {self.repo} has no registry yet: materialize "
                "features/online_store (make dev does it with the first day's run)"
            )
        return None

    def store(self):
        if self._store is None:
            if problem := self.problem():
                raise OnlineStoreUnavailable(problem[0].upper() + problem[1:] + ".")
            from platform_assets.lib.features.feast_repo import open_store

            self._store = open_store(self.repo)
        return self._store

    def predict(
        self, champion: Champion, flights: Sequence[FlightRequest], now: datetime
    ) -> list[dict[str, Any]]:
        """Each flight's prediction by `champion` with the features known at its `as_of`
        (default `now`), and what made it, as JSON values (times in ISO 8601)."""
        times = [flight.as_of or now for flight in flights]
        features = champion.features
        rows = flight_features(
            self.store(), FeatureCatalog.from_manifest(), features, flights, times
        )
        predicted = scores(champion.manifest["task"], champion.pipeline, rows, features)
        return [
            {
                "version": champion.version,
                "flight_id": flight_id(flight),
                "flight_date": flight.scheduled_departure.astimezone(LOCAL_ZONE).date().isoformat(),
                "scheduled_departure": flight.scheduled_departure.isoformat(),
                "lead_minutes": champion.lead_minutes,
                "prediction_time": t.isoformat(),
                "task": champion.manifest["task"],
                "target": champion.manifest["target"],
                "prediction": score,
                "features": row,
            }
            for flight, t, score, row in zip(flights, times, predicted, rows, strict=True)
        ]

    def push_departures(self, events: Sequence[DepartureEvent]) -> int:
        frame = pd.DataFrame(
            {
                "origin": [e.origin for e in events],
                "tailnum": [e.tailnum for e in events],
                "carrier": [e.carrier for e in events],
                "flight_number": np.array([e.flight_number for e in events], dtype=np.int64),
                "scheduled_at": np.array(
                    [epoch_minute(e.scheduled_departure) for e in events], dtype=np.int64
                ),
                "departed_at": np.array(
                    [epoch_minute(e.departed_at) for e in events], dtype=np.int64
                ),
            }
        )
        push_departures(self.store(), frame)
        return len(frame)

    def push_weather(self, observations: Sequence[WeatherObservation]) -> int:
        observed = np.array([epoch_minute(o.observed_at) for o in observations], dtype=np.int64)
        frame = pd.DataFrame(
            {
                "origin": [o.origin for o in observations],
                "observed_at": observed,
                "available_at": observed + WEATHER_AVAILABLE_AFTER_MINUTES,
                **{
                    c: np.array([getattr(o, c) for o in observations], dtype=float)
                    for c in WEATHER_COLUMNS
                },
            }
        )
        push_weather(self.store(), frame)
        return len(frame)
