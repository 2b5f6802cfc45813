"""One retrain per model at a time: the claim, against the runs of a real Dagster instance."""

from __future__ import annotations

import dagster as dg
import pytest

from platform_assets.defs.ml.retrain_run import retrain_claimed, run_is_unfinished
from platform_assets.lib.ml.retrain_claim import RetrainClaimedError, claim_holder, claim_retrain

MODEL = "delay_classifier"


@dg.asset
def placeholder() -> None:
    """A run to hold a claim with."""


def _unfinished(instance: dg.DagsterInstance):
    return lambda run_id: run_is_unfinished(instance, run_id)


def test_a_claim_holds_while_its_run_is_unfinished_and_passes_on_after(tmp_path, instance):
    folder = tmp_path / MODEL
    job = dg.define_asset_job("placeholder_job").resolve(
        asset_graph=dg.Definitions(assets=[placeholder]).resolve_asset_graph()
    )
    queued = instance.create_run_for_job(job)  # not started: unfinished
    finished = dg.materialize([placeholder], instance=instance).run_id

    claim_retrain(folder, MODEL, queued.run_id, _unfinished(instance))
    assert retrain_claimed(instance, tmp_path, MODEL)
    claim_retrain(folder, MODEL, queued.run_id, _unfinished(instance))  # its own: held again
    with pytest.raises(RetrainClaimedError, match=f"being retrained by run {queued.run_id}"):
        claim_retrain(folder, MODEL, "another-run", _unfinished(instance))
    assert claim_holder(folder) == queued.run_id

    instance.report_run_canceled(queued)  # killed, cancelled or failed: nothing to release
    assert not retrain_claimed(instance, tmp_path, MODEL)
    claim_retrain(folder, MODEL, finished, _unfinished(instance))
    assert claim_holder(folder) == finished
