"""Composition effects: how much of a score's move from one day to the next came from signals (or, for the overall
score, dimensions) appearing or dropping out, rather than from their values.

Grain: one organisation; one row per day, one column per series (D1..D8, and `overall`), in score points, for the
move from the day before to that day (0 where nothing appeared or dropped, or the day before has no score).

Why: a dimension score is the weighted mean of the signals present that day (`aggregate.dimension_scores`). When a
signal goes stale or comes back, the score jumps by how far that signal sits from the others although nothing in
the programme changed. In the drift backtest one Pipeline signal of a growth organisation went in and out two to
eight times in two years, each time moving D1 by 4 to 7 points: as large as the smallest change worth telling. So
the drift detector compares like with like: it chains the daily moves over what was present on both days, as a
chain-linked price index does when the basket changes (`like_for_like`), and a change of composition is not taken
for a move of the programme.

Pure pandas and numpy; no database, no Dagster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apex_model.aggregate import _weighted_geometric
from apex_model.explain import APPEARED, DROPPED
from apex_model.model import DIMENSION_IDS, ApexModel
from apex_model.stages import StageMix, dimension_weights

# Scores are 0..100; a dimension at 0 would make the geometric mean's logarithm undefined.
_TINY = 1e-6


def dimension_composition(changes: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Per day and dimension, the part of the day-over-day move that signals appearing or dropping out caused.

    `changes`: rows of `explain.explain_days` (or `apex_score_changes`) for pairs of consecutive days; pairs that
    are not one day apart are ignored. Returns index `days`, columns D1..D8, 0 where there is no such part.
    """
    out = pd.DataFrame(0.0, index=days, columns=list(DIMENSION_IDS))
    if changes.empty:
        return out
    frame = changes.assign(from_date=pd.to_datetime(changes["from_date"]), to_date=pd.to_datetime(changes["to_date"]))
    frame = frame[((frame["to_date"] - frame["from_date"]) == pd.Timedelta(days=1))
                  & frame["effect"].isin([APPEARED, DROPPED])]
    if frame.empty:
        return out
    parts = frame.groupby(["to_date", "dimension"])["contribution"].sum(min_count=1).unstack("dimension")
    parts = parts.reindex(index=days, columns=list(DIMENSION_IDS))
    return parts.fillna(0.0)


def stage_weights(model: ApexModel, shares: pd.DataFrame) -> pd.DataFrame:
    """Per day, the eight dimension weights of the overall score from the day's stage shares (index days, one
    column per stage id, as `apex_ecosystem_health.stage_shares` stores them): `stages.dimension_weights` of them."""
    shares = shares.reindex(columns=model.stage_ids).fillna(0.0)
    return dimension_weights(model, StageMix(dates=shares.index, position=np.zeros(len(shares)), shares=shares))


def overall_composition(dimensions: pd.DataFrame, composition: pd.DataFrame, weights: pd.DataFrame,
                        overall: pd.Series) -> pd.Series:
    """Per day, the part of the overall score's day-over-day move that composition caused.

    The like-for-like move is the weighted geometric mean, over the dimensions scored on both days and with the
    day's weights, of the day's dimension scores without their own composition effect, minus the same mean of the
    day before's scores; the rest of the overall score's move (dimensions appearing or dropping out, signals
    appearing or dropping out inside a dimension, the gap-filling of unscored dimensions) is composition.
    `dimensions`, `composition`, `weights`: index days, columns D1..D8; `overall`: the published overall score.
    """
    cols = list(DIMENSION_IDS)
    days = dimensions.index
    today = dimensions.reindex(columns=cols).to_numpy(float)
    before = np.vstack([np.full((1, len(cols)), np.nan), today[:-1]])
    own = composition.reindex(index=days, columns=cols).fillna(0.0).to_numpy(float)
    w = weights.reindex(index=days, columns=cols).to_numpy(float)
    both = ~np.isnan(today) & ~np.isnan(before)
    now = _weighted_geometric(np.where(both, np.maximum(today - own, _TINY), np.nan), w)
    then = _weighted_geometric(np.where(both, np.maximum(before, _TINY), np.nan), w)
    total = overall.reindex(days).diff().to_numpy(float)
    effect = total - (now - then)
    return pd.Series(np.where(np.isnan(effect), 0.0, effect), index=days, name="overall")


def like_for_like(scores: pd.DataFrame, composition: pd.DataFrame | None) -> pd.DataFrame:
    """The score series with every composition effect since its first day taken out (chain-linked): differences
    between two days of the result are the signals' own moves. Missing composition columns count as 0."""
    if composition is None:
        return scores
    cumulative = composition.reindex(index=scores.index, columns=scores.columns).fillna(0.0).cumsum()
    return scores - cumulative
