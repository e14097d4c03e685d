"""Survey signals, ageing and perception gaps with values worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from apex_model.surveys import SurveyAgeing, perception_gaps, survey_signals, to_score

AGEING = SurveyAgeing(validity_days=90, half_life_days=45, max_age_days=270, notable_gap_points=15)


def answers(rows) -> pd.DataFrame:
    return pd.DataFrame([{"respondent_id": r, "role": role, "answered_on": pd.Timestamp(day), "dimension": dim,
                          "value": v} for r, role, day, dim, v in rows])


def test_scale_mapping() -> None:
    assert to_score(1) == 1.0 and to_score(5) == 100.0 and to_score(3) == pytest.approx(50.5)


def test_weight_is_one_in_the_window_then_halves() -> None:
    assert list(AGEING.weight([0, 90, 135, 180, 270, 271, -1])) == pytest.approx([1, 1, 0.5, 0.25, 0.0625, 0, 0])


def test_self_leadership_operations_and_decay() -> None:
    frame = answers([
        ("L1", "leadership", "2026-01-01", "D4", 5), ("L1", "leadership", "2026-01-01", "D4", 4),   # mean 4.5
        ("O1", "operations", "2026-01-01", "D4", 2),
        ("O2", "operations", "2025-08-04", "D4", 1),        # 150 days old on 2026-01-01
        ("P1", "partner", "2026-01-01", "D8", 3),
    ])
    out = survey_signals(frame, pd.DatetimeIndex(["2025-12-31", "2026-01-01"]), AGEING)
    day = out[out["as_of"] == "2026-01-01"].set_index(["dimension", "group"])
    # leadership: 4.5 -> 1 + 99*3.5/4 = 87.625
    assert day.loc[("D4", "leadership"), "score"] == pytest.approx(87.625)
    # operations: O1 2 -> 25.75 (weight 1), O2 1 -> 1 (150 days: weight 0.5**(60/45))
    w = 0.5 ** (60 / 45)
    ops = (25.75 + w * 1.0) / (1 + w)
    assert day.loc[("D4", "operations"), "score"] == pytest.approx(ops, abs=1e-4)
    assert day.loc[("D4", "operations"), "status"] == "ageing"
    assert day.loc[("D4", "operations"), "confidence"] == pytest.approx((1 + w) / 2, abs=1e-4)
    self_score = (87.625 + 25.75 + w * 1.0) / (2 + w)
    assert day.loc[("D4", "self"), "score"] == pytest.approx(self_score, abs=1e-4)
    assert day.loc[("D4", "self"), "respondents"] == 3
    assert day.loc[("D8", "partner"), "score"] == pytest.approx(50.5)
    assert ("D8", "self") not in day.index                      # partners are not the organisation's self-view
    before = out[out["as_of"] == "2025-12-31"].set_index(["dimension", "group"])
    assert before.loc[("D4", "operations"), "respondents"] == 1   # only O2 had answered by then


def test_newest_answer_per_respondent_counts_and_old_answers_expire() -> None:
    frame = answers([("L1", "leadership", "2025-01-01", "D1", 1), ("L1", "leadership", "2025-06-01", "D1", 5)])
    out = survey_signals(frame, pd.DatetimeIndex(["2025-05-31", "2025-06-01", "2026-03-01"]), AGEING)
    lead = out[out["group"] == "leadership"].set_index("as_of")["score"]
    assert lead[pd.Timestamp("2025-05-31")] == pytest.approx(1.0)
    assert lead[pd.Timestamp("2025-06-01")] == pytest.approx(100.0)
    assert pd.Timestamp("2026-03-01") not in lead.index           # 273 days old: expired


def test_perception_gaps() -> None:
    frame = answers([("L1", "leadership", "2026-01-01", "D4", 5), ("O1", "operations", "2026-01-01", "D4", 3)])
    day = pd.DatetimeIndex(["2026-01-01"])
    sig = survey_signals(frame, day, AGEING)
    data = pd.DataFrame({"as_of": day.repeat(2), "dimension": ["D4", "D5"], "score": [40.0, 70.0]})
    gaps = perception_gaps(sig, data, AGEING).set_index("kind")
    # self = (100 + 50.5) / 2 = 75.25; measured 40 -> +35.25, notable
    assert gaps.loc["self_vs_measured", "gap"] == pytest.approx(35.25)
    assert bool(gaps.loc["self_vs_measured", "notable"]) is True
    assert gaps.loc["leadership_vs_operations", "gap"] == pytest.approx(49.5)
    assert set(gaps["dimension"]) == {"D4"}                        # no survey answers on D5: no gap
