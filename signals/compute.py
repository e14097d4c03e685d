"""Evaluate the whole catalogue for one organisation over a range of as-of dates, in one pass per signal.

Output grain: one row per (as_of, signal) with the raw value, its sample size n, and its status:
- `not_applicable`: the card's condition says the signal does not apply that day (no penalty on coverage);
- `missing`: no value, or fewer observations than the card's `min_n`;
- `stale`: a value exists but its newest evidence is older than the card's freshness limit;
- `present`: usable.
Normalised scores (1..100) are added by `score_signals`, which needs the stage mix of each date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apex_model.aggregate import MISSING, NOT_APPLICABLE, PRESENT, STALE
from apex_model.model import ApexModel
from apex_model.normalise import normalise_blended
from apex_model.stages import StageMix
from signals import timeline as tl
from signals.card import MetricCard
from signals.context import SignalContext
from signals.registry import catalogue


class SignalComputationError(RuntimeError):
    """A signal's computation failed; names the signal and the organisation."""


def _status(card: MetricCard, ctx: SignalContext, value: np.ndarray, n: np.ndarray,
            not_applicable: np.ndarray | None) -> np.ndarray:
    status = np.full(len(ctx.dates), PRESENT, dtype=object)
    missing = np.isnan(value) | (np.nan_to_num(n) < card.min_n)
    status[missing] = MISSING
    if card.freshness is not None:
        newest = tl.last_event_on_or_before(ctx.table(card.freshness.table)[card.freshness.column], ctx.dates)
        age = (ctx.dates - newest).astype("timedelta64[D]").astype(float)
        age[np.isnat(newest)] = np.inf
        status[~missing & (age > card.freshness.max_age_days)] = STALE
    if not_applicable is not None:
        status[np.asarray(not_applicable, dtype=bool)] = NOT_APPLICABLE
    return status


def compute_signals(ctx: SignalContext, cards: dict[str, MetricCard] | None = None) -> pd.DataFrame:
    """Raw values, n and status of every signal on every date of the context."""
    cards = cards or catalogue()
    frames = []
    for card in cards.values():
        try:
            result = card.compute(ctx)
        except Exception as err:  # one clear message naming what failed and where
            raise SignalComputationError(f"signal {card.id} failed for organisation {ctx.org_id!r}: "
                                         f"{type(err).__name__}: {err}") from err
        value = np.asarray(result.value, dtype=float)
        n = np.asarray(result.n, dtype=float)
        if value.shape != ctx.dates.shape or n.shape != ctx.dates.shape:
            raise SignalComputationError(f"signal {card.id} returned {value.shape[0]} values for "
                                         f"{ctx.dates.shape[0]} dates")
        value = np.where(np.isfinite(value), value, np.nan)
        frames.append(pd.DataFrame({
            "as_of": ctx.date_index,
            "signal_id": card.id,
            "dimension": card.dimension,
            "value": value,
            "n": n,
            "status": _status(card, ctx, value, n, result.not_applicable),
        }))
    return pd.concat(frames, ignore_index=True)


def score_signals(model: ApexModel, values: pd.DataFrame, mix: StageMix) -> pd.DataFrame:
    """Add the 1..100 score of each present signal, under the stage mix of its date (NaN unless present)."""
    out = values.copy()
    out["score"] = np.nan
    shares = mix.shares
    for signal_id, rows in out.groupby("signal_id", sort=False):
        stage_shares = shares.reindex(pd.DatetimeIndex(rows["as_of"])).to_numpy()
        scored = normalise_blended(model, signal_id, rows["value"].to_numpy(float), stage_shares)
        out.loc[rows.index, "score"] = np.where(rows["status"].eq(PRESENT).to_numpy(), scored, np.nan)
    return out
