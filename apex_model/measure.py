"""The Measure phase: progress of a cycle's focus dimensions against their targets, and what surprised.

A cycle (configured per organisation) has a start, an end, two or three focus dimensions and a target per focus
dimension. Its baseline is each dimension's score on the cycle's first scored day (the start, or the first day on or
after it with a score). For every as-of day inside the cycle and every dimension:

- movement = score − baseline (points);
- share of the way to target = movement / (target − baseline), for focus dimensions (1.0 = target reached; none when
  the baseline already meets the target: a target is a level to reach);
- on track at the current pace: the straight-line projection to the cycle's end, baseline + movement · (days from
  the baseline day to the end / days elapsed), reaches the target; a score already at the target is on track;
- the signals that moved it are added by the caller from the exact decomposition of the change
  (`apex_model/explain.py`, stored in `apex_score_changes`);
- a surprise: a non-focus dimension whose movement is at least `surprise_points` either way.

Grain of the output: one row per (as_of, dimension). Pure pandas; no database, no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from apex_model.model import DIMENSION_IDS

DEFAULT_SURPRISE_POINTS = 8.0   # the drift detector's default minimum effect: a change worth telling


@dataclass(frozen=True)
class FocusTarget:
    dimension: str
    target: float


@dataclass(frozen=True)
class CycleSpec:
    cycle_id: str
    phase: str
    start: date
    end: date
    focus: tuple[FocusTarget, ...]

    @property
    def focus_dimensions(self) -> tuple[str, ...]:
        return tuple(f.dimension for f in self.focus)

    def target(self, dimension: str) -> float | None:
        for f in self.focus:
            if f.dimension == dimension:
                return f.target
        return None


def baselines(cycle: CycleSpec, dimension_scores: pd.DataFrame) -> pd.DataFrame:
    """Each dimension's baseline for the cycle: its score on the first day from the cycle's start that has one.

    `dimension_scores` columns: as_of (datetime), dimension, score (NaN when insufficient data).
    Returns one row per dimension: dimension, baseline (NaN if no score yet), baseline_on (NaT if none).
    """
    start = pd.Timestamp(cycle.start)
    scored = dimension_scores[(dimension_scores["as_of"] >= start) & dimension_scores["score"].notna()]
    first = scored.sort_values("as_of").groupby("dimension", sort=True).first()
    score, day = first["score"].to_dict(), first["as_of"].to_dict()
    return pd.DataFrame({"dimension": list(DIMENSION_IDS),
                         "baseline": [float(score.get(d, np.nan)) for d in DIMENSION_IDS],
                         "baseline_on": pd.to_datetime([day.get(d, pd.NaT) for d in DIMENSION_IDS])})


def cycle_progress(cycle: CycleSpec, dimension_scores: pd.DataFrame, dates: pd.DatetimeIndex,
                   surprise_points: float = DEFAULT_SURPRISE_POINTS) -> pd.DataFrame:
    """The Measure output for the as-of `dates` that fall inside the cycle (see the module docstring).

    Returns one row per (as_of, dimension) with: cycle_id, is_focus, baseline, baseline_on, score, movement, target,
    share_to_target, days_elapsed, days_total, projected_end, on_track, is_surprise.
    """
    start, end = pd.Timestamp(cycle.start), pd.Timestamp(cycle.end)
    inside = pd.DatetimeIndex([d for d in dates if start <= d <= end], name="as_of")
    columns = ["as_of", "dimension", "cycle_id", "is_focus", "baseline", "baseline_on", "score", "movement",
               "target", "share_to_target", "days_elapsed", "days_total", "projected_end", "on_track", "is_surprise"]
    if not len(inside):
        return pd.DataFrame(columns=columns)
    base = baselines(cycle, dimension_scores[dimension_scores["as_of"] <= inside[-1]]).set_index("dimension")
    grid = pd.MultiIndex.from_product([inside, list(DIMENSION_IDS)], names=["as_of", "dimension"]).to_frame(index=False)
    scores = dimension_scores[["as_of", "dimension", "score"]]
    out = grid.merge(scores, on=["as_of", "dimension"], how="left")
    out["cycle_id"] = cycle.cycle_id
    out["is_focus"] = out["dimension"].isin(cycle.focus_dimensions)
    out["baseline"] = out["dimension"].map(base["baseline"]).astype(float)
    out["baseline_on"] = out["dimension"].map(base["baseline_on"])
    # A baseline taken on a later day than the as-of day does not exist yet on that day.
    not_yet = out["baseline_on"].isna() | (out["baseline_on"] > out["as_of"])
    out.loc[not_yet, "baseline"] = np.nan
    out.loc[not_yet, "baseline_on"] = pd.NaT
    out["movement"] = out["score"].astype(float) - out["baseline"]
    out["target"] = out["dimension"].map(lambda d: cycle.target(d)).astype(float)
    gap = out["target"] - out["baseline"]
    # A target is a level to reach: at or below the baseline it is already reached and has no "way to go".
    out["share_to_target"] = (out["movement"] / gap).where(gap > 1e-9)
    out["days_total"] = int((end - start).days)
    elapsed = (out["as_of"] - out["baseline_on"]).dt.days
    out["days_elapsed"] = elapsed.astype("Float64")
    span = (end - out["baseline_on"]).dt.days
    pace_factor = (span / elapsed).where(elapsed > 0)
    out["projected_end"] = out["baseline"] + out["movement"] * pace_factor
    reach = out["projected_end"] >= out["target"] - 1e-9
    on_track = pd.Series(reach, index=out.index, dtype="boolean")
    # Already at the target counts as on track even before any pace exists.
    at_target = out["score"] >= out["target"] - 1e-9
    on_track = on_track.where(out["projected_end"].notna(), pd.NA)
    on_track = on_track.mask(pd.Series(at_target, index=out.index) & out["score"].notna(), True)
    on_track = on_track.where(out["is_focus"] & out["baseline"].notna() & out["score"].notna(), pd.NA)
    out["on_track"] = on_track
    out["is_surprise"] = (~out["is_focus"]) & (out["movement"].abs() >= surprise_points).fillna(False)
    out["is_surprise"] = out["is_surprise"].astype(bool)
    return out[columns].sort_values(["as_of", "dimension"]).reset_index(drop=True)

