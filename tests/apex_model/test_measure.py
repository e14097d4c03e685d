"""Measure computations with values worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from apex_model.measure import CycleSpec, FocusTarget, baselines, cycle_progress
from apex_model.model import DIMENSION_IDS

CYCLE = CycleSpec("2026-q3", "measure", date(2026, 7, 1), date(2026, 9, 28),   # 89 days from start to end
                  (FocusTarget("D4", 70.0), FocusTarget("D7", 40.0)))


def scores(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """{day: {dimension: score}}; dimensions not given are 50."""
    out = []
    for day, by_dim in rows.items():
        for dim in DIMENSION_IDS:
            out.append({"as_of": pd.Timestamp(day), "dimension": dim, "score": by_dim.get(dim, 50.0)})
    return pd.DataFrame(out)


def row(frame: pd.DataFrame, day: str, dim: str) -> pd.Series:
    return frame[(frame["as_of"] == pd.Timestamp(day)) & (frame["dimension"] == dim)].iloc[0]


def test_focus_progress_by_hand() -> None:
    frame = scores({"2026-06-30": {"D4": 10.0}, "2026-07-01": {"D4": 40.0, "D7": 60.0, "D2": 50.0},
                    "2026-07-31": {"D4": 52.0, "D7": 55.0, "D2": 61.0}})
    out = cycle_progress(CYCLE, frame, pd.DatetimeIndex(["2026-06-30", "2026-07-01", "2026-07-31"]))
    assert set(out["as_of"]) == {pd.Timestamp("2026-07-01"), pd.Timestamp("2026-07-31")}   # before the cycle: none
    d4 = row(out, "2026-07-31", "D4")
    # baseline 40 on 07-01 (the score of the day before the start does not count); +12 of the 30 points to 70
    assert d4["baseline"] == 40.0 and d4["movement"] == pytest.approx(12.0)
    assert d4["share_to_target"] == pytest.approx(0.4)
    # 30 days elapsed of 89: projected 40 + 12 * 89/30 = 75.6 >= 70 -> on track
    assert d4["days_elapsed"] == 30 and d4["days_total"] == 89
    assert d4["projected_end"] == pytest.approx(40 + 12 * 89 / 30)
    assert bool(d4["on_track"]) is True and bool(d4["is_focus"]) is True
    d7 = row(out, "2026-07-31", "D7")
    # target 40 at or below the baseline 60: already reached, no way to go; projected 60 - 5*89/30 = 45.17 >= 40
    assert pd.isna(d7["share_to_target"])
    assert bool(d7["on_track"]) is True
    d2 = row(out, "2026-07-31", "D2")
    assert bool(d2["is_surprise"]) is True and pd.isna(d2["target"]) and pd.isna(d2["on_track"])
    assert bool(row(out, "2026-07-31", "D1")["is_surprise"]) is False          # moved 0
    # on the first day nothing has moved and no pace exists yet
    assert pd.isna(row(out, "2026-07-01", "D4")["on_track"])
    # falling short: +3 in 30 days projects 40 + 3*89/30 = 48.9 < 70
    slow = scores({"2026-07-01": {"D4": 40.0}, "2026-07-31": {"D4": 43.0}})
    d4_slow = row(cycle_progress(CYCLE, slow, pd.DatetimeIndex(["2026-07-31"])), "2026-07-31", "D4")
    assert d4_slow["share_to_target"] == pytest.approx(0.1) and bool(d4_slow["on_track"]) is False


def test_surprise_threshold_is_inclusive_both_ways() -> None:
    frame = scores({"2026-07-01": {"D1": 50.0, "D2": 50.0}, "2026-08-01": {"D1": 42.0, "D2": 57.9}})
    out = cycle_progress(CYCLE, frame, pd.DatetimeIndex(["2026-07-01", "2026-08-01"]), surprise_points=8.0)
    assert bool(row(out, "2026-08-01", "D1")["is_surprise"]) is True       # -8.0
    assert bool(row(out, "2026-08-01", "D2")["is_surprise"]) is False      # +7.9


def test_baseline_waits_for_the_first_scored_day() -> None:
    frame = scores({"2026-07-01": {}, "2026-07-03": {"D4": 44.0}, "2026-07-13": {"D4": 50.0}})
    frame.loc[(frame["as_of"] == "2026-07-01") & (frame["dimension"] == "D4"), "score"] = np.nan
    base = baselines(CYCLE, frame).set_index("dimension")
    assert base.loc["D4", "baseline"] == 44.0 and base.loc["D4", "baseline_on"] == pd.Timestamp("2026-07-03")
    out = cycle_progress(CYCLE, frame, pd.DatetimeIndex(["2026-07-01", "2026-07-13"]))
    assert pd.isna(row(out, "2026-07-01", "D4")["baseline"])               # not known yet on that day
    d4 = row(out, "2026-07-13", "D4")
    # +6 in 10 days; the cycle runs 87 days from the baseline day: 44 + 6 * 87/10 = 96.2 >= 70
    assert d4["movement"] == pytest.approx(6.0) and d4["projected_end"] == pytest.approx(44 + 6 * 87 / 10)


def test_no_scores_yet_gives_no_baseline() -> None:
    empty = pd.DataFrame({"as_of": pd.to_datetime([]), "dimension": [], "score": []})
    base = baselines(CYCLE, empty)
    assert list(base["dimension"]) == list(DIMENSION_IDS) and base["baseline"].isna().all()
    assert base["baseline_on"].isna().all()
    out = cycle_progress(CYCLE, empty, pd.DatetimeIndex(["2026-07-05"]))
    assert out["baseline"].isna().all() and out["on_track"].isna().all() and not out["is_surprise"].any()
