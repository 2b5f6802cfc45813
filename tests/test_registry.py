"""The model registry on a real DuckDB file with real artifacts of a real scikit-learn model."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression

from platform_assets.cli.models import add_models_commands
from platform_assets.lib.ml import champion_alias, registry
from platform_assets.lib.ml.artifacts import ArtifactIntegrityError
from platform_assets.lib.ml.champion_manifest import (
    read_champion_manifest,
    refresh_champion_manifest,
)
from platform_assets.lib.warehouse import connect
from tests.helpers import register_small_version, small_training_data, tamper

MODEL = "delay_classifier"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _events(connection) -> list[tuple]:
    return [
        (e.version, e.action, e.from_alias, e.to_alias)
        for e in registry.alias_history(connection, MODEL)
    ]


def test_registration_writes_files_atomically_and_records_lineage(data_paths):
    with connect(data_paths.warehouse) as connection:
        version = register_small_version(connection, data_paths.artifacts)
        events = registry.alias_history(connection, MODEL)

    folder = data_paths.artifacts / MODEL
    assert sorted(p.name for p in folder.iterdir()) == ["v1.joblib", "v1.reference.parquet"]
    assert version.artifact_path == f"{MODEL}/v1.joblib"
    assert _sha256(folder / "v1.joblib") == version.artifact_sha256
    assert _sha256(folder / "v1.reference.parquet") == version.reference_sample_sha256
    assert (version.version, version.version_number, version.alias) == ("v1", 1, "candidate")
    assert version.params == {"C": 1.0}
    assert 0.5 < version.metrics["accuracy"] <= 1.0
    assert (version.row_count, version.data_fingerprint) == (300, "fingerprint-0")
    assert version.package_versions["scikit-learn"] == sklearn.__version__
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    assert version.git_commit == head.stdout.strip()
    assert [(e.version, e.action, e.from_alias, e.to_alias, e.actor) for e in events] == [
        ("v1", "register", None, "candidate", "platform")
    ]


def test_a_version_round_trips_to_the_same_predictions_and_reference_sample(data_paths):
    features, labels = small_training_data()
    with connect(data_paths.warehouse) as connection:
        register_small_version(connection, data_paths.artifacts)
        loaded = registry.load_model(connection, data_paths.artifacts, MODEL, "v1")
        sample = registry.load_reference_sample(connection, data_paths.artifacts, MODEL, "v1")

    original = LogisticRegression(C=1.0).fit(features, labels)
    np.testing.assert_array_equal(loaded.predict(features), original.predict(features))
    np.testing.assert_allclose(loaded.predict_proba(features), original.predict_proba(features))
    pd.testing.assert_frame_equal(sample, features.head(50))


def test_a_new_version_archives_the_older_candidate(data_paths):
    with connect(data_paths.warehouse) as connection:
        register_small_version(connection, data_paths.artifacts, seed=0)
        register_small_version(connection, data_paths.artifacts, seed=1, reference_sample=None)
        versions = registry.list_versions(connection, MODEL)
        events = _events(connection)
        archiving = registry.alias_history(connection, MODEL)[1]

    assert [(v.version, v.alias) for v in versions] == [("v1", "archived"), ("v2", "candidate")]
    assert versions[1].reference_sample_path is None
    assert events[1:] == [
        ("v1", "register", "candidate", "archived"),
        ("v2", "register", None, "candidate"),
    ]
    assert archiving.reason == "superseded by v2"


def test_a_tampered_artifact_is_refused_at_load_and_at_promote(data_paths):
    artifacts = data_paths.artifacts
    with connect(data_paths.warehouse) as connection:
        register_small_version(connection, artifacts, seed=0)
        champion_alias.promote(connection, artifacts, MODEL, "v1", reason="first", actor="test")
        candidate = register_small_version(connection, artifacts, seed=1)
        path = artifacts / candidate.artifact_path
        tamper(path)
        tampered_sha256 = _sha256(path)
        events_before = _events(connection)

        with pytest.raises(ArtifactIntegrityError) as refused:
            registry.load_model(connection, artifacts, MODEL, "v2")
        with pytest.raises(ArtifactIntegrityError):
            champion_alias.promote(
                connection, artifacts, MODEL, "v2", reason="better", actor="test"
            )

        assert registry.champion(connection, MODEL).version == "v1"
        assert registry.get_version(connection, MODEL, "v2").alias == "candidate"
        assert _events(connection) == events_before

        path.unlink()
        with pytest.raises(ArtifactIntegrityError, match=r"found sha256:\s+\(file missing\)"):
            registry.load_model(connection, artifacts, MODEL, "v2")

    message = str(refused.value)
    assert str(path) in message
    assert f"expected sha256: {candidate.artifact_sha256}" in message
    assert f"found sha256:    {tampered_sha256}" in message
    assert "retrain" in message and "roll back" in message


def test_promote_and_rollback_move_aliases_and_write_the_audit_trail(data_paths):
    artifacts = data_paths.artifacts
    with connect(data_paths.warehouse) as connection:
        for seed in range(3):
            register_small_version(connection, artifacts, seed=seed)
        # v1 and v2 were archived by newer candidates; promotion can still bring them in.
        first = champion_alias.promote(
            connection, artifacts, MODEL, "v1", reason="baseline", actor="a"
        )
        assert first.alias == "champion"
        with pytest.raises(ValueError, match="already the champion"):
            champion_alias.promote(connection, artifacts, MODEL, "v1", reason="again", actor="a")
        with pytest.raises(ValueError, match="no earlier champion"):
            champion_alias.rollback(connection, artifacts, MODEL, reason="oops", actor="a")
        champion_alias.promote(connection, artifacts, MODEL, "v2", reason="better", actor="b")
        champion_alias.promote(connection, artifacts, MODEL, "v3", reason="best", actor="c")
        assert [v.alias for v in registry.list_versions(connection, MODEL)] == [
            "archived",
            "archived",
            "champion",
        ]

        restored = champion_alias.rollback(
            connection, artifacts, MODEL, reason="v3 drifts", actor="d"
        )
        assert restored.version == "v2"
        assert (
            champion_alias.rollback(
                connection, artifacts, MODEL, reason="v2 too", actor="d"
            ).version
            == "v1"
        )
        aliases = {v.version: v.alias for v in registry.list_versions(connection, MODEL)}
        assert aliases == {"v1": "champion", "v2": "archived", "v3": "archived"}
        with pytest.raises(ValueError, match="no earlier champion"):
            champion_alias.rollback(connection, artifacts, MODEL, reason="again", actor="d")
        events = registry.alias_history(connection, MODEL)

    moves = [(e.version, e.action, e.from_alias, e.to_alias) for e in events[5:]]
    assert moves == [
        ("v1", "promote", "archived", "champion"),
        ("v1", "promote", "champion", "archived"),
        ("v2", "promote", "archived", "champion"),
        ("v2", "promote", "champion", "archived"),
        ("v3", "promote", "candidate", "champion"),
        ("v3", "rollback", "champion", "archived"),
        ("v2", "rollback", "archived", "champion"),
        ("v2", "rollback", "champion", "archived"),
        ("v1", "rollback", "archived", "champion"),
    ]
    assert (events[-1].reason, events[-1].actor) == ("v2 too", "d")


def test_promotion_and_rollback_publish_the_champion_manifest(data_paths):
    """The manifest names the champion after each move, with the artifact's SHA-256; a stale
    one (a crash after the commit) is published again from the registry."""
    artifacts = data_paths.artifacts
    manifest = artifacts / MODEL / "champion.json"
    with connect(data_paths.warehouse) as connection:
        for seed in range(2):
            register_small_version(connection, artifacts, seed=seed)
        assert read_champion_manifest(artifacts, MODEL) is None
        first = champion_alias.promote(connection, artifacts, MODEL, "v1", reason="r", actor="a")
        second = champion_alias.promote(connection, artifacts, MODEL, "v2", reason="r", actor="a")
        published = read_champion_manifest(artifacts, MODEL)
        assert (published["version"], published["artifact_sha256"]) == (
            "v2",
            second.artifact_sha256,
        )
        assert _sha256(artifacts / published["artifact_path"]) == second.artifact_sha256
        stale = manifest.read_bytes()
        restored = champion_alias.rollback(connection, artifacts, MODEL, reason="r", actor="a")
        assert read_champion_manifest(artifacts, MODEL)["version"] == restored.version == "v1"
        manifest.write_bytes(stale)
        assert refresh_champion_manifest(artifacts, registry.champion(connection, MODEL))
        assert not refresh_champion_manifest(artifacts, registry.champion(connection, MODEL))
    assert read_champion_manifest(artifacts, MODEL)["artifact_sha256"] == first.artifact_sha256


def test_the_first_candidate_becomes_champion(data_paths):
    with connect(data_paths.warehouse) as connection:
        register_small_version(connection, data_paths.artifacts)
        assert registry.champion(connection, MODEL) is None
        champion_alias.promote(
            connection, data_paths.artifacts, MODEL, "v1", reason="first model", actor="test"
        )
        assert registry.champion(connection, MODEL).version == "v1"
        assert _events(connection)[-1] == ("v1", "promote", "candidate", "champion")


def test_promotions_at_the_same_moment_leave_exactly_one_champion(data_paths):
    """Connections promote every version but the champion at once, in rounds: each round
    ends with one champion, the one whose promotion the audit trail records last; the others either
    committed before it (and were archived by it) or failed whole on DuckDB's conflict."""
    artifacts = data_paths.artifacts
    with connect(data_paths.warehouse) as connection:
        for seed in range(5):
            register_small_version(connection, artifacts, seed=seed)
    champions = []

    def promote(version: str, barrier: threading.Barrier) -> str | None:
        with connect(data_paths.warehouse) as own:  # one database, a connection per thread
            barrier.wait()
            try:
                champion_alias.promote(own, artifacts, MODEL, version, reason="race", actor="t")
            except (duckdb.TransactionException, duckdb.ConstraintException) as error:
                return str(error)
        return None

    for _ in range(8):
        versions = [f"v{number}" for number in range(1, 6) if [f"v{number}"] != champions]
        barrier = threading.Barrier(len(versions))
        with ThreadPoolExecutor(len(versions)) as pool:
            refused = list(pool.map(promote, versions, [barrier] * len(versions)))
        with connect(data_paths.warehouse) as connection:
            champions = [
                v.version
                for v in registry.list_versions(connection, MODEL)
                if v.alias == "champion"
            ]
            last = [
                e for e in registry.alias_history(connection, MODEL) if e.to_alias == "champion"
            ]
        assert len(champions) == 1, (champions, refused)
        assert champions == [last[-1].version]
        assert any(message is None for message in refused)


