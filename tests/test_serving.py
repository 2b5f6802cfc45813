"""The prediction service on a real server on a free port: what it serves and when it is ready,
as champions are promoted, rolled back and tampered with, without a restart, and before the
platform has filled the online store."""

from __future__ import annotations

from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.features.feast_repo import apply_repository, open_store
from platform_assets.lib.ml import champion_alias, registry
from platform_assets.lib.ml.champion_manifest import publish_champion_manifest
from platform_assets.lib.warehouse import connect
from tests.helpers import http_json, register_small_version, running_service, tamper, wait_for

MODEL, OTHER = "delay_classifier", "arrival_delay_regressor"  # the shipped models.yaml's
PARAMS = {
    "task": "binary_classification",
    "target": "is_delayed",
    "features": ["dep_delay", "distance"],
    "prediction_lead_minutes": 60,
}


def _served(url: str) -> dict:
    return {m["model"]: m["champion"] and m["champion"]["version"] for m in _models(url)}


def _models(url: str) -> list[dict]:
    status, body = http_json(f"{url}/v1/models")
    assert status == 200
    return body["models"]


def test_a_promotion_is_served_without_a_restart_and_a_tampered_artifact_is_refused(data_paths):
    artifacts = data_paths.artifacts
    with connect(data_paths.warehouse) as connection:
        for seed in range(3):
            register_small_version(connection, artifacts, seed=seed, params=PARAMS)
        register_small_version(connection, artifacts, model_name=OTHER, params=PARAMS)
        champion_alias.promote(connection, artifacts, OTHER, "v1", reason="r", actor="a")
    with running_service(data_paths) as url:
        status, ready = http_json(f"{url}/readyz")
        assert status == 503 and "no champion published yet" in ready["models"][MODEL]["problem"]
        assert _served(url) == {MODEL: None, OTHER: "v1"}
        # a data root whose online store the platform has not filled yet
        assert "materialize features/online_store" in ready["online_store"]["problem"]
        flight = {"carrier": "UA", "flight_number": 1545, "origin": "EWR", "dest": "IAH",
                  "scheduled_departure": "2013-01-15T17:00:00-05:00",
                  "scheduled_arrival": "2013-01-15T20:10:00-06:00"}  # fmt: skip
        status, refused = http_json(f"{url}/v1/models/{OTHER}/predict", flight)
        assert status == 503 and "materialize features/online_store" in refused["detail"]
        store = open_store(data_paths.feast)
        apply_repository(store, FeatureCatalog.from_manifest(), data_paths.feature_files, {})

        with connect(data_paths.warehouse) as connection:
            first = champion_alias.promote(
                connection, artifacts, MODEL, "v1", reason="r", actor="a"
            )
        wait_for(lambda: _served(url)[MODEL] == "v1", 30, "v1 to be served")
        assert http_json(f"{url}/readyz")[0] == 200
        listed = next(m for m in _models(url) if m["model"] == MODEL)["champion"]
        assert listed["artifact_sha256"] == first.artifact_sha256
        assert (listed["training_start"], listed["training_end"]) == ("2013-01-01", "2013-03-31")
        assert listed["features"] == PARAMS["features"] and listed["prediction_lead_minutes"] == 60

        # a manifest naming an artifact whose bytes changed after registration
        with connect(data_paths.warehouse) as connection:
            second = registry.get_version(connection, MODEL, "v2")
        tamper(artifacts / second.artifact_path)
        publish_champion_manifest(artifacts, second)
        status, ready = wait_for(
            lambda: (answer := http_json(f"{url}/readyz"))[0] == 503 and answer, 30, "a refusal"
        )
        assert "failed its integrity check" in ready["models"][MODEL]["problem"]
        assert ready["models"][MODEL]["serving"] == "v1"  # the previous version keeps serving
        assert _served(url)[MODEL] == "v1"

        with connect(data_paths.warehouse) as connection:
            champion_alias.promote(connection, artifacts, MODEL, "v3", reason="r", actor="a")
        wait_for(lambda: _served(url)[MODEL] == "v3", 30, "v3 to be served")
        assert http_json(f"{url}/readyz") == (200, {"ready": True, "models": {
            MODEL: {"serving": "v3", "problem": None}, OTHER: {"serving": "v1", "problem": None}
        }, "online_store": {"repository": str(data_paths.feast), "problem": None}})  # fmt: skip
