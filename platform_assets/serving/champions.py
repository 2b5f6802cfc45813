"""The champions the prediction service serves, learned from their published manifests.

The service never opens the warehouse (DuckDB refuses a writing process while any other
process holds the file, and the platform's runs need it): each model's champion comes from
`artifacts/<model>/champion.json`, which promotion and rollback publish atomically
(lib/ml/champion_manifest.py). `ChampionSlots.refresh` reads every manifest again; a changed
one is loaded only once its artifact's SHA-256 is the manifest's. An artifact that fails the
check is refused: the version loaded before keeps serving, and the refusal is reported (by
`/readyz`) until the manifest, or the artifact, is made right (each poll tries it again).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platform_assets.lib.ml.artifacts import ArtifactIntegrityError, read_verified
from platform_assets.lib.ml.champion_manifest import MANIFEST_FILE


@dataclass(frozen=True)
class Champion:
    """A loaded champion: its manifest (version, window, features, lead) and its pipeline."""

    manifest: dict[str, Any]
    pipeline: Any

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def features(self) -> list[str]:
        return list(self.manifest["features"])

    @property
    def lead_minutes(self) -> int:
        return int(self.manifest["prediction_lead_minutes"])

    def describe(self) -> dict[str, Any]:
        """What `GET /v1/models` shows of it."""
        fields = ("version", "task", "target", "training_start", "training_end")
        return {
            **{name: self.manifest.get(name) for name in fields},
            "prediction_lead_minutes": self.lead_minutes,
            "artifact_sha256": self.manifest["artifact_sha256"],
            "features": self.features,
        }


@dataclass
class Slot:
    """One declared model: what it serves, and why the published manifest is not served."""

    serving: Champion | None = None
    problem: str | None = None
    seen: bytes | None = None  # the manifest's bytes last loaded (a refused one is tried again)


class ChampionSlots:
    """The declared models' champions, each replaced when its manifest changes and verifies."""

    def __init__(self, artifacts: Path, models: list[str]):
        self.artifacts = artifacts
        self._slots = {name: Slot() for name in models}
        self._lock = threading.Lock()  # refresh runs in the poller thread, reads in requests

    @property
    def models(self) -> list[str]:
        return list(self._slots)

    def refresh(self) -> None:
        """Read every manifest; load the champion of each that changed, if it verifies."""
        for model, slot in self._slots.items():
            path = self.artifacts / model / MANIFEST_FILE
            try:
                text = path.read_bytes()
            except FileNotFoundError:
                missing = f"no champion published yet ({path} is missing)"
                self._record(slot, None if slot.serving else missing)
                continue
            except OSError as error:  # unreadable: reported, and the poller goes on
                self._record(slot, f"cannot read {path}: {error}")
                continue
            if text == slot.seen:
                continue
            try:
                champion = _load(self.artifacts, text)
            except (ArtifactIntegrityError, OSError, ValueError, KeyError) as error:
                self._record(slot, f"champion manifest {path} refused: {error}")
            else:
                self._record(slot, None, champion, text)

    def _record(self, slot: Slot, problem, champion=None, text=None) -> None:
        with self._lock:
            slot.problem = problem
            if champion is not None:
                slot.serving, slot.seen = champion, text

    def champion(self, model: str) -> Champion | None:
        """The model's loaded champion (None before one verified); KeyError if undeclared."""
        with self._lock:
            return self._slots[model].serving

    def status(self) -> dict[str, dict[str, Any]]:
        """Each model's served version and problem, for `/readyz`."""
        with self._lock:
            return {
                model: {
                    "serving": slot.serving.version if slot.serving else None,
                    "problem": slot.problem,
                }
                for model, slot in self._slots.items()
            }

    def ready(self) -> bool:
        """Every declared model serves a champion and no published manifest is refused."""
        return all(s["serving"] and not s["problem"] for s in self.status().values())


def _load(artifacts: Path, manifest_text: bytes) -> Champion:
    import json

    import joblib

    manifest = json.loads(manifest_text)
    data = read_verified(artifacts / manifest["artifact_path"], manifest["artifact_sha256"])
    return Champion(manifest=manifest, pipeline=joblib.load(io.BytesIO(data)))
