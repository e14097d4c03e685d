"""Why did it move: the split of a dimension's change into signal contributions, worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from apex_model.explain import explain_change, top_movers
from apex_model.model import load_model

MODEL = load_model()
D1 = [s.id for s in MODEL.signals_of("D1")]


def side(rows: dict[str, tuple[str, float | None]]) -> pd.DataFrame:
    """Signal rows for one day; every signal not listed is missing."""
    data = []
    for spec in MODEL.signals:
        status, score = rows.get(spec.id, ("missing", None))
        data.append({"signal_id": spec.id, "status": status, "score": score})
    return pd.DataFrame(data)


def d1(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["dimension"] == "D1"].set_index("signal_id")


def test_value_changes_of_signals_present_on_both_days() -> None:
    a, b, c = D1[:3]
    before = side({a: ("present", 40.0), b: ("present", 60.0), c: ("present", 80.0)})
    after = side({a: ("present", 70.0), b: ("present", 60.0), c: ("present", 50.0)})
    out = d1(explain_change(MODEL, before, after))
    # Equal weights: the score is the plain mean, 60 -> 60; a adds (70-40)/3 = +10, c adds (50-80)/3 = -10.
    assert out.loc[a, "contribution"] == pytest.approx(10.0)
    assert out.loc[b, "contribution"] == pytest.approx(0.0)
    assert out.loc[c, "contribution"] == pytest.approx(-10.0)
    assert out.loc["dimension_total", "contribution"] == pytest.approx(0.0)
    assert set(out["effect"]) == {"value", "total"}


def test_a_signal_going_stale_and_one_appearing_are_coverage_effects() -> None:
    a, b, c = D1[:3]
    before = side({a: ("present", 40.0), b: ("present", 60.0)})          # score 50
    after = side({a: ("present", 40.0), b: ("stale", None), c: ("present", 100.0)})  # score 70
    out = d1(explain_change(MODEL, before, after))
    # Common set {a}: S_C = 40 on both days, so a's value effect is 0.
    # c appeared: (100 - 40) / 2 = +30 (W_2 = 2).  b dropped: -(60 - 40) / 2 = -10 (W_1 = 2).  Total 70 - 50 = +20.
    assert out.loc[a, "contribution"] == pytest.approx(0.0)
    assert (out.loc[c, "effect"], out.loc[c, "contribution"]) == ("appeared", pytest.approx(30.0))
    assert (out.loc[b, "effect"], out.loc[b, "contribution"]) == ("dropped", pytest.approx(-10.0))
    assert (out.loc[b, "status_from"], out.loc[b, "status_to"]) == ("present", "stale")
    assert out.loc["dimension_total", "contribution"] == pytest.approx(20.0)
    assert (out.loc["dimension_total", "score_from"], out.loc["dimension_total", "score_to"]) == (50.0, 70.0)


def test_no_common_signal_and_no_present_signal() -> None:
    a, b = D1[:2]
    out = d1(explain_change(MODEL, side({a: ("present", 30.0)}), side({b: ("present", 90.0)})))
    # No signal on both days: each side's plain share; +90 appeared, -30 dropped, total +60.
    assert out.loc[b, "contribution"] == pytest.approx(90.0)
    assert out.loc[a, "contribution"] == pytest.approx(-30.0)
    assert out.loc["dimension_total", "contribution"] == pytest.approx(60.0)
    empty = d1(explain_change(MODEL, side({}), side({b: ("present", 90.0)})))
    assert math.isnan(empty.loc["dimension_total", "contribution"])
    assert math.isnan(empty.loc[b, "contribution"])


def test_top_movers_names_the_largest_contributions() -> None:
    a, b, c = D1[:3]
    before = side({a: ("present", 40.0), b: ("present", 60.0)})
    after = side({a: ("present", 40.0), b: ("stale", None), c: ("present", 100.0)})
    text = top_movers(explain_change(MODEL, before, after))
    assert text == {"D1": f"+20.0 points: {c} +30.0 (appeared), {b} -10.0 (dropped)"}
