"""Composition effects: the part of a day's move that signals (or dimensions) appearing or dropping out caused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apex_model.aggregate import _weighted_geometric
from apex_model.composition import dimension_composition, overall_composition, stage_weights
from apex_model.explain import explain_days
from apex_model.model import DIMENSION_IDS, load_model
from apex_model.stages import StageMix, dimension_weights

MODEL = load_model()
D1 = [s.id for s in MODEL.signals_of("D1")]
DAYS = pd.date_range("2025-03-01", periods=4, freq="D")


def signal_rows(day: pd.Timestamp, rows: dict[str, tuple[str, float | None]]) -> list[dict]:
    return [{"as_of": day, "signal_id": spec.id, "status": rows.get(spec.id, ("missing", None))[0],
             "score": rows.get(spec.id, ("missing", None))[1]} for spec in MODEL.signals]


def test_dimension_composition_keeps_only_appearing_and_dropping_signals_of_consecutive_days() -> None:
    a, b, c = D1[:3]
    signals = pd.DataFrame(
        signal_rows(DAYS[0], {a: ("present", 40.0), b: ("present", 60.0)})                          # 50
        + signal_rows(DAYS[1], {a: ("present", 40.0), b: ("stale", None), c: ("present", 100.0)})   # 70
        + signal_rows(DAYS[2], {a: ("present", 46.0), c: ("present", 100.0)})                       # 73
        + signal_rows(DAYS[3], {a: ("present", 46.0), b: ("present", 60.0), c: ("present", 100.0)}))
    pairs = list(zip(DAYS[:-1], DAYS[1:])) + [(DAYS[0], DAYS[2])]
    out = dimension_composition(explain_days(MODEL, signals, pairs), DAYS)
    # Day 2: c appeared (+30), b dropped (-10): the whole move of +20 is composition. Day 3: a's value only.
    # Day 4: b came back below the others' mean of 73: -(73 - 60) / 3. The two-day pair is not a daily move.
    assert out["D1"].tolist() == pytest.approx([0.0, 20.0, 0.0, (60.0 - 73.0) / 3])
    assert (out.drop(columns="D1") == 0).all().all()


def test_overall_composition_is_the_move_that_like_for_like_dimensions_do_not_explain() -> None:
    weights = pd.DataFrame(1 / 8, index=DAYS, columns=list(DIMENSION_IDS))
    dims = pd.DataFrame(50.0, index=DAYS, columns=list(DIMENSION_IDS))
    own = pd.DataFrame(0.0, index=DAYS, columns=list(DIMENSION_IDS))
    dims.loc[DAYS[1]:, "D1"] = 60.0          # day 2: D1 up 10 by a signal coming back
    own.loc[DAYS[1], "D1"] = 10.0
    dims.loc[DAYS[2]:, "D2"] = 70.0          # day 3: D2 up 20 by its signals' values
    dims.loc[DAYS[3], "D3"] = np.nan         # day 4: D3 has no score (the overall fills it in; composition)
    geometric = _weighted_geometric(dims.to_numpy(), weights.to_numpy())
    overall = pd.Series(geometric, index=DAYS)
    out = overall_composition(dims, own, weights, overall)
    moves = overall.diff()
    assert out.iloc[0] == 0.0
    assert out.iloc[1] == pytest.approx(moves.iloc[1])
    assert out.iloc[2] == pytest.approx(0.0, abs=1e-9)
    assert out.iloc[3] == pytest.approx(moves.iloc[3]) and out.iloc[3] != 0.0


def test_stage_weights_from_stored_shares_equal_the_blended_dimension_weights() -> None:
    shares = pd.DataFrame([[1.0, 0.0, 0.0], [0.25, 0.75, 0.0], [0.0, 0.4, 0.6]], index=DAYS[:3],
                          columns=MODEL.stage_ids)
    mix = StageMix(dates=DAYS[:3], position=np.zeros(3), shares=shares)
    pd.testing.assert_frame_equal(stage_weights(MODEL, shares), dimension_weights(MODEL, mix), check_freq=False)
