"""The training set a candidate is fitted on: a parquet file per retrain run, with what it holds.

Kept under `artifacts/<model>/training_sets/<run id>/` as `training_set.parquet`, the drift
reference sample drawn from its held-out days (`reference_sample.parquet`) and
`training_set.json` (window, features, rows, fingerprint); all are written atomically, the
JSON last, so a reader never sees a description of other rows. Each version records the run
whose rows it was fitted on (`training_set_run_id` in its params), so a version can be
audited or fitted again from its own rows; the sets of a model's last `keep_training_sets`
versions and of its champion are kept, older ones pruned.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.ml.spec import ModelSpec

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


def kept_training_sets(
    connection: duckdb.DuckDBPyConnection, spec: ModelSpec, current_run_id: str
) -> set[str]:
    """The run ids whose training sets retention keeps: the one just used, those of the
    model's last `keep_training_sets` versions and the champion's."""
    from platform_assets.lib.ml import registry

    versions = registry.list_versions(connection, spec.name)
    kept = versions[-spec.keep_training_sets :] + [v for v in versions if v.alias == "champion"]
    return {current_run_id} | {
        v.params["training_set_run_id"] for v in kept if "training_set_run_id" in v.params
    }


def prune_training_sets(sets_folder: Path, kept_run_ids: set[str]) -> list[str]:
    """Delete the training sets of runs not kept; return their run ids."""
    pruned = sorted(
        path.name
        for path in sets_folder.iterdir()
        if path.is_dir() and path.name not in kept_run_ids
    )
    for run_id in pruned:
        shutil.rmtree(sets_folder / run_id)
    return pruned
