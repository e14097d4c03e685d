"""The Measure phase: progress of a cycle's focus dimensions against their targets, and what surprised.

A cycle (configured per organisation) has a start, an end, two or three focus dimensions and a target per focus
dimension. Its baseline is each dimension's score on the cycle's first scored day (the start, or the first day on or
after it with a score). For every as-of day inside the cycle and every dimension:

- movement = score − baseline (points);
- share of the way to target = movement / (target − baseline), for focus dimensions (1.0 = target reached; none when
  the baseline already meets the target: a target is a level to reach);
- on track at the current pace: the straight-line projection to the cycle's end, baseline + movement · (days from
  the baseline day to the end / days elapsed), reaches the target; a score already at the target is on track;
- the signals that moved it: each present signal's change in score, weighted as in the dimension mean
  (w_i · Δscore_i / Σw of the signals present on both days), largest first;
- a surprise: a non-focus dimension whose movement is at least `surprise_points` either way.

Grain of the output: one row per (as_of, dimension). Pure pandas; no database, no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from apex_model.model import DIMENSION_IDS, ApexModel

DEFAULT_SURPRISE_POINTS = 8.0   # the drift detector's default minimum effect: a change worth telling
TOP_SIGNALS = 3


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
    out = pd.DataFrame({"dimension": list(DIMENSION_IDS)})
    out["baseline"] = out["dimension"].map(first["score"]).astype(float)
    out["baseline_on"] = pd.to_datetime(out["dimension"].map(first["as_of"]))
    return out


def signal_contributions(model: ApexModel, signals_then: pd.DataFrame, signals_now: pd.DataFrame
                         ) -> dict[str, list[dict]]:
    """Per dimension, the signals present on both days with their weighted change in points, largest first.

    Inputs: one row per signal (signal_id, status, score). Contribution = w · (score_now − score_then) / Σw over the
    dimension's signals present on both days: the part of the dimension's movement that signal accounts for when the
    set of present signals did not change.
    """
    specs = {s.id: s for s in model.signals}
    then = signals_then[signals_then["status"].eq("present")].set_index("signal_id")["score"]
    now = signals_now[signals_now["status"].eq("present")].set_index("signal_id")["score"]
    both = then.index.intersection(now.index)
    by_dim: dict[str, list[dict]] = {d: [] for d in DIMENSION_IDS}
    weights: dict[str, float] = {d: 0.0 for d in DIMENSION_IDS}
    for sid in both:
        weights[specs[sid].dimension] += specs[sid].weight
    for sid in both:
        spec = specs[sid]
        delta = float(now[sid]) - float(then[sid])
        points = spec.weight * delta / weights[spec.dimension]
        if abs(points) >= 0.05:
            by_dim[spec.dimension].append({"signal_id": sid, "from": round(float(then[sid]), 1),
                                           "to": round(float(now[sid]), 1), "points": round(points, 2)})
    for dim in by_dim:
        by_dim[dim].sort(key=lambda item: (-abs(item["points"]), item["signal_id"]))
    return by_dim


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


def moved_by(model: ApexModel, signals: pd.DataFrame, progress: pd.DataFrame, top: int = TOP_SIGNALS
             ) -> pd.Series:
    """For every row of `progress` (as_of, dimension, baseline_on), the signals that moved the dimension since its
    baseline day: a list of {signal_id, from, to, points}, largest |points| first, at most `top` (vectorised form of
    `signal_contributions`). `signals`: as_of, signal_id, status, score for the baseline days and the as-of days."""
    specs = pd.DataFrame([{"signal_id": s.id, "dimension": s.dimension, "weight": s.weight} for s in model.signals])
    present = signals[signals["status"].eq("present") & signals["score"].notna()][["as_of", "signal_id", "score"]]
    present = present.merge(specs, on="signal_id")
    present["as_of"] = present["as_of"].astype("datetime64[ns]")      # one datetime unit on both sides of a merge
    keys = progress[["as_of", "dimension", "baseline_on"]].dropna(subset=["baseline_on"]).drop_duplicates()
    keys = keys.astype({"as_of": "datetime64[ns]", "baseline_on": "datetime64[ns]"})
    now = keys.merge(present, on=["as_of", "dimension"])
    then = present.rename(columns={"as_of": "baseline_on", "score": "score_then"})[
        ["baseline_on", "signal_id", "score_then"]]
    both = now.merge(then, on=["baseline_on", "signal_id"])
    empty = pd.Series([[] for _ in range(len(progress))], index=progress.index, dtype=object)
    if both.empty:
        return empty
    both["w_total"] = both.groupby(["as_of", "dimension"])["weight"].transform("sum")
    both["points"] = both["weight"] * (both["score"] - both["score_then"]) / both["w_total"]
    both = both[both["points"].abs() >= 0.05]
    both = both.assign(abs_points=both["points"].abs()).sort_values(["as_of", "dimension", "abs_points", "signal_id"],
                                                                    ascending=[True, True, False, True])
    both = both.groupby(["as_of", "dimension"], sort=False).head(top)
    items = {}
    for (day, dim), part in both.groupby(["as_of", "dimension"], sort=False):
        items[(day, dim)] = [{"signal_id": r.signal_id, "from": round(float(r.score_then), 1),
                              "to": round(float(r.score), 1), "points": round(float(r.points), 2)}
                             for r in part.itertuples(index=False)]
    return pd.Series([items.get((pd.Timestamp(d), m), []) for d, m in zip(progress["as_of"], progress["dimension"])],
                     index=progress.index, dtype=object)
