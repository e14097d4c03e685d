"""Maturity gates, next-level needs and hysteresis on hand-built profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apex_model import load_model
from apex_model.maturity import (
    apply_hysteresis,
    capability_levels,
    describe_needs,
    diagnose,
    history_days,
    next_level_needs,
)

MODEL = load_model()
# Thresholds 20/40/60/80 -> capability levels 0..4.


def test_capability_levels_from_thresholds() -> None:
    got = capability_levels(MODEL, np.array([5.0, 20.0, 39.9, 40.0, 79.9, 80.0, np.nan]))
    assert got[:6].tolist() == [0, 1, 1, 2, 3, 4]
    assert np.isnan(got[6])


def test_one_weak_dimension_binds_the_level() -> None:
    # CL: 55->2 45->2 50->2 38->1 60->3 52->2 48->2 47->2. Level 2 holds (all >= CL1); level 3 needs all >= 40:
    # Enablement (D4) is 2 points short.
    scores = np.array([[55, 45, 50, 38, 60, 52, 48, 47]], dtype=float)
    dx = diagnose(MODEL, scores)
    assert dx.raw_level.tolist() == [2]
    assert not dx.provisional[0]
    needs = next_level_needs(MODEL, dx, dx.raw_level)[0]
    assert needs == [{"dimension": "D4", "points": 2.0}]
    assert describe_needs(MODEL, needs, 3) == "+2 in Enablement (D4) → level 3"
    assert describe_needs(MODEL, needs, 3, "nl") == "+2 op Enablement (D4) → niveau 3"


def test_at_least_gate_asks_for_the_cheapest_dimensions() -> None:
    # Level 4: all >= 40, at least six >= 60, and D5, D6 >= 60.
    # Scores: D1 65, D2 62, D3 58, D4 55, D5 61, D6 57, D7 70, D8 45.
    # D6 needs +3 (fixed gate). Then >= 60: D1, D2, D5, D6(raised), D7 = 5; one more: cheapest of D3 (+2), D4 (+5),
    # D8 (+15) is D3.
    scores = np.array([[65, 62, 58, 55, 61, 57, 70, 45]], dtype=float)
    dx = diagnose(MODEL, scores)
    assert dx.raw_level.tolist() == [3]
    needs = next_level_needs(MODEL, dx, dx.raw_level)[0]
    assert needs == [{"dimension": "D3", "points": 2.0}, {"dimension": "D6", "points": 3.0}]


def test_unknown_gating_dimension_makes_the_level_provisional() -> None:
    # Same as the first profile but D4 = 48 and D1 unknown: with D1 passing the level would be 3,
    # counting it as failing gives 1 (level 2 needs every dimension >= CL1).
    scores = np.array([[np.nan, 45, 50, 48, 60, 52, 48, 47]], dtype=float)
    dx = diagnose(MODEL, scores)
    assert dx.raw_level.tolist() == [1]
    assert dx.optimistic_level.tolist() == [3]
    assert dx.provisional.tolist() == [True]
    needs = next_level_needs(MODEL, dx, dx.raw_level)[0]
    assert needs == [{"dimension": "D1", "needs": "data"}]


def test_top_level() -> None:
    scores = np.array([[85, 82, 81, 90, 83, 88, 86, 84]], dtype=float)
    dx = diagnose(MODEL, scores)
    assert dx.raw_level.tolist() == [5]
    assert next_level_needs(MODEL, dx, dx.raw_level) == [[]]


def _run_hysteresis(raw: list[int], shortfall_of_held: float = 0.0) -> pd.Series:
    days = pd.date_range("2026-01-01", periods=len(raw), freq="D")
    raw_series = pd.Series(raw, index=days, dtype=float)
    shortfall = pd.DataFrame(0.0, index=days, columns=range(6))
    shortfall.loc[:, 3] = shortfall_of_held
    return apply_hysteresis(MODEL, raw_series, shortfall, days)


def test_promotion_needs_fourteen_consecutive_days() -> None:
    raw = [2] * 30 + [3] * 10 + [2] * 2 + [3] * 20
    held = _run_hysteresis(raw)
    assert held.iloc[39] == 2          # ten days at 3 are not enough
    assert held.iloc[42 + 12] == 2     # day 13 of the second run
    assert held.iloc[42 + 13] == 3     # day 14: promoted
    assert held.iloc[-1] == 3


def test_demotion_waits_fourteen_days_unless_the_drop_is_large() -> None:
    raw = [3] * 30 + [2] * 5 + [3] * 5
    held = _run_hysteresis(raw)
    assert held.tolist() == [3] * 40   # a five-day dip does not move the reported level

    raw = [3] * 30 + [2] * 20
    held = _run_hysteresis(raw)
    assert held.iloc[30 + 12] == 3
    assert held.iloc[30 + 13] == 2

    # A gating dimension more than 10 points below the level-3 gate demotes at once.
    days = pd.date_range("2026-01-01", periods=40, freq="D")
    raw_series = pd.Series([3] * 30 + [2] * 10, index=days, dtype=float)
    shortfall = pd.DataFrame(0.0, index=days, columns=range(6))
    shortfall.loc[days[30]:, 3] = 12.0
    held = apply_hysteresis(MODEL, raw_series, shortfall, days)
    assert held.iloc[29] == 3
    assert held.iloc[30] == 2


def test_a_day_gets_the_same_level_alone_or_inside_a_long_range() -> None:
    rng = np.random.default_rng(7)
    raw = np.clip(np.cumsum(rng.choice([-1, 0, 0, 0, 1], size=300)) % 5 + 1, 1, 5).astype(float)
    days = pd.date_range("2025-01-01", periods=300, freq="D")
    raw_series = pd.Series(raw, index=days)
    shortfall = pd.DataFrame(rng.uniform(0, 12, size=(300, 6)), index=days, columns=range(6))
    all_at_once = apply_hysteresis(MODEL, raw_series, shortfall, days[150:])
    lookback = history_days(MODEL)
    for i in (150, 200, 299):
        alone = apply_hysteresis(MODEL, raw_series.iloc[i - lookback:i + 1], shortfall.iloc[i - lookback:i + 1],
                                 days[i:i + 1])
        assert alone.iloc[0] == all_at_once.loc[days[i]]