def test_a_rebuilt_warehouse_quarantines_the_files_it_has_no_row_for(data_paths, caplog):
    """The warehouse is rebuilt from nothing while the artifacts stay: the next registration
    (a new v1) moves the old v1's files to quarantine, unchanged, and says so."""
    with connect(data_paths.warehouse) as connection:
        old = register_small_version(connection, data_paths.artifacts, seed=0)
    folder = data_paths.artifacts / MODEL
    old_bytes = (folder / "v1.joblib").read_bytes()
    data_paths.warehouse.unlink()
    with connect(data_paths.warehouse) as connection:
        new = register_small_version(connection, data_paths.artifacts, seed=1)
        registry.load_model(connection, data_paths.artifacts, MODEL, "v1")  # the new one verifies
    quarantined = sorted((folder / "quarantine").iterdir())
    assert [path.name.split("-", 1)[1] for path in quarantined] == [
        "v1.joblib",
        "v1.reference.parquet",
    ]
    assert quarantined[0].read_bytes() == old_bytes
    assert _sha256(quarantined[0]) == old.artifact_sha256 != new.artifact_sha256
    assert "moved to" in caplog.text and "not deleted" in caplog.text


def test_a_failed_registration_leaves_no_artifact_and_does_not_touch_existing_ones(data_paths):
    folder = data_paths.artifacts / MODEL
    with connect(data_paths.warehouse) as connection:
        first = register_small_version(connection, data_paths.artifacts, reference_sample=None)
        # Provoke a primary-key clash: the next registration computes version v1 again.
        connection.execute("UPDATE ml.model_versions SET version_number = 0")
        with pytest.raises(duckdb.ConstraintException):
            register_small_version(connection, data_paths.artifacts, seed=1)
        assert len(registry.list_versions(connection, MODEL)) == 1
        assert len(_events(connection)) == 1

    assert [p.name for p in folder.iterdir()] == ["v1.joblib"]
    assert _sha256(folder / "v1.joblib") == first.artifact_sha256


