"""Evaluating a candidate needs one: a model without any gets an error that says what to run."""

from __future__ import annotations

import pytest

from platform_assets.lib.ml.candidate_evaluation import (
    NoCandidateError,
    awaiting_candidate,
    evaluate_candidate,
)
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.warehouse import connect


def test_no_candidate_is_a_clear_error_on_an_empty_warehouse(data_paths):
    spec = load_model_specs()["delay_classifier"]
    data_paths.root.mkdir(parents=True)
    with connect(data_paths.warehouse) as connection:
        with pytest.raises(NoCandidateError, match="materialize ml/delay_classifier/candidate"):
            awaiting_candidate(connection, spec)
        with pytest.raises(NoCandidateError):
            evaluate_candidate(connection, data_paths.artifacts, spec)
