"""A champion's predictions for requested flights, from the features known at prediction time.

Each flight's model inputs are assembled as the batch's point-in-time retrieval gives them:
- its own columns from the request (`flight_request.own_columns`) and from the views of the
  flight's own columns (the route's distance, `flight_columns: true` in dbt);
- the keyed views read online as of the prediction time (`online_lookup.keyed_features`);
- the live views evaluated at the prediction time from the live events in the online store
  (lib/features/live_events.py, lib/features/live_state.py).
A key never seen gives None (missing, as the batch's NULL). The frame handed to the pipeline
takes its categorical and numeric columns from the fitted pipeline itself: a one-flight frame's
dtypes cannot tell a missing number from a category.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.features.live_events import (
    ORIGIN_FLIGHTS,
    ORIGIN_WEATHER,
    PLANE_DEPARTURES,
    origin_events,
    read_rows,
)
from platform_assets.lib.features.live_state import (
    epoch_minute,
    origin_live_at,
    plane_last_departure_at,
)
from platform_assets.lib.ml.evaluation import predict
from platform_assets.serving.flight_request import FlightRequest, own_columns, scheduled_hour_id
from platform_assets.serving.online_lookup import keyed_features

ORIGIN_LIVE = "origin_live"
PLANE_LAST_DEPARTURE = "plane_last_departure"


def _keys(flight: FlightRequest) -> dict[str, object]:
    """The flight's values of every entity key of the feature views."""
    return {
        "origin": flight.origin,
        "dest": flight.dest,
        "carrier": flight.carrier,
        "flight_number": flight.flight_number,
        "tailnum": flight.tailnum,
        "scheduled_hour_id": scheduled_hour_id(flight.scheduled_departure),
    }


def _live_origin(store, flights: Sequence[FlightRequest], times: Sequence[datetime]) -> list:
    origins = sorted({f.origin for f in flights})
    timetables = read_rows(store, ORIGIN_FLIGHTS, origins).set_index("origin")
    weather = read_rows(store, ORIGIN_WEATHER, origins).set_index("origin")
    events = {
        origin: origin_events(timetables.loc[origin].to_dict(), weather.loc[origin].to_dict())
        for origin in origins
    }
    return [
        origin_live_at(events[f.origin], epoch_minute(t))
        for f, t in zip(flights, times, strict=True)
    ]


def _live_plane(store, flights, times, ttl_minutes: int) -> list:
    tailnums = sorted({f.tailnum for f in flights if f.tailnum})
    rows = read_rows(store, PLANE_DEPARTURES, tailnums).set_index("tailnum") if tailnums else None
    values = []
    for flight, t in zip(flights, times, strict=True):
        row = rows.loc[flight.tailnum] if flight.tailnum else None
        events = row["event_at"] if row is not None and row["event_at"] else []
        delays = row["dep_delay"] if events else []
        values.append(plane_last_departure_at(events, delays, epoch_minute(t), ttl_minutes))
    return values


def flight_features(
    store,
    catalog: FeatureCatalog,
    features: Sequence[str],
    flights: Sequence[FlightRequest],
    times: Sequence[datetime],
) -> list[dict[str, object]]:
    """The model input columns `features` of each flight as known at its time in `times`."""
    rows = [own_columns(flight, None) for flight in flights]
    keys = [_keys(flight) for flight in flights]
    by_view: dict[str, list[str]] = {}
    for column in features:
        if found := catalog.view_of_column(column):
            by_view.setdefault(found[0].name, []).append(found[1])
    for view in catalog.views.values():
        if view.flight_columns:
            looked_up = keyed_features(store, view, view.feature_names, keys, times)
            for row, values in zip(rows, looked_up, strict=True):
                row.update(
                    {feature: values[view.column(feature)] for feature in view.feature_names}
                )
    for name, view_features in by_view.items():
        view = catalog.views[name]
        if name == ORIGIN_LIVE:
            values = [
                {view.column(f): state[f] for f in view_features}
                for state in _live_origin(store, flights, times)
            ]
        elif name == PLANE_LAST_DEPARTURE:
            ttl_minutes = int(view.ttl.total_seconds() // 60)
            values = [
                {view.column(f): state[f] for f in view_features}
                for state in _live_plane(store, flights, times, ttl_minutes)
            ]
        else:
            values = keyed_features(store, view, view_features, keys, times)
        for row, view_values in zip(rows, values, strict=True):
            row.update(view_values)
    return [{column: row[column] for column in features} for row in rows]


def pipeline_frame(pipeline, rows: Sequence[dict[str, object]], features: Sequence[str]):
    """The rows as the fitted pipeline takes them: its categorical columns as objects, the
    others as floats (None becomes NaN), as `training.prepare_features` gives the batch.
    Built column by column from arrays: a per-column `astype` costs milliseconds a request."""
    categorical = _categorical_columns(pipeline)
    columns = {}
    for column in features:
        values = [row[column] for row in rows]
        if column in categorical:
            columns[column] = np.array(values, dtype=object)
        else:
            columns[column] = np.array([np.nan if v is None else v for v in values], dtype=float)
    return pd.DataFrame(columns, columns=list(features))


def _categorical_columns(pipeline) -> set[str]:
    return {
        column
        for name, _, columns in pipeline.named_steps["preprocess"].transformers_
        if name == "categorical"
        for column in columns
    }


def scores(task: str, pipeline, rows, features) -> list[float]:
    """The champion's predictions for feature rows."""
    return [float(s) for s in predict(task, pipeline, pipeline_frame(pipeline, rows, features))]
