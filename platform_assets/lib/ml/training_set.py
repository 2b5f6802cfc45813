"""The training set a candidate is fitted on: a parquet file per model, with what it holds.

Kept under `artifacts/<model>/` as `training_set.parquet`, the drift reference sample drawn
from its held-out days (`reference_sample.parquet`) and `training_set.json` (window,
features, rows, fingerprint); all are replaced atomically, the JSON last, so a reader never
sees a description of other rows.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from platform_assets.lib.atomic_files import write_atomically

DATA_FILE = "training_set.parquet"
REFERENCE_FILE = "reference_sample.parquet"
DESCRIPTION_FILE = "training_set.json"


class StoredTrainingSet(NamedTuple):
    """What the candidate asset reads: the labelled rows, their description, the reference."""

    frame: pd.DataFrame
    description: dict[str, Any]
    reference: pd.DataFrame


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def save_training_set(
    folder: Path, frame: pd.DataFrame, description: dict[str, Any], reference: pd.DataFrame
) -> None:
    """Store the rows, the reference sample and their description for the candidate asset."""
    write_atomically(folder / DATA_FILE, _parquet_bytes(frame))
    write_atomically(folder / REFERENCE_FILE, _parquet_bytes(reference))
    write_atomically(folder / DESCRIPTION_FILE, json.dumps(description, indent=2).encode())


def load_training_set(folder: Path, model_name: str) -> StoredTrainingSet:
    """The stored rows, description and reference; a clear error when none was materialized."""
    description_path = folder / DESCRIPTION_FILE
    if not description_path.exists():
        raise FileNotFoundError(
            f"No training set for model '{model_name}' in {folder}: materialize "
            f"ml/{model_name}/training_set first."
        )
    description = json.loads(description_path.read_text(encoding="utf-8"))
    return StoredTrainingSet(
        pd.read_parquet(folder / DATA_FILE),
        description,
        pd.read_parquet(folder / REFERENCE_FILE),
    )
