"""Peer percentiles with values worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from apex_model.benchmark import peer_percentiles, percentile_among


def test_mid_rank_percentile() -> None:
    assert percentile_among(50, [10, 20, 60, 70]) == 50.0
    assert percentile_among(5, [10, 20]) == 0.0
    assert percentile_among(20, [10, 20, 30, 40]) == pytest.approx(100 * 1.5 / 4)


def frames(stages: dict[str, str], d4: dict[str, float]):
    day = pd.Timestamp("2026-10-01")
    scores = pd.DataFrame({"org_id": list(d4), "as_of": day, "dimension": "D4", "score": list(d4.values())})
    st = pd.DataFrame({"org_id": list(stages), "as_of": day, "stage": list(stages.values())})
    return scores, st


def test_fewer_than_five_organisations_gives_nothing() -> None:
    scores, st = frames({"a": "growth", "b": "growth", "c": "growth", "d": "growth"},
                        {"a": 10, "b": 20, "c": 30, "d": 40})
    assert peer_percentiles(scores, st).empty


def test_stage_cohort_and_fallback_to_all() -> None:
    orgs = {"a": "growth", "b": "growth", "c": "growth", "d": "growth", "e": "growth", "f": "mature"}
    scores, st = frames(orgs, {"a": 10, "b": 20, "c": 30, "d": 40, "e": 50, "f": 35})
    out = peer_percentiles(scores, st).set_index("org_id")
    assert out.loc["c", "cohort"] == "growth" and out.loc["c", "cohort_size"] == 5
    assert out.loc["c", "percentile"] == 50.0            # 2 of 4 growth peers below
    assert out.loc["e", "percentile"] == 100.0
    # the one mature organisation has no cohort of five: compared with all six; 3 of 5 below 35
    assert out.loc["f", "cohort"] == "all" and out.loc["f", "cohort_size"] == 6
    assert out.loc["f", "percentile"] == 60.0
    assert set(out.columns) == {"as_of", "dimension", "cohort", "cohort_size", "percentile"}


def test_insufficient_scores_are_left_out() -> None:
    orgs = {k: "growth" for k in "abcdef"}
    scores, st = frames(orgs, {"a": 10, "b": 20, "c": 30, "d": 40, "e": 50, "f": float("nan")})
    out = peer_percentiles(scores, st).set_index("org_id")
    assert "f" not in out.index and out.loc["a", "cohort_size"] == 5
