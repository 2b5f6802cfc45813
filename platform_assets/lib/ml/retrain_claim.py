"""One retrain per model at a time, whoever launched it: a claim file naming the run that holds it.

A retrain's steps (training set, candidate, evaluation, champion) each take the model's claim
before they touch anything. A claim is held while its run is unfinished, so nothing has to
release it: a run that failed, was cancelled or was killed leaves a claim the next retrain
takes over. A run tag cannot do this job: a run launched from the UI as an asset selection
carries no tags of ours, and the warehouse pool only keeps steps apart, not whole runs.
Every step that takes the claim is in the single-writer pool, so two never take it at once;
a step that finds it held fails rather than waits, since waiting would keep the one writer
slot that the holder's next step needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from platform_assets.lib.atomic_files import write_atomically

CLAIM_FILE = "retrain.claim.json"


class RetrainClaimedError(RuntimeError):
    """Another unfinished run is retraining the model."""


def claim_holder(model_folder: Path) -> str | None:
    """The run id the model's claim names, or None when no retrain ever claimed it."""
    try:
        return json.loads((model_folder / CLAIM_FILE).read_text(encoding="utf-8"))["run_id"]
    except FileNotFoundError:
        return None


def claim_retrain(
    model_folder: Path, model_name: str, run_id: str, is_unfinished: Callable[[str], bool]
) -> None:
    """Hold the model's claim for `run_id`, or raise if another unfinished run holds it."""
    holder = claim_holder(model_folder)
    if holder is not None and holder != run_id and is_unfinished(holder):
        raise RetrainClaimedError(
            f"Model '{model_name}' is being retrained by run {holder}, which has not finished. "
            "This run stops before changing anything: launch it again once that run ends "
            "(or terminate that run from the Runs page)."
        )
    if holder != run_id:
        write_atomically(model_folder / CLAIM_FILE, json.dumps({"run_id": run_id}).encode())
