"""A model version's files: written hidden and fsynced, published by an atomic rename, and read
back only when their SHA-256 is the one the registry recorded.

The registry (`registry.py`) decides what a version is; this module only keeps its bytes safe,
so an interrupted registration or a file changed on disk never reaches `joblib.load`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The names the registry writes, and the hidden names they wait under until their row commits.
VERSION_FILE_PATTERN = re.compile(r"v\d+\.(?:joblib|reference\.parquet)")
PENDING_FILE_PATTERN = re.compile(r"\.(v\d+\.(?:joblib|reference\.parquet))\.pending")
QUARANTINE = "quarantine"


class ArtifactIntegrityError(ValueError):
    """An artifact file is missing or its bytes no longer match the SHA-256 recorded for it."""


def model_card_path(artifacts: Path, model_name: str, version: str) -> Path:
    """Where a version's model card is kept: beside its artifact (its evaluation writes it and
    records its SHA-256 in `ml.model_evaluations`)."""
    return artifacts / model_name / f"{version}.card.md"


def read_verified(path: Path, expected: str) -> bytes:
    """The file's bytes, only if their SHA-256 is the one recorded at registration."""
    pending = pending_path(path)
    # Registered, then interrupted before publishing: finish the publication.
    with contextlib.suppress(FileNotFoundError):  # nothing pending, or another reader was first
        if not path.exists() and hashlib.sha256(pending.read_bytes()).hexdigest() == expected:
            publish(pending, path)
    try:
        data = path.read_bytes()
        found = hashlib.sha256(data).hexdigest()
    except FileNotFoundError:
        data, found = b"", "(file missing)"
    if found != expected:
        raise ArtifactIntegrityError(
            f"Artifact {path} failed its integrity check.\n"
            f"  expected sha256: {expected}\n"
            f"  found sha256:    {found}\n"
            "It was changed or removed after registration and will not be loaded: retrain the "
            "model to register a new version, or roll back / promote another version."
        )
    return data


def joblib_bytes(model: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def pending_path(final: Path) -> Path:
    """Where a file waits, hidden, until the row that records it is committed."""
    return final.with_name(f".{final.name}.pending")


def write_pending(final: Path, data: bytes) -> Path:
    """Write bytes beside their final name, hidden, and force them to disk."""
    pending = pending_path(final)
    with pending.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    return pending


def settle_pending_files(folder: Path, recorded: dict[str, str]) -> dict[str, Path]:
    """Clear what an interrupted registration left: publish pending files whose row was
    committed (`recorded` maps their names to their SHA-256) and delete the others. A version
    file no row records is never deleted (a warehouse rebuilt from nothing records none of a
    model's files): it is moved to `quarantine/`, stamped with the time, so that a new version
    of the same number cannot overwrite it; the moves are returned (name -> where it went).
    Only names the registry itself writes are touched. Runs inside the single-writer section.
    """
    quarantined = {}
    for path in folder.iterdir():
        pending = PENDING_FILE_PATTERN.fullmatch(path.name)
        if pending and pending[1] in recorded and not (folder / pending[1]).exists():
            # A damaged file is not published: the version stays refused at load, with its message.
            with contextlib.suppress(ArtifactIntegrityError):
                read_verified(folder / pending[1], recorded[pending[1]])  # publishes it
        if pending:
            path.unlink(missing_ok=True)
        elif VERSION_FILE_PATTERN.fullmatch(path.name) and path.name not in recorded:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = folder / QUARANTINE / f"{stamp}-{path.name}"
            target.parent.mkdir(exist_ok=True)
            os.replace(path, target)
            quarantined[path.name] = target
    return quarantined


def publish(temporary: Path, final: Path) -> None:
    """Atomically give a written file its final name and make the rename itself durable."""
    os.replace(temporary, final)
    folder = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