def test_unknown_models_versions_and_names_are_clear_errors(data_paths):
    with connect(data_paths.warehouse) as connection:
        assert registry.list_versions(connection) == []
        register_small_version(connection, data_paths.artifacts)
        with pytest.raises(ValueError, match=f"No model named 'nope'.*Known models: {MODEL}"):
            registry.get_version(connection, "nope", "v1")
        with pytest.raises(ValueError, match="no version 'v9'.*Known versions: v1"):
            registry.load_model(connection, data_paths.artifacts, MODEL, "v9")
        with pytest.raises(ValueError, match="cannot name a folder"):
            register_small_version(connection, data_paths.artifacts, model_name="../escape")
        with pytest.raises(ValueError, match="params must be JSON values"):
            register_small_version(connection, data_paths.artifacts, params={"C": np.float32(1.0)})


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="platform-assets")
    add_models_commands(parser.add_subparsers(dest="command", required=True))
    arguments = parser.parse_args(argv)
    return arguments.handler(arguments)


def test_cli_lists_shows_promotes_and_rolls_back(data_paths, capsys):
    with pytest.raises(ValueError, match="does not exist yet"):
        _run_cli("models", "list")
    with connect(data_paths.warehouse) as connection:
        register_small_version(connection, data_paths.artifacts, seed=0)
        champion_alias.promote(
            connection, data_paths.artifacts, MODEL, "v1", reason="first", actor="t"
        )
        register_small_version(connection, data_paths.artifacts, seed=1)

    assert _run_cli("models", "promote", MODEL, "v2", "--reason", "better recall") == 0
    assert capsys.readouterr().out == f"{MODEL} v2 is now the champion (was v1, now archived).\n"

    assert _run_cli("models", "list", "--model", MODEL) == 0
    header, rule, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["model", "version", "alias"]
    assert set(rule) == {"-", " "}
    assert [row.split()[:3] for row in rows] == [
        [MODEL, "v1", "archived"],
        [MODEL, "v2", "champion"],
    ]
    assert "2013-01-01 .. 2013-03-31" in rows[0] and "accuracy=" in rows[0]

    assert _run_cli("models", "rollback", MODEL, "--reason", "v2 misbehaves") == 0
    assert (
        capsys.readouterr().out == f"Rolled back {MODEL}: v1 is the champion again (v2 archived).\n"
    )

    assert _run_cli("models", "show", MODEL, "v1") == 0
    shown = capsys.readouterr().out
    for field in ("artifact_sha256:", "data_fingerprint:", "git_commit:", "package_versions:"):
        assert field in shown
    assert 'params:                  {"C": 1.0}' in shown
    assert "alias:                   champion" in shown
    history, card = shown.split("Alias history:\n")[1].split("\n\n")
    history = history.splitlines()
    assert card.startswith("No model card is kept for this version")  # registered, not evaluated
    assert history[0].split() == [
        "at",
        "(UTC)",
        "version",
        "action",
        "from",
        "to",
        "actor",
        "reason",
    ]
    last = history[-1]
    assert "rollback" in last and "v2 misbehaves" in last and "cli:" in last

    with pytest.raises(ValueError, match="No model named 'other'"):
        _run_cli("models", "show", "other", "v1")
    assert _run_cli("models", "list", "--model", "other") == 0
    assert capsys.readouterr().out == "No model versions registered for model 'other'.\n"


def test_cli_reports_a_busy_warehouse_while_another_process_writes(data_paths):
    with connect(data_paths.warehouse) as connection:
        register_small_version(connection, data_paths.artifacts)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"connection = duckdb.connect({str(data_paths.warehouse)!r})\n"
            "print('ready', flush=True)\nsys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(ValueError, match="is busy.*Retry when that run ends"):
            _run_cli("models", "promote", MODEL, "v1", "--reason", "go")
        with pytest.raises(ValueError, match="is busy"):
            _run_cli("models", "list")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
