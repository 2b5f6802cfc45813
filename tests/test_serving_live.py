"""Live serving on a real server over a real online store: a replayed day's events pushed up to
t make the served score of a flight whose prediction time is t equal its batch score; the
served predictions are logged, loaded by day and checked against the batch for skew."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest

from platform_assets.cli.replay_live import replay_live, rewind
from platform_assets.defs.ml.model_keys import SERVED_PREDICTIONS, SERVING_SKEW
from platform_assets.lib.features.catalog import DEFAULT_MANIFEST, FeatureCatalog
from platform_assets.lib.features.feast_repo import apply_repository, open_store
from platform_assets.lib.features.live_state import LOCAL_ZONE
from platform_assets.lib.ml import champion_alias, registry
from platform_assets.lib.ml.evaluation import predict
from platform_assets.lib.ml.features import (
    feature_table_roles,
    resolve_features,
    version_feature_rows,
)
from platform_assets.lib.ml.predictions import replace_predictions
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.ml.training import TrainingWindow, prepare_features, train, window_rows
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.warehouse import connect
from tests.helpers import http_json, materialize_model_family, model_family, running_service

MODEL = "delay_classifier"
DAY = date(2013, 2, 11)
UNTIL = datetime.combine(DAY, time(15, 0), LOCAL_ZONE)


def _flight(row) -> dict:
    departure = row.scheduled_departure_utc.tz_convert(LOCAL_ZONE)
    arrival = departure.replace(hour=row.sched_arr_time // 100, minute=row.sched_arr_time % 100)
    flight = {
        "carrier": row.carrier,
        "flight_number": int(row.flight_number),
        "origin": row.origin,
        "dest": row.dest,
        "scheduled_departure": departure.isoformat(),
        "scheduled_arrival": arrival.isoformat(),
        "as_of": (departure - timedelta(minutes=60)).isoformat(),
    }
    return flight | ({"tailnum": row.tailnum} if isinstance(row.tailnum, str) else {})


@pytest.fixture
def served_root(ml_data_paths, feature_warehouse):
    """The six weeks' root with its feature files and online store, and a real champion of
    the shipped delay classifier (fewer boosting rounds) trained up to the day before DAY,
    whose batch scores of DAY are in `ml.predictions`."""
    built = DataPaths(feature_warehouse.parent)
    shutil.copytree(built.feature_files, ml_data_paths.feature_files)
    shutil.copytree(built.feast, ml_data_paths.feast)
    (ml_data_paths.feast / "feature_store.yaml").unlink()  # written again for the copy's paths
    spec = load_model_specs()[MODEL].with_overrides(params={"max_iter": 40})
    catalog = FeatureCatalog.from_manifest()
    features = resolve_features(spec, feature_table_roles(DEFAULT_MANIFEST), catalog)
    apply_repository(open_store(ml_data_paths.feast), catalog, ml_data_paths.feature_files, {})
    window = TrainingWindow.ending_at(DAY - timedelta(days=1), 35, 7)
    with connect(ml_data_paths.warehouse) as connection:
        labelled, _ = window_rows(connection, features, spec.target, window, 60)
        trained = train(spec, labelled, features, window)
        version = registry.register_version(
            connection,
            ml_data_paths.artifacts,
            model_name=MODEL,
            model=trained.pipeline,
            params={"task": spec.task, "target": spec.target, "features": features,
                    "prediction_lead_minutes": 60},
            metrics={},
            training_start=window.start,
            training_end=window.end,
            row_count=len(labelled),
            data_fingerprint="six-weeks",
            dbt_manifest_checksum="manifest",
        )  # fmt: skip
        champion_alias.promote(
            connection, ml_data_paths.artifacts, MODEL, version.version, reason="r", actor="a"
        )
        # the batch's scores of the day, as the predictions asset writes them
        rows = version_feature_rows(connection, version, DAY, DAY)
        scores = predict(spec.task, trained.pipeline, prepare_features(rows, features))
        batch = rows.assign(score=scores, partition_date=rows["flight_date"])
        replace_predictions(connection, MODEL, DAY, DAY, version.version, batch)
        flights = connection.execute(
            "SELECT flight_id, carrier, flight_number, origin, dest, tailnum, "
            "scheduled_departure_utc, sched_arr_time FROM intermediate.int_flight_times "
            "WHERE flight_date = ? ORDER BY flight_id",
            [DAY],
        ).df()
    return ml_data_paths, features, batch.set_index("flight_id"), flights.set_index("flight_id")


def _assert_features_equal(served: dict, batch: pd.Series, features: list[str]) -> None:
    for column in features:
        value, expected = served[column], batch[column]
        if expected is None or pd.isna(expected):
            assert value is None, column
        elif isinstance(expected, str):
            assert value == expected, column
        else:
            assert value == pytest.approx(float(expected), abs=1e-9), column


def test_served_scores_equal_the_batch_once_the_days_events_up_to_t_are_pushed(
    served_root, instance
):
    paths, features, batch, flights = served_root
    departures = flights["scheduled_departure_utc"].dt.tz_convert(LOCAL_ZONE)
    # flights whose prediction time (an hour before departure) is in the 45 minutes before UNTIL
    due = flights[
        (departures >= UNTIL + timedelta(minutes=15)) & (departures < UNTIL + timedelta(minutes=60))
    ]
    assert len(due) >= 20
    url_predict = "/v1/models/delay_classifier/predict"
    with running_service(paths) as url:
        # the online store as the day starts: none of the day's departures is known
        rewind(paths, DAY)
        first = due.iloc[0]
        status, before = http_json(f"{url}{url_predict}", _flight(first))
        assert status == 200, before
        stale = before["predictions"][0]
        assert stale["features"]["origin_live__departures_last_2h"] == 0
        assert batch.loc[first.name, "origin_live__departures_last_2h"] > 0

        pushed = replay_live(paths, DAY, url, speed=0, until=UNTIL, say=lambda _: None)
        assert pushed > 300  # the morning's departures and observations
        status, answer = http_json(f"{url}{url_predict}", [_flight(r) for r in due.itertuples()])
        assert status == 200, answer

        # bad requests are named; entities never seen get missing features, not an error
        status, refused = http_json(f"{url}{url_predict}", _flight(first) | {"carrier": "United"})
        assert status == 422 and "carrier" in str(refused["detail"]), refused
        naive = _flight(first) | {"scheduled_departure": "2013-02-11T15:30:00"}
        status, refused = http_json(f"{url}{url_predict}", naive)
        assert status == 422 and "timezone" in str(refused["detail"]), refused
        status, refused = http_json(f"{url}/v1/events/departures", [])
        assert status == 422 and "empty list" in refused["detail"]
        status, refused = http_json(f"{url}/v1/models/no_such_model/predict", _flight(first))
        assert status == 404 and "delay_classifier" in refused["detail"]
        unseen = _flight(first) | {"carrier": "ZZ", "dest": "XYZ", "tailnum": "N0NE"}
        status, unseen_answer = http_json(f"{url}{url_predict}", unseen)
        assert status == 200, unseen_answer
        unseen_features = unseen_answer["predictions"][0]["features"]
        assert unseen_features["carrier_history__flights_28d"] is None
        assert (
            unseen_features["dest_airport__lat"] is None and unseen_features["plane__seats"] is None
        )
        assert unseen_features["origin_live__departures_last_2h"] > 0  # the origin is known
    served = answer["predictions"]
    assert [p["flight_id"] for p in served] == list(due.index)
    for prediction in served:
        expected = batch.loc[prediction["flight_id"]]
        assert prediction["version"] == "v1" and prediction["model"] == MODEL
        assert prediction["prediction"] == pytest.approx(expected["score"], abs=1e-9)
        _assert_features_equal(prediction["features"], expected, features)
    stale_difference = abs(stale["prediction"] - batch.loc[first.name, "score"])
    assert stale_difference > 0

    # the logs loaded by day; the skew check compares every prediction made at a batch time
    asset = model_family(load_model_specs()[MODEL])[SERVED_PREDICTIONS]
    for _ in range(2):  # loading a day again replaces it
        result = materialize_model_family([asset], paths, instance, partition_key=str(DAY))
        assert result.success
        check = result.get_asset_check_evaluations()[0]
        assert check.check_name == SERVING_SKEW
        assert check.metadata["compared"].value == len(due) + 1  # the unseen flight: no batch
        assert check.metadata["max_difference"].value == pytest.approx(stale_difference, abs=1e-9)
        assert check.passed == (stale_difference <= 0.01)
        with connect(paths.warehouse, read_only=True) as connection:
            loaded = connection.execute(
                "SELECT count(*) FROM ml.served_predictions WHERE flight_date = ?", [DAY]
            ).fetchone()[0]
        assert loaded == len(due) + 2
