"""The training set a candidate is fitted on: a parquet file per model, with what it holds.

Kept under `artifacts/<model>/` as `training_set.parquet` plus `training_set.json` (window,
features, rows, fingerprint); both are replaced atomically, the JSON last, so a reader never
sees a description of other rows.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from platform_assets.lib.atomic_files import write_atomically

DATA_FILE = "training_set.parquet"
DESCRIPTION_FILE = "training_set.json"


def save_training_set(folder: Path, frame: pd.DataFrame, description: dict[str, Any]) -> None:
    """Store the rows and their description for the candidate asset to read."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomically(folder / DATA_FILE, buffer.getvalue())
    write_atomically(folder / DESCRIPTION_FILE, json.dumps(description, indent=2).encode())


def load_training_set(folder: Path, model_name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The stored rows and description; a clear error when none was materialized yet."""
    description_path = folder / DESCRIPTION_FILE
    if not description_path.exists():
        raise FileNotFoundError(
            f"No training set for model '{model_name}' in {folder}: materialize "
            f"ml/{model_name}/training_set first."
        )
    description = json.loads(description_path.read_text(encoding="utf-8"))
    return pd.read_parquet(folder / DATA_FILE), description
