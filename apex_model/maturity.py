"""Maturity diagnosis: a gated pattern over per-dimension capability levels, not a ranking.

1. Each dimension score maps to a capability level 0..4 (`capability_thresholds`).
2. Maturity level L holds when every gate of levels 2..L holds (CMMI-style staging). The level is the highest such L.
   A dimension with insufficient data is unknown, not low: the level counts unknowns as failing (so it is never
   higher than the data shows) and is marked *provisional* when counting them as passing would give more.
3. What the next level needs is given in points per dimension ("+7 in Enablement -> level 3").
4. Hysteresis: the reported level rises only after a higher level held on `promote_after_days` consecutive days and
   falls only after it failed on `demote_after_days`, or at once when a gating dimension drops more than
   `immediate_drop_points` below its gate. It is a function of the raw levels of the `history_days()` days up to
   each date, so recomputing a day gives the same level whatever else was computed in the same run.

Grain: arrays with one row per date and one column per dimension, in `DIMENSION_IDS` order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from apex_model.model import DIMENSION_IDS, ApexModel, Gate


def capability_levels(model: ApexModel, scores: np.ndarray) -> np.ndarray:
    """Capability level 0..4 per score; NaN where the score is unknown."""
    scores = np.asarray(scores, dtype=float)
    thresholds = np.asarray(model.capability_thresholds, dtype=float)
    levels = (scores[..., None] >= thresholds).sum(axis=-1).astype(float)
    levels[np.isnan(scores)] = np.nan
    return levels


def _threshold(model: ApexModel, capability: int) -> float:
    return model.scale.min if capability == 0 else float(model.capability_thresholds[capability - 1])


@dataclass(frozen=True)
class LevelRequirements:
    """For one maturity level: per date and dimension, the points still needed and which unknowns block it."""

    points_needed: np.ndarray     # dates x dims, 0 where nothing is needed (known dimensions only)
    unknown_blocking: np.ndarray  # dates x dims, True where the level depends on a dimension without data
    optimistic_holds: np.ndarray  # dates, True if the level would hold with every unknown dimension passing

    @property
    def holds(self) -> np.ndarray:
        return (self.points_needed.max(axis=1) <= 0) & ~self.unknown_blocking.any(axis=1)


def _fixed_gate_needs(model: ApexModel, gate: Gate, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    threshold = _threshold(model, gate.min_capability)
    mask = np.ones(len(DIMENSION_IDS), bool) if gate.kind == "all_dimensions" else np.array(
        [d in gate.dimensions for d in DIMENSION_IDS])
    unknown = np.isnan(scores) & mask
    needs = np.where(mask & ~np.isnan(scores), np.maximum(threshold - scores, 0.0), 0.0)
    return needs, unknown


def level_requirements(model: ApexModel, scores: np.ndarray, level: int) -> LevelRequirements:
    """Points needed per dimension for `level` (gates of levels 2..level together) on each date."""
    scores = np.asarray(scores, dtype=float)
    n_dates, n_dims = scores.shape
    needs = np.zeros((n_dates, n_dims))
    unknown = np.zeros((n_dates, n_dims), bool)
    optimistic = np.ones(n_dates, bool)
    gates = [g for lv in model.levels[1:level] for g in lv.gates]
    for gate in (g for g in gates if g.kind != "at_least"):
        gate_needs, gate_unknown = _fixed_gate_needs(model, gate, scores)
        needs = np.maximum(needs, gate_needs)
        unknown |= gate_unknown
        optimistic &= gate_needs.max(axis=1) <= 0
    raised = np.where(np.isnan(scores), np.nan, scores + needs)
    for gate in (g for g in gates if g.kind == "at_least"):
        threshold = _threshold(model, gate.min_capability)
        gaps = np.where(np.isnan(raised), np.inf, np.maximum(threshold - raised, 0.0))
        n_pass = (gaps == 0).sum(axis=1)
        n_unknown = np.isnan(raised).sum(axis=1)
        short = np.maximum(gate.count - n_pass, 0)
        # Cheapest way to satisfy the count: raise the known dimensions closest to the threshold.
        order = np.argsort(gaps, axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n_dims)[None, :].repeat(n_dates, axis=0), axis=1)
        chosen = (rank < (n_pass + short)[:, None]) & (gaps > 0) & np.isfinite(gaps)
        needs = np.where(chosen, needs + gaps, needs)
        known_can_meet = (~np.isnan(raised)).sum(axis=1) >= gate.count
        unknown |= np.isnan(raised) & (~known_can_meet)[:, None]
        optimistic &= (n_pass + n_unknown) >= gate.count
    return LevelRequirements(points_needed=needs, unknown_blocking=unknown, optimistic_holds=optimistic)


@dataclass(frozen=True)
class Diagnosis:
    """Raw (day-by-day, before hysteresis) maturity per date."""

    raw_level: np.ndarray          # int, 1..5
    optimistic_level: np.ndarray   # int, 1..5: the level if every unknown dimension passed
    shortfall: np.ndarray          # dates x 6: largest points below a gate of level L (index L; 0 and 1 unused)
    requirements: dict[int, LevelRequirements]

    @property
    def provisional(self) -> np.ndarray:
        return self.optimistic_level > self.raw_level

    def take(self, rows: np.ndarray) -> "Diagnosis":
        """The diagnosis of a subset of dates (by row position)."""
        return Diagnosis(
            raw_level=self.raw_level[rows],
            optimistic_level=self.optimistic_level[rows],
            shortfall=self.shortfall[rows],
            requirements={level: LevelRequirements(req.points_needed[rows], req.unknown_blocking[rows],
                                                   req.optimistic_holds[rows])
                          for level, req in self.requirements.items()},
        )


def diagnose(model: ApexModel, scores: np.ndarray) -> Diagnosis:
    """Raw maturity level per date from a dates x dims matrix of dimension scores (NaN = insufficient data)."""
    scores = np.asarray(scores, dtype=float)
    n_dates = scores.shape[0]
    raw = np.ones(n_dates, int)
    optimistic = np.ones(n_dates, int)
    still_raw = np.ones(n_dates, bool)
    still_optimistic = np.ones(n_dates, bool)
    shortfall = np.zeros((n_dates, 6))
    requirements: dict[int, LevelRequirements] = {}
    for level in range(2, 6):
        req = level_requirements(model, scores, level)
        requirements[level] = req
        still_raw &= req.holds
        still_optimistic &= req.optimistic_holds
        raw = np.where(still_raw, level, raw)
        optimistic = np.where(still_optimistic, level, optimistic)
        shortfall[:, level] = req.points_needed.max(axis=1)
    return Diagnosis(raw_level=raw, optimistic_level=np.maximum(optimistic, raw), shortfall=shortfall,
                     requirements=requirements)


def history_days(model: ApexModel) -> int:
    """Days of raw levels before a date that the hysteresis of that date looks at."""
    hyst = model.hysteresis
    return hysteresis_window(model) - 1 + max(hyst.promote_after_days, hyst.demote_after_days) - 1


def hysteresis_window(model: ApexModel) -> int:
    hyst = model.hysteresis
    return 4 * max(hyst.promote_after_days, hyst.demote_after_days)


def apply_hysteresis(model: ApexModel, raw_level: pd.Series, shortfall: pd.DataFrame,
                     targets: pd.DatetimeIndex) -> pd.Series:
    """Reported level on each target date.

    `raw_level` (index: consecutive days, may contain NaN for days without scores) and `shortfall` (same index,
    columns 0..5) must cover the `history_days()` before the first target where they exist. For each target the
    level starts at the raw level at the beginning of its window and follows the promote/demote rules through the
    window, so the answer depends only on the days in that window.
    """
    hyst = model.hysteresis
    window = hysteresis_window(model)
    days = pd.date_range(raw_level.index.min(), raw_level.index.max(), freq="D")
    raw = raw_level.reindex(days).to_numpy(float)
    short = shortfall.reindex(days).to_numpy(float)
    series = pd.Series(raw)
    up_floor = series.rolling(hyst.promote_after_days, min_periods=hyst.promote_after_days).min().to_numpy()
    down_ceiling = series.rolling(hyst.demote_after_days, min_periods=hyst.demote_after_days).max().to_numpy()
    position = days.get_indexer(targets)
    if (position < 0).any():
        raise ValueError("every target date must lie inside the raw-level series")

    start = np.maximum(position - (window - 1), 0)
    # Begin each window at its first day that has a raw level.
    known_positions = np.flatnonzero(~np.isnan(raw))
    next_known = np.searchsorted(known_positions, start)
    valid_start = next_known < len(known_positions)
    start = np.where(valid_start, known_positions[np.minimum(next_known, len(known_positions) - 1)], position)
    state = np.where(np.isnan(raw[start]), np.nan, raw[start])
    for step in range(1, window):
        j = position - (window - 1) + step
        active = (j > start) & (j <= position) & ~np.isnan(raw[np.clip(j, 0, None)])
        jj = np.clip(j, 0, len(days) - 1)
        promoted = np.where(~np.isnan(up_floor[jj]) & (up_floor[jj] > state), up_floor[jj], state)
        moved = np.where(~np.isnan(down_ceiling[jj]) & (down_ceiling[jj] < promoted), down_ceiling[jj], promoted)
        level_index = np.nan_to_num(moved, nan=1).astype(int)
        drop = short[jj, level_index] > hyst.immediate_drop_points
        moved = np.where(drop, np.minimum(moved, raw[jj]), moved)
        state = np.where(active, moved, state)
    return pd.Series(state, index=targets).astype("Int64")


def next_level_needs(model: ApexModel, diagnosis: Diagnosis, held_level: np.ndarray) -> list[list[dict]]:
    """Per date, what the level above the held one needs: [{dimension, points}|{dimension, needs: 'data'}], by size."""
    out: list[list[dict]] = []
    for i, held in enumerate(np.asarray(held_level, dtype=int)):
        if held >= 5:
            out.append([])
            continue
        req = diagnosis.requirements[held + 1]
        items = [
            {"dimension": DIMENSION_IDS[d], "points": float(np.ceil(req.points_needed[i, d] * 10) / 10)}
            for d in np.flatnonzero(req.points_needed[i] > 0)
        ]
        items.sort(key=lambda item: item["points"])
        items += [{"dimension": DIMENSION_IDS[d], "needs": "data"} for d in np.flatnonzero(req.unknown_blocking[i])]
        out.append(items)
    return out


def describe_needs(model: ApexModel, needs: list[dict], next_level: int, language: str = "en") -> str:
    """One sentence such as "+7 in Enablement (D4), +3 in Governance & Steering (D2) -> level 3"."""
    if next_level > 5:
        return "highest level reached" if language == "en" else "hoogste niveau bereikt"
    if not needs:
        # The next level's gates hold today, but not yet long enough for the hysteresis to report it.
        days = model.hysteresis.promote_after_days
        return (f"the gates of level {next_level} hold; reported once they have held {days} days in a row"
                if language == "en" else
                f"de poorten van niveau {next_level} zijn gehaald; gemeld zodra dat {days} dagen op rij zo is")
    parts = []
    for item in needs:
        name = model.dimension(item["dimension"]).name.get(language)
        if "points" in item:
            word = "in" if language == "en" else "op"
            parts.append(f"+{item['points']:g} {word} {name} ({item['dimension']})")
        else:
            parts.append(f"{'data for' if language == 'en' else 'data voor'} {name} ({item['dimension']})")
    level_word = "level" if language == "en" else "niveau"
    return f"{', '.join(parts)} → {level_word} {next_level}"
