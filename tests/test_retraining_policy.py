"""The retraining decision as a plain function of monitoring data and the policy."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from platform_assets.lib.ml.spec import RetrainingPolicy
from platform_assets.lib.monitoring.retraining_policy import ModelState, decide, page_hinkley

AS_OF = date(2013, 6, 30)
POLICY = RetrainingPolicy(
    drift_share_at_least=0.5,
    for_consecutive_days=3,
    performance_worse_than=0.6,
    performance_drop_of=0.05,
    performance_window_days=7,
    new_labelled_rows=60_000,
    cooldown_days=7,
)


def _days(values: list[float]) -> dict[date, float]:
    """Values for the days ending at AS_OF, oldest first."""
    return {AS_OF - timedelta(days=len(values) - 1 - i): v for i, v in enumerate(values)}


def _state(**overrides) -> ModelState:
    base = dict(
        as_of=AS_OF,
        champion_version="v1",
        champion_validation_score=0.70,
        drift_shares=_days([0.1] * 10),
        daily_performance=_days([0.70] * 10),
        labelled_rows_since_training=1_000,
    )
    return ModelState(**{**base, **overrides})


def test_a_quiet_model_is_not_retrained_and_the_reason_says_so():
    decision = decide(POLICY, True, _state())
    assert not decision.triggered
    assert decision.reason == "no retraining signal"
    assert decision.numbers["drift_streak_days"] == 0
    assert decision.numbers["recent_performance"] == pytest.approx(0.70)


def test_drift_must_last_the_configured_number_of_days():
    two_days = decide(POLICY, True, _state(drift_shares=_days([0.1, 0.9, 0.6])))
    assert not two_days.triggered and two_days.numbers["drift_streak_days"] == 2
    three_days = decide(POLICY, True, _state(drift_shares=_days([0.6, 0.9, 0.5])))
    assert three_days.triggered
    assert "drift share >= 0.5 for 3 days in a row" in three_days.reason


def test_a_gap_in_monitoring_breaks_the_drift_streak():
    shares = _days([0.9, 0.9, 0.9])
    del shares[AS_OF - timedelta(days=1)]
    assert not decide(POLICY, True, _state(drift_shares=shares)).triggered


def test_performance_below_the_floor_or_far_below_validation_triggers():
    floor = decide(POLICY, True, _state(daily_performance=_days([0.58] * 7)))
    assert floor.triggered and "worse than the floor 0.6" in floor.reason
    drop = decide(POLICY, True, _state(daily_performance=_days([0.64] * 7)))
    assert drop.triggered and "dropped by 0.0600" in drop.reason
    small_drop = decide(POLICY, True, _state(daily_performance=_days([0.67] * 7)))
    assert not small_drop.triggered


def test_for_an_error_metric_higher_is_worse():
    mae = RetrainingPolicy(performance_worse_than=35.0, performance_drop_of=5.0)
    state = _state(champion_validation_score=25.0, daily_performance=_days([36.0] * 7))
    decision = decide(mae, False, state)
    assert decision.triggered and "worse than the floor 35" in decision.reason
    assert decision.numbers["performance_drop"] == 11.0
    recovered = _state(champion_validation_score=25.0, daily_performance=_days([26.0] * 7))
    assert not decide(mae, False, recovered).triggered


def test_new_labelled_rows_trigger():
    decision = decide(POLICY, True, _state(labelled_rows_since_training=60_000))
    assert decision.triggered and "60000 new labelled rows" in decision.reason


def test_cooldown_and_a_retrain_in_flight_hold_back_a_firing_signal():
    firing = dict(drift_shares=_days([0.9] * 5))
    cooling = decide(POLICY, True, _state(last_retrain_as_of=AS_OF - timedelta(days=3), **firing))
    assert not cooling.triggered and "cooling down: 3 of 7 days" in cooling.reason
    cooled = decide(POLICY, True, _state(last_retrain_as_of=AS_OF - timedelta(days=7), **firing))
    assert cooled.triggered
    in_flight = decide(POLICY, True, _state(retrain_in_flight=True, **firing))
    assert not in_flight.triggered and "already in flight" in in_flight.reason


def test_the_first_model_is_trained_once_a_full_window_exists():
    none_yet = _state(champion_version=None, champion_validation_score=None, as_of=None)
    assert not decide(POLICY, True, none_yet).triggered
    ready = _state(champion_version=None, champion_validation_score=None)
    decision = decide(POLICY, True, ready)
    assert decision.triggered and "first model" in decision.reason


def test_page_hinkley_climbs_with_a_lasting_fall_and_not_with_noise():
    rng = np.random.default_rng(0)
    steady = list(0.70 + rng.normal(scale=0.03, size=60))
    fallen = steady[:30] + [value - 0.08 for value in steady[30:]]
    # by hand: 0.7, 0.6 -> mean 0.65, shortfall 0.05 - delta 0.01 = 0.04 above the lowest (0)
    assert page_hinkley([0.7, 0.6], 0.01, True) == pytest.approx(0.04)
    assert page_hinkley([25.0, 30.0], 0.5, False) == pytest.approx(2.0)  # MAE: higher is worse
    assert page_hinkley(steady, 0.01, True) < 0.1
    assert page_hinkley(fallen, 0.01, True) > 0.5
    assert page_hinkley([value + 0.2 for value in steady], 0.01, True) < 0.1  # a rise: no alarm

    policy = RetrainingPolicy(page_hinkley_threshold=0.3, page_hinkley_delta=0.01)
    alarm = decide(policy, True, _state(daily_performance=_days(fallen)))
    assert alarm.triggered and "Page-Hinkley" in alarm.reason
    assert alarm.numbers["page_hinkley"] == pytest.approx(page_hinkley(fallen, 0.01, True))
    assert not decide(policy, True, _state(daily_performance=_days(steady))).triggered


def test_page_hinkley_restarts_at_each_retrain_promoted_or_refused():
    fallen = [0.70] * 30 + [0.62] * 30
    policy = RetrainingPolicy(page_hinkley_threshold=0.3, page_hinkley_delta=0.01)
    assert decide(policy, True, _state(daily_performance=_days(fallen))).triggered
    # a retrain (its candidate refused) at the fall's tenth day: only the days after it count,
    # and the new level alone is steady
    retrained = AS_OF - timedelta(days=20)
    after = decide(
        policy, True, _state(daily_performance=_days(fallen), last_retrain_as_of=retrained)
    )
    assert not after.triggered
    assert after.numbers["page_hinkley"] == pytest.approx(page_hinkley([0.62] * 20, 0.01, True))


def test_the_decision_file_survives_a_line_cut_short_and_gives_the_cooldown_its_day(tmp_path):
    """A crash mid-append leaves a partial line: it alone is lost, the next decision is whole,
    and the cooldown reads the latest triggered day."""
    from platform_assets.lib.monitoring.sensor_files import (
        DECISIONS_FILE,
        append_decision,
        last_triggered_as_of,
        read_decisions,
    )

    fired = decide(POLICY, True, _state(drift_shares=_days([0.9] * 3)))
    quiet = decide(POLICY, True, _state())
    append_decision(tmp_path, "m", fired, POLICY)
    with (tmp_path / "m" / DECISIONS_FILE).open("a") as cut:
        cut.write('{"model_name": "m", "as_of": "2013-07-0')
    append_decision(tmp_path, "m", quiet, POLICY)
    assert [d["triggered"] for d in read_decisions(tmp_path, "m")] == [True, False]
    assert last_triggered_as_of(tmp_path, "m") == AS_OF
    assert last_triggered_as_of(tmp_path, "other") is None
