"""Scoring functions against values worked out by hand (the arithmetic is in each test's comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from apex_model import DIMENSION_IDS, load_model
from apex_model.aggregate import dimension_scores, overall_scores
from apex_model.model import Goalposts
from apex_model.normalise import normalise, normalise_blended
from apex_model.stages import dimension_weights, stage_mix

MODEL = load_model()


def test_goalposts_map_floor_to_1_target_to_100_and_clip() -> None:
    gp = Goalposts(floor=0.05, target=0.60)
    # (0.325 - 0.05) / 0.55 = 0.5 -> 1 + 99 * 0.5 = 50.5
    got = normalise(np.array([0.05, 0.325, 0.60, 0.0, 0.9, np.nan]), gp, 1, 100)
    assert got[:5] == pytest.approx([1.0, 50.5, 100.0, 1.0, 100.0])
    assert math.isnan(got[5])


def test_goalposts_lower_is_better() -> None:
    gp = Goalposts(floor=240, target=12)
    # (126 - 240) / (12 - 240) = 0.5 -> 50.5; 300 h is worse than the floor -> 1
    assert normalise(np.array([126.0, 12.0, 300.0, 6.0]), gp, 1, 100) == pytest.approx([50.5, 100.0, 1.0, 100.0])


def test_stage_from_active_partners_at_an_anchor() -> None:
    mix = stage_mix(MODEL, pd.DatetimeIndex(["2026-01-01"]), np.array([80]), np.array([1000]))
    assert mix.shares.iloc[0].to_dict() == pytest.approx({"early_stage": 0.0, "growth": 1.0, "mature": 0.0})


def test_young_programme_is_capped_by_age() -> None:
    # 400 partners would be "mature" (position 2), but at 500 days the cap is 0 + (500 - 365) / 180 = 0.75.
    mix = stage_mix(MODEL, pd.DatetimeIndex(["2026-01-01"]), np.array([400]), np.array([500]))
    assert mix.position[0] == pytest.approx(0.75)
    assert mix.shares.iloc[0].to_dict() == pytest.approx({"early_stage": 0.25, "growth": 0.75, "mature": 0.0})
    assert mix.dominant.iloc[0] == "growth"


def test_weights_blend_halfway_between_growth_and_mature() -> None:
    # sqrt(80 * 400) partners is halfway on the log axis: position 1.5; age 1185 d caps at 1 + 90/180 = 1.5.
    active = math.sqrt(80 * 400)
    mix = stage_mix(MODEL, pd.DatetimeIndex(["2026-01-01"]), np.array([active]), np.array([1185]))
    assert mix.shares.iloc[0].to_dict() == pytest.approx({"early_stage": 0.0, "growth": 0.5, "mature": 0.5})
    weights = dimension_weights(MODEL, mix).iloc[0]
    # Governance: (12 + 18) / 2 = 15 of 100 points; Enablement: (16 + 8) / 2 = 12.
    assert weights["D2"] == pytest.approx(0.15)
    assert weights["D4"] == pytest.approx(0.12)
    assert weights.sum() == pytest.approx(1.0)


def test_stage_override_puts_all_weight_on_one_stage() -> None:
    mix = stage_mix(MODEL, pd.DatetimeIndex(["2026-01-01"]), np.array([5]), np.array([10]), override="mature")
    assert mix.shares.iloc[0].to_dict() == pytest.approx({"early_stage": 0.0, "growth": 0.0, "mature": 1.0})


def test_blended_normalisation_mixes_stage_goalposts() -> None:
    # d3_type_mix_entropy: early floor .10 target .70, growth floor .20 target .85.
    # value 0.40: early (0.3/0.6)=0.5 -> 50.5; growth (0.2/0.65) -> 1 + 99*0.307692 = 31.4615; half/half -> 40.98077
    got = normalise_blended(MODEL, "d3_type_mix_entropy", np.array([0.40]), np.array([[0.5, 0.5, 0.0]]))
    assert got[0] == pytest.approx(0.5 * 50.5 + 0.5 * (1 + 99 * 0.2 / 0.65))


def _signal_rows(day: str, rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"as_of": pd.Timestamp(day), "signal_id": s, "status": st, "score": sc} for s, st, sc in rows])


def test_dimension_mean_coverage_and_range() -> None:
    rows = _signal_rows("2026-03-01", [
        ("d4_certification_coverage", "present", 40.0),
        ("d4_activation_rate_90d", "present", 70.0),
        ("d4_training_completion_rate", "missing", np.nan),
        ("d4_support_tickets_per_partner", "not_applicable", np.nan),
    ])
    d4 = dimension_scores(MODEL, rows).set_index("dimension").loc["D4"]
    # Two of three applicable signals present: coverage 2/3 (exactly at the threshold), score (40 + 70) / 2 = 55,
    # range: missing at 1 -> (110 + 1) / 3 = 37; missing at 100 -> (110 + 100) / 3 = 70.
    assert d4["status"] == "ok"
    assert d4["coverage"] == pytest.approx(2 / 3)
    assert d4["score"] == pytest.approx(55.0)
    assert d4["score_low"] == pytest.approx(37.0)
    assert d4["score_high"] == pytest.approx(70.0)
    assert (d4["n_present"], d4["n_missing"], d4["n_not_applicable"]) == (2, 1, 1)


def test_dimension_below_two_thirds_is_insufficient_not_low() -> None:
    rows = _signal_rows("2026-03-01", [
        ("d8_partner_nps", "present", 90.0),
        ("d8_survey_response_rate", "stale", np.nan),
        ("d8_activities_per_partner_90d", "missing", np.nan),
        ("d8_partner_initiated_share", "present", 30.0),
    ])
    out = dimension_scores(MODEL, rows).set_index("dimension")
    d8 = out.loc["D8"]
    # Coverage 2/4 = 0.5 < 2/3: no score, but the range is still known: (120 + 2) / 4 = 30.5 .. (120 + 200) / 4 = 80
    assert d8["status"] == "insufficient_data"
    assert math.isnan(d8["score"])
    assert d8["score_low"] == pytest.approx(30.5)
    assert d8["score_high"] == pytest.approx(80.0)
    # A dimension with no signal rows at all is insufficient with the widest range.
    assert out.loc["D1", "status"] == "insufficient_data"
    assert (out.loc["D1", "score_low"], out.loc["D1", "score_high"]) == (1.0, 100.0)


def _dimension_frame(day: str, scores: dict[str, float], low: dict | None = None, high: dict | None = None,
                     coverage: dict | None = None) -> pd.DataFrame:
    rows = []
    for d in DIMENSION_IDS:
        s = scores.get(d, np.nan)
        rows.append({"as_of": pd.Timestamp(day), "dimension": d, "score": s,
                     "score_low": (low or {}).get(d, s), "score_high": (high or {}).get(d, s),
                     "coverage": (coverage or {}).get(d, 1.0), "status": "ok" if not np.isnan(s) else "insufficient_data"})
    return pd.DataFrame(rows)


def _equal_weights(day: str) -> pd.DataFrame:
    return pd.DataFrame([[1 / 8] * 8], index=pd.DatetimeIndex([day], name="as_of"), columns=list(DIMENSION_IDS))


def test_overall_geometric_mean_with_arithmetic_and_weakest_beside_it() -> None:
    scores = {d: 50.0 for d in DIMENSION_IDS} | {"D4": 80.0, "D7": 20.0}
    out = overall_scores(MODEL, _dimension_frame("2026-03-01", scores), _equal_weights("2026-03-01")).iloc[0]
    # geometric: 50 * (80/50)^(1/8) * (20/50)^(1/8) = 50 * 0.64^(1/8) = 50 * 0.945742 = 47.2871
    assert out["overall_score"] == pytest.approx(50 * 0.64 ** 0.125)
    # arithmetic: (6 * 50 + 80 + 20) / 8 = 50
    assert out["arithmetic_mean"] == pytest.approx(50.0)
    assert (out["weakest_dimension"], out["weakest_score"]) == ("D7", 20.0)
    assert out["status"] == "ok"


def test_overall_imputes_insufficient_dimension_inside_its_own_range() -> None:
    scores = {d: 60.0 for d in DIMENSION_IDS if d != "D6"}
    low = {"D6": 10.0}
    high = {"D6": 40.0}
    coverage = {"D6": 0.5}
    out = overall_scores(MODEL, _dimension_frame("2026-03-01", scores, low, high, coverage),
                         _equal_weights("2026-03-01")).iloc[0]
    # Known geometric mean is 60, but D6's own data caps it at 40: overall = 60^(7/8) * 40^(1/8) = 57.0159
    assert out["overall_score"] == pytest.approx(60 ** 0.875 * 40 ** 0.125)
    # Range: D6 at 10 .. 40 with the others fixed at 60.
    assert out["overall_low"] == pytest.approx(60 ** 0.875 * 10 ** 0.125)
    assert out["overall_high"] == pytest.approx(60 ** 0.875 * 40 ** 0.125)
    assert out["overall_low"] <= out["overall_score"] <= out["overall_high"]
    # Coverage: 7/8 * 1 + 1/8 * 0.5 = 0.9375
    assert out["coverage"] == pytest.approx(0.9375)


def test_overall_is_insufficient_when_too_little_is_known() -> None:
    scores = {"D1": 70.0, "D2": 70.0}
    out = overall_scores(MODEL, _dimension_frame("2026-03-01", scores, coverage={d: 0.0 for d in DIMENSION_IDS[2:]}),
                         _equal_weights("2026-03-01")).iloc[0]
    assert out["status"] == "insufficient_data"
    assert math.isnan(out["overall_score"])
    assert out["coverage"] == pytest.approx(0.25)
