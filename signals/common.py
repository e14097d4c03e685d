"""Building blocks many signals share: windowed shares, medians of durations, and partner subsets.

Every function answers for all as-of dates of the context in one vectorised pass (`signals/timeline.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext

PARTNER_ATTRIBUTIONS = ("sourced", "influenced")


def windowed_share(ctx: SignalContext, days, hit, window_days: int, weights=None,
                   not_applicable=None) -> SignalResult:
    """Share of events in (D - window, D] where `hit` holds (weighted by `weights` if given); n = events."""
    hit = np.asarray(hit, dtype=float)
    w = np.ones(len(hit)) if weights is None else np.nan_to_num(np.asarray(weights, dtype=float))
    total = tl.window_sum(days, ctx.dates, window_days, w)
    hits = tl.window_sum(days, ctx.dates, window_days, w * hit)
    n = tl.window_sum(days, ctx.dates, window_days)
    return SignalResult(tl.ratio(hits, total), n, not_applicable)


def windowed_median(ctx: SignalContext, days, values, window_days: int, not_applicable=None) -> SignalResult:
    """Median of `values` over events in (D - window, D]; n = events."""
    median, n = tl.window_quantile(days, np.asarray(values, dtype=float), ctx.dates, window_days, 0.5)
    return SignalResult(median, n, not_applicable)


def duration_days(later, earlier) -> np.ndarray:
    """Whole days from `earlier` to `later` (NaN where either is missing)."""
    later, earlier = tl.as_days(later), tl.as_days(earlier)
    out = (later - earlier).astype("timedelta64[D]").astype(float)
    out[np.isnat(later) | np.isnat(earlier)] = np.nan
    return out


def duration_hours(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Hours between two timestamp columns (NaN where either is missing)."""
    return ((pd.to_datetime(later) - pd.to_datetime(earlier)).dt.total_seconds() / 3600.0).to_numpy(float)


def partner_won(ctx: SignalContext) -> pd.DataFrame:
    """Won opportunities with a partner as primary credit (sourced or influenced)."""
    opps = ctx.table("opportunities")
    return opps[opps["status"].eq("won") & opps["attribution"].isin(PARTNER_ATTRIBUTIONS) & opps["partner_id"].notna()]


def share_of_strategic(ctx: SignalContext, intervals: pd.DataFrame) -> SignalResult:
    """Share of gold and platinum partners (tier as of each date) covered by `intervals`; not applicable on dates
    with no such partner."""
    strategic = ctx.strategic_intervals()
    covered = tl.intersect_intervals(tl.merge_intervals(intervals["key"], intervals["start"], intervals["end"]),
                                     strategic)
    n = tl.open_on(strategic["start"], strategic["end"], ctx.dates)
    return SignalResult(tl.ratio(tl.open_on(covered["start"], covered["end"], ctx.dates), n), n,
                        not_applicable=n == 0)


def interval_frame(keys, starts, ends) -> pd.DataFrame:
    return pd.DataFrame({"key": np.asarray(keys, dtype=object), "start": tl.as_days(starts), "end": tl.as_days(ends)})


def amount_between(ctx_opps: pd.DataFrame, keys, first, last) -> np.ndarray:
    """Per query: the won amount of opportunities of partner `keys[i]` closed in [first[i], last[i]]."""
    first = tl.as_days(first)
    last = tl.as_days(last)
    upto_last = tl.keyed_window_sum(ctx_opps["partner_id"], ctx_opps["closed_on"], keys, last, None,
                                    ctx_opps["amount_eur"])
    before_first = tl.keyed_window_sum(ctx_opps["partner_id"], ctx_opps["closed_on"], keys,
                                       first - np.timedelta64(1, "D"), None, ctx_opps["amount_eur"])
    return upto_last - before_first


def lookup_days(keys, table: pd.DataFrame, key_column: str, day_column: str) -> np.ndarray:
    """For each of `keys`, the day in `table[day_column]` of the row whose `key_column` equals it (NaT if none).
    The table must have at most one row per key."""
    found = pd.DataFrame({key_column: np.asarray(keys, dtype=object)}).merge(
        pd.DataFrame({key_column: table[key_column].to_numpy(dtype=object),
                      "day": pd.to_datetime(table[day_column])}), on=key_column, how="left")
    return tl.as_days(pd.to_datetime(found["day"]))
