"""Signals -> dimension scores -> overall health, with coverage and an assumption-free low-high range.

Grain of the inputs and outputs: one row per (as_of, signal) in, one row per (as_of, dimension) and one per as_of out.

- Within a dimension: weighted arithmetic mean of the present signals' 1..100 scores (signals are facets of one
  capability, so substitution is acceptable). Missing and stale signals are skipped (shadow imputation: they are
  assumed to equal the mean of the present ones); not-applicable signals leave the denominator with no penalty.
- Coverage = present weight / applicable weight. The range is the score if every missing signal were at the scale's
  minimum or maximum, so its width is (max - min) * (1 - coverage) and it always contains the score.
- Below the coverage threshold a dimension is `insufficient_data`: no score is published, only its range.
- Across dimensions: weighted geometric mean (a collapsed dimension cannot hide behind strong ones), with the
  arithmetic mean and the weakest dimension beside it. An insufficient dimension is imputed at the geometric mean of
  the others, clipped to its own range, so the overall range (aggregated from the dimension ranges) contains it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apex_model.model import DIMENSION_IDS, ApexModel

PRESENT, STALE, MISSING, NOT_APPLICABLE = "present", "stale", "missing", "not_applicable"
SIGNAL_STATUSES = (PRESENT, STALE, MISSING, NOT_APPLICABLE)
OK, INSUFFICIENT = "ok", "insufficient_data"
# Coverage thresholds such as 2/3 must admit exactly two of three signals despite float rounding.
_EPSILON = 1e-9


def dimension_scores(model: ApexModel, signal_scores: pd.DataFrame) -> pd.DataFrame:
    """Aggregate normalised signal scores into dimension scores.

    `signal_scores` columns: as_of, signal_id, status, score (1..100, NaN unless present).
    Returns one row per (as_of, dimension) for every dimension, sorted by as_of then dimension.
    """
    unknown = set(signal_scores["status"].unique()) - set(SIGNAL_STATUSES)
    if unknown:
        raise ValueError(f"unknown signal status {sorted(unknown)[0]!r}; expected one of {SIGNAL_STATUSES}")
    specs = {s.id: s for s in model.signals}
    frame = signal_scores[["as_of", "signal_id", "status", "score"]].copy()
    frame["dimension"] = frame["signal_id"].map(lambda sid: specs[sid].dimension)
    frame["weight"] = frame["signal_id"].map(lambda sid: specs[sid].weight).astype(float)
    present = frame["status"].eq(PRESENT) & frame["score"].notna()
    applicable = ~frame["status"].eq(NOT_APPLICABLE)
    frame["w_app"] = frame["weight"].where(applicable, 0.0)
    frame["w_obs"] = frame["weight"].where(present, 0.0)
    frame["w_score"] = (frame["weight"] * frame["score"]).where(present, 0.0)
    for status in SIGNAL_STATUSES:
        frame[f"n_{status}"] = frame["status"].eq(status).astype(int)
    counts = [f"n_{s}" for s in SIGNAL_STATUSES]
    grouped = frame.groupby(["as_of", "dimension"], sort=True)[["w_app", "w_obs", "w_score", *counts]].sum()

    # Every date gets all eight dimensions, even one whose signals produced no rows at all.
    dates = pd.Index(sorted(frame["as_of"].unique()), name="as_of")
    full = pd.MultiIndex.from_product([dates, list(DIMENSION_IDS)], names=["as_of", "dimension"])
    grouped = grouped.reindex(full, fill_value=0)

    lo, hi = model.scale.min, model.scale.max
    w_app = grouped["w_app"].to_numpy(float)
    w_obs = grouped["w_obs"].to_numpy(float)
    w_score = grouped["w_score"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(w_app > 0, w_obs / w_app, np.nan)
        partial = np.where(w_obs > 0, w_score / w_obs, np.nan)
        low = np.where(w_app > 0, (w_score + (w_app - w_obs) * lo) / w_app, lo)
        high = np.where(w_app > 0, (w_score + (w_app - w_obs) * hi) / w_app, hi)
    ok = np.nan_to_num(coverage, nan=0.0) >= model.coverage.min_dimension - _EPSILON
    out = grouped.reset_index()
    out["score"] = np.where(ok, partial, np.nan)
    out["score_low"] = low
    out["score_high"] = high
    out["coverage"] = np.nan_to_num(coverage, nan=0.0)
    out["status"] = np.where(ok, OK, INSUFFICIENT)
    return out[["as_of", "dimension", "score", "score_low", "score_high", "coverage", "status", *counts]]


def _weighted_geometric(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted geometric mean; weights are renormalised over the non-NaN values of each row."""
    mask = ~np.isnan(values)
    w = np.where(mask, weights, 0.0)
    total = w.sum(axis=1)
    logs = np.where(mask, np.log(np.where(mask, values, 1.0)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.exp((w * logs).sum(axis=1) / total), np.nan)


def overall_scores(model: ApexModel, dimensions: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Overall health per date from the dimension rows of `dimension_scores` and per-date dimension weights.

    `weights`: index as_of, columns D1..D8 (rows sum to 1), e.g. from `stages.dimension_weights`.
    """
    wide = dimensions.pivot(index="as_of", columns="dimension")
    dates = wide.index
    cols = list(DIMENSION_IDS)
    score = wide["score"][cols].to_numpy(float)
    low = wide["score_low"][cols].to_numpy(float)
    high = wide["score_high"][cols].to_numpy(float)
    coverage = wide["coverage"][cols].to_numpy(float)
    w = weights.reindex(dates)[cols].to_numpy(float)

    known_geo = _weighted_geometric(score, w)
    imputed = np.where(np.isnan(score), np.clip(known_geo[:, None], low, high), score)
    overall = _weighted_geometric(imputed, w)
    overall_low = _weighted_geometric(low, w)
    overall_high = _weighted_geometric(high, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        w_known = np.where(np.isnan(score), 0.0, w)
        arithmetic = np.where(w_known.sum(axis=1) > 0,
                              np.nansum(score * w_known, axis=1) / w_known.sum(axis=1), np.nan)
    # Clipped: a weighted mean of ones can come out as 1.0000000000000002, which the output contract rejects.
    effective_coverage = np.clip((w * coverage).sum(axis=1) / w.sum(axis=1), 0.0, 1.0)
    ok = (effective_coverage >= model.coverage.min_overall - _EPSILON) & ~np.isnan(known_geo)

    filled = np.where(np.isnan(score), np.inf, score)
    weakest_index = np.argmin(filled, axis=1)
    has_known = ~np.all(np.isnan(score), axis=1)
    weakest_dimension = np.where(has_known, np.asarray(cols)[weakest_index], None)
    weakest_score = np.where(has_known, filled[np.arange(len(dates)), weakest_index], np.nan)

    return pd.DataFrame(
        {
            "as_of": dates,
            "overall_score": np.where(ok, overall, np.nan),
            "overall_low": overall_low,
            "overall_high": overall_high,
            "arithmetic_mean": np.where(ok, arithmetic, np.nan),
            "weakest_dimension": weakest_dimension,
            "weakest_score": weakest_score,
            "coverage": effective_coverage,
            "status": np.where(ok, OK, INSUFFICIENT),
            "dimensions_scored": (~np.isnan(score)).sum(axis=1),
        }
    ).reset_index(drop=True)
