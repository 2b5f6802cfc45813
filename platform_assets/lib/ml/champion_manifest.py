"""Who serves, as a small file beside the artifacts: `artifacts/<model>/champion.json`.

Readers that must not open the DuckDB warehouse (a prediction service, a sensor: DuckDB
refuses a writing process while any other process holds the file) learn the champion from
this file. Promotion and rollback publish it atomically after their transaction commits;
the daily predictions asset publishes it again when it differs from the registry, so a
crash between the commit and the write leaves it stale for a day at most. The file names
the artifact and its SHA-256: a reader verifies the bytes before loading them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.ml.registry_tables import ModelVersion

MANIFEST_FILE = "champion.json"
MANIFEST_FIELDS = (
    "model_name",
    "version",
    "artifact_path",
    "artifact_sha256",
    "training_start",
    "training_end",
)


def champion_manifest(version: ModelVersion) -> dict[str, Any]:
    """What a reader needs to load and describe the champion, from its registry row."""
    params = version.params
    return {
        **{name: str(getattr(version, name)) for name in MANIFEST_FIELDS},
        "validation_start": params.get("validation_start"),
        "task": params.get("task"),
        "target": params.get("target"),
        "features": params.get("features"),
        "prediction_lead_minutes": params.get("prediction_lead_minutes"),
        "metrics": version.metrics,
    }


def _manifest_text(version: ModelVersion) -> str:
    return json.dumps(champion_manifest(version), indent=2, sort_keys=True)


def publish_champion_manifest(artifacts_dir: Path, version: ModelVersion) -> Path:
    """Write the model's champion manifest atomically (readers see the old or the new)."""
    path = artifacts_dir / version.model_name / MANIFEST_FILE
    write_atomically(path, _manifest_text(version).encode())
    return path


def read_champion_manifest(artifacts_dir: Path, model_name: str) -> dict[str, Any] | None:
    """The published champion of a model, or None before its first promotion."""
    try:
        return json.loads((artifacts_dir / model_name / MANIFEST_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None


def refresh_champion_manifest(artifacts_dir: Path, version: ModelVersion) -> bool:
    """Publish the manifest again if it does not describe this champion; True if it did not."""
    published = read_champion_manifest(artifacts_dir, version.model_name)
    if published == json.loads(_manifest_text(version)):  # as read back: tuples are lists
        return False
    publish_champion_manifest(artifacts_dir, version)
    return True
