"""Survey answers as signals beside the data, ageing with a validity window and decay, and the perception gaps.

A quick-scan answer is one item on a 1–5 scale for one dimension, from one respondent with a role (leadership,
operations or partner) on one day. As of day D:

- each respondent's newest answers per dimension count (dated on or before D, at most `max_age_days` old); their
  item mean maps to the score scale as 1 + 99 · (mean − 1) / 4, so 1 → 1, 3 → 50.5, 5 → 100;
- an answer is fully valid for `validity_days`; after that its weight halves every `half_life_days` until
  `max_age_days`, when it expires. The survey score per dimension and group is the weight-averaged respondent score;
  its `confidence` is the mean weight (1.0 while every answer is fresh);
- groups: `self` (the organisation's own people: leadership and operations), `leadership`, `operations`, `partner`.

The survey score is shown beside the data score and never blended into it. Two perception gaps are outputs of their
own: `self_vs_measured` (self − data score) and `leadership_vs_operations` (leadership − operations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from apex_model.model import DIMENSION_IDS

ROLES = ("leadership", "operations", "partner")
GROUPS = {"self": ("leadership", "operations"), "leadership": ("leadership",), "operations": ("operations",),
          "partner": ("partner",)}
SCALE_MIN, SCALE_MAX = 1, 5
GAP_KINDS = ("self_vs_measured", "leadership_vs_operations")


@dataclass(frozen=True)
class SurveyAgeing:
    validity_days: int = 90
    half_life_days: int = 45
    max_age_days: int = 270
    notable_gap_points: float = 15.0

    def weight(self, age_days: np.ndarray) -> np.ndarray:
        age = np.asarray(age_days, dtype=float)
        decayed = 0.5 ** (np.maximum(age - self.validity_days, 0.0) / self.half_life_days)
        return np.where((age < 0) | (age > self.max_age_days), 0.0, decayed)


def to_score(answer: np.ndarray | float) -> np.ndarray | float:
    """1–5 answer (or mean of answers) on the 1..100 score scale."""
    return 1.0 + 99.0 * (np.asarray(answer, dtype=float) - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)


SIGNAL_COLUMNS = ["as_of", "dimension", "group", "score", "respondents", "newest_on", "age_days", "confidence",
                  "status"]


def survey_signals(answers: pd.DataFrame, dates: pd.DatetimeIndex, ageing: SurveyAgeing = SurveyAgeing()
                   ) -> pd.DataFrame:
    """One row per (as_of, dimension, group) that has at least one unexpired answer.

    `answers` columns: respondent_id, role, answered_on (datetime), dimension, value (1–5); one row per item.
    Status: `valid` (every counted answer inside the validity window) or `ageing` (some are decaying).
    """
    if answers.empty or not len(dates):
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    per_resp = (answers.groupby(["respondent_id", "role", "dimension", "answered_on"], as_index=False)["value"]
                .mean().sort_values("answered_on"))
    per_resp["answered_on"] = per_resp["answered_on"].astype("datetime64[ns]")   # merge_asof needs one unit
    # One pass over all dates: each (day, respondent, dimension) gets the respondent's newest answer up to that day.
    keys = per_resp[["respondent_id", "dimension"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"as_of": pd.DatetimeIndex(dates).sort_values().astype("datetime64[ns]")}),
                      how="cross")
    grid = grid.sort_values("as_of")
    newest = pd.merge_asof(grid, per_resp, left_on="as_of", right_on="answered_on", by=["respondent_id", "dimension"],
                           direction="backward").dropna(subset=["answered_on"])
    newest["age"] = (newest["as_of"] - newest["answered_on"]).dt.days
    newest["weight"] = ageing.weight(newest["age"].to_numpy())
    newest = newest[newest["weight"] > 0]
    if newest.empty:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    newest["score"] = to_score(newest["value"].to_numpy())
    newest["w_score"] = newest["weight"] * newest["score"]
    parts = []
    for group, roles in GROUPS.items():
        members = newest[newest["role"].isin(roles)]
        if members.empty:
            continue
        agg = members.groupby(["as_of", "dimension"]).agg(
            w=("weight", "sum"), w_score=("w_score", "sum"), respondents=("respondent_id", "size"),
            newest_on=("answered_on", "max"), age_days=("age", "min"), oldest=("age", "max"),
            confidence=("weight", "mean")).reset_index()
        agg["group"] = group
        parts.append(agg)
    out = pd.concat(parts, ignore_index=True)
    out["score"] = (out["w_score"] / out["w"]).round(4)
    out["confidence"] = out["confidence"].round(4)
    out["status"] = (out["oldest"] <= ageing.validity_days).map({True: "valid", False: "ageing"})
    out["respondents"] = out["respondents"].astype(int)
    out["age_days"] = out["age_days"].astype(int)
    return out[SIGNAL_COLUMNS].sort_values(["as_of", "dimension", "group"]).reset_index(drop=True)


GAP_COLUMNS = ["as_of", "dimension", "kind", "left_score", "right_score", "gap", "confidence", "notable"]


def perception_gaps(signals: pd.DataFrame, dimension_scores: pd.DataFrame, ageing: SurveyAgeing = SurveyAgeing()
                    ) -> pd.DataFrame:
    """The two perception gaps per (as_of, dimension), where both sides exist.

    `self_vs_measured`: self-assessment survey score − data score (positive: the organisation rates itself higher
    than its data shows). `leadership_vs_operations`: leadership − operations survey score. `confidence` is the
    lower of the two sides' (1.0 for the data side); `notable` when |gap| ≥ `notable_gap_points`.
    """
    if signals.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    frames = []
    self_side = signals[signals["group"] == "self"][["as_of", "dimension", "score", "confidence"]]
    data_side = dimension_scores[["as_of", "dimension", "score"]].dropna(subset=["score"])
    measured = self_side.merge(data_side, on=["as_of", "dimension"], suffixes=("_left", "_right"))
    frames.append(measured.assign(kind="self_vs_measured"))
    lead = signals[signals["group"] == "leadership"][["as_of", "dimension", "score", "confidence"]]
    ops = signals[signals["group"] == "operations"][["as_of", "dimension", "score", "confidence"]]
    pair = lead.merge(ops, on=["as_of", "dimension"], suffixes=("_left", "_right"))
    pair["confidence_left"] = np.minimum(pair["confidence_left"], pair["confidence_right"])
    pair = pair.drop(columns=["confidence_right"]).rename(columns={"confidence_left": "confidence"})
    frames.append(pair.assign(kind="leadership_vs_operations"))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out = pd.concat(frames, ignore_index=True).rename(columns={"score_left": "left_score", "score_right": "right_score"})
    out["gap"] = (out["left_score"] - out["right_score"]).round(4)
    out["notable"] = out["gap"].abs() >= ageing.notable_gap_points
    out = out[GAP_COLUMNS].copy()
    out["dimension"] = pd.Categorical(out["dimension"], categories=list(DIMENSION_IDS), ordered=True)
    out = out.sort_values(["as_of", "dimension", "kind"]).reset_index(drop=True)
    out["dimension"] = out["dimension"].astype(str)
    return out
