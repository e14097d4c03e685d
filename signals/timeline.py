"""Vectorised as-of arithmetic: every function answers for all as-of dates in one pass.

Conventions used throughout `signals/`:
- Days are numpy `datetime64[D]`. "As of D" means at the end of day D: an event on day D counts.
- A trailing window of W days ending at D is the days (D - W, D], i.e. W days including D.
- An interval [start, end) holds on day D when start <= D < end; a missing end means "still open".
Each function sorts its events once and answers every date with binary search (O((n + d) log n)), instead of
looping over dates or partners.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FAR_FUTURE = np.datetime64("9999-12-31", "D")


def as_days(values) -> np.ndarray:
    """Timestamps or dates (pandas or numpy, NaT allowed) as `datetime64[D]` (day of the event)."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = pd.to_datetime(values).to_numpy()
    return np.asarray(values).astype("datetime64[D]")


def _weights(weights, n: int) -> np.ndarray:
    return np.ones(n) if weights is None else np.asarray(weights, dtype=float)


def window_sum(event_days, dates, window_days: int, weights=None) -> np.ndarray:
    """Sum of `weights` (count if None) over events in (D - window, D], for each date D. NaT events are ignored."""
    days = as_days(event_days)
    w = _weights(weights, len(days))
    keep = ~np.isnat(days) & ~np.isnan(w)
    days, w = days[keep], w[keep]
    order = np.argsort(days, kind="stable")
    days, w = days[order], w[order]
    cumulative = np.concatenate([[0.0], np.cumsum(w)])
    dates = as_days(dates)
    hi = np.searchsorted(days, dates, side="right")
    lo = np.searchsorted(days, dates - np.timedelta64(window_days, "D"), side="right")
    return cumulative[hi] - cumulative[lo]


def cumulative_sum(event_days, dates, weights=None) -> np.ndarray:
    """Sum of `weights` over all events on or before each date."""
    days = as_days(event_days)
    w = _weights(weights, len(days))
    keep = ~np.isnat(days) & ~np.isnan(w)
    days, w = days[keep], w[keep]
    order = np.argsort(days, kind="stable")
    cumulative = np.concatenate([[0.0], np.cumsum(w[order])])
    return cumulative[np.searchsorted(days[order], as_days(dates), side="right")]


def open_on(starts, ends, dates, weights=None) -> np.ndarray:
    """Sum of `weights` (count if None) over intervals [start, end) that hold on each date."""
    starts = as_days(starts)
    ends = as_days(ends)
    ends = np.where(np.isnat(ends), FAR_FUTURE, ends)
    w = _weights(weights, len(starts))
    keep = ~np.isnat(starts) & (ends > starts) & ~np.isnan(w)
    return cumulative_sum(starts[keep], dates, w[keep]) - cumulative_sum(ends[keep], dates, w[keep])


def last_event_on_or_before(event_days, dates) -> np.ndarray:
    """The latest event day on or before each date (NaT if none)."""
    days = np.sort(as_days(event_days)[~np.isnat(as_days(event_days))])
    dates = as_days(dates)
    idx = np.searchsorted(days, dates, side="right") - 1
    out = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[D]")
    ok = idx >= 0
    out[ok] = days[idx[ok]]
    return out


def window_quantile(event_days, values, dates, window_days: int, q: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Quantile `q` of `values` over events in (D - window, D], and the number of events, for each date.

    One rolling pass: the dates are inserted as empty probe rows among the events, and a time-based rolling
    quantile over the merged series is read off at the probes (NaN probes do not count as observations).
    """
    days = as_days(event_days)
    vals = np.asarray(values, dtype=float)
    keep = ~np.isnat(days) & ~np.isnan(vals)
    dates = as_days(dates)
    events = pd.DataFrame({"t": days[keep], "v": vals[keep], "probe": -1})
    probes = pd.DataFrame({"t": dates, "v": np.nan, "probe": np.arange(len(dates))})
    merged = pd.concat([events, probes], ignore_index=True)
    # Events of a day come before that day's probe, so the probe sees them.
    merged = merged.sort_values(["t", "probe"], kind="stable")
    merged.index = pd.DatetimeIndex(merged["t"].to_numpy())
    rolling = merged["v"].rolling(f"{window_days}D", min_periods=1, closed="right")
    quantile = rolling.quantile(q).to_numpy()
    count = rolling.count().to_numpy()
    at_probe = merged["probe"].to_numpy() >= 0
    out_q = np.full(len(dates), np.nan)
    out_n = np.zeros(len(dates))
    out_q[merged["probe"].to_numpy()[at_probe]] = quantile[at_probe]
    out_n[merged["probe"].to_numpy()[at_probe]] = count[at_probe]
    out_q[out_n == 0] = np.nan
    return out_q, out_n


def merge_intervals(keys, starts, ends) -> pd.DataFrame:
    """Union of overlapping or touching intervals per key: columns key, start, end (end NaT = open).

    Pure numpy after one factorisation of the keys: sort by (key, start), a running maximum of the ends within each
    key (keys offset so one pass serves all of them), and a new block wherever a start lies beyond that maximum.
    """
    keys = np.asarray(keys, dtype=object)
    start = as_days(starts)
    end = as_days(ends)
    end = np.where(np.isnat(end), FAR_FUTURE, end)
    keep = ~np.isnat(start) & (end > start) & ~pd.isna(keys)
    keys, start, end = keys[keep], start[keep], end[keep]
    if not len(keys):
        return pd.DataFrame({"key": np.array([], dtype=object), "start": as_days([]), "end": as_days([])})
    codes, uniques = pd.factorize(keys)
    order = np.lexsort((start.astype(np.int64), codes))
    codes, start, end = codes[order], start[order], end[order]
    offset = codes.astype(np.int64) << 23          # > the span of datetime64[D] values used (years 1 .. 9999)
    running = np.maximum.accumulate(end.astype(np.int64) + offset) - offset
    first_of_key = np.r_[True, codes[1:] != codes[:-1]]
    previous = np.r_[np.iinfo(np.int64).min, running[:-1]]
    new_block = first_of_key | (start.astype(np.int64) > previous)
    firsts = np.flatnonzero(new_block)
    lasts = np.r_[firsts[1:] - 1, len(codes) - 1]
    merged_end = running[lasts].astype("datetime64[D]")
    merged_end = np.where(merged_end >= np.datetime64("9999-01-01"), np.datetime64("NaT"), merged_end)
    return pd.DataFrame({"key": np.asarray(uniques, dtype=object)[codes[firsts]], "start": start[firsts],
                         "end": merged_end.astype("datetime64[D]")})


def clip_to(frame_start, frame_end, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """Intersect intervals [start, end) with [lower, upper) elementwise (NaT ends are open)."""
    start = np.maximum(as_days(frame_start), as_days(lower))
    end_a = as_days(frame_end)
    end_b = as_days(upper)
    end_a = np.where(np.isnat(end_a), FAR_FUTURE, end_a)
    end_b = np.where(np.isnat(end_b), FAR_FUTURE, end_b)
    end = np.minimum(end_a, end_b)
    end = np.where(end == FAR_FUTURE, np.datetime64("NaT"), end)
    return start, end


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def intersect_intervals(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per key, the overlap of interval sets `a` and `b` (columns key, start, end; end NaT = open).

    Each set must be free of overlaps within a key (e.g. the output of `merge_intervals`).
    """
    joined = a.merge(b, on="key", suffixes=("_a", "_b"))
    start, end = clip_to(joined["start_a"], joined["end_a"], joined["start_b"], joined["end_b"])
    out = pd.DataFrame({"key": joined["key"].to_numpy(), "start": start, "end": end})
    open_end = np.where(np.isnat(out["end"].to_numpy()), FAR_FUTURE, out["end"].to_numpy().astype("datetime64[D]"))
    return out[open_end > out["start"].to_numpy().astype("datetime64[D]")].reset_index(drop=True)


def event_coverage(keys, event_days, window_days: int) -> pd.DataFrame:
    """Intervals during which a key had an event in the trailing window: [day, day + window) merged per key."""
    days = as_days(event_days)
    return merge_intervals(keys, days, days + np.timedelta64(window_days, "D"))


# Keyed variants: one answer per (key, date) query pair, for partner-level values. Events are sorted once by
# (key, day); each query is two binary searches into that order, so all partners and dates go in one pass.
_KEY_SHIFT = np.int64(1 << 32)


def _composite(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    return codes.astype(np.int64) * _KEY_SHIFT + (days.astype(np.int64) + (1 << 31))


def keyed_window_sum(event_keys, event_days, query_keys, query_dates, window_days: int | None,
                     weights=None) -> np.ndarray:
    """For each query (key, D): the sum of `weights` (count if None) over that key's events in (D - window, D]
    (all events on or before D when `window_days` is None). NaT events and NaN weights are ignored."""
    days = as_days(event_days)
    w = _weights(weights, len(days))
    keys = np.asarray(event_keys, dtype=object)
    keep = ~np.isnat(days) & ~np.isnan(w) & ~pd.isna(keys)
    days, w, keys = days[keep], w[keep], keys[keep]
    query_keys = np.asarray(query_keys, dtype=object)
    query_dates = as_days(query_dates)
    uniques = pd.Index(pd.unique(np.concatenate([keys, query_keys])))
    codes = uniques.get_indexer(keys)
    qcodes = uniques.get_indexer(query_keys)
    comp = _composite(codes, days)
    order = np.argsort(comp, kind="stable")
    comp, w = comp[order], w[order]
    cumulative = np.concatenate([[0.0], np.cumsum(w)])
    hi = np.searchsorted(comp, _composite(qcodes, query_dates), side="right")
    if window_days is None:
        lo = np.searchsorted(comp, qcodes.astype(np.int64) * _KEY_SHIFT, side="left")
    else:
        lo = np.searchsorted(comp, _composite(qcodes, query_dates - np.timedelta64(window_days, "D")), side="right")
    return cumulative[hi] - cumulative[lo]


def keyed_open_on(keys, starts, ends, query_keys, query_dates, weights=None) -> np.ndarray:
    """For each query (key, D): the sum of `weights` (count if None) over that key's intervals [start, end)
    holding on D."""
    starts = as_days(starts)
    ends = as_days(ends)
    ends = np.where(np.isnat(ends), FAR_FUTURE, ends)
    w = _weights(weights, len(starts))
    keys = np.asarray(keys, dtype=object)
    keep = ~np.isnat(starts) & (ends > starts) & ~np.isnan(w)
    opened = keyed_window_sum(keys[keep], starts[keep], query_keys, query_dates, None, w[keep])
    closed = keyed_window_sum(keys[keep], ends[keep], query_keys, query_dates, None, w[keep])
    return opened - closed


def known_window_sum(event_days, known_days, dates, window_days: int, weights=None) -> np.ndarray:
    """Sum of `weights` over events dated in (D - window, D] whose qualifying fact was recorded by D.

    An event (e.g. an opportunity created on `event_days`) qualifies only from `known_days` on (e.g. the day a
    co-selling partner was added to it); NaT = never. Exact and vectorised: with k = max(event, known), the events
    dated in the window and known by D are [k <= D] minus [event <= D - window], for events known within `window`
    days of their date; an event known later can never count, since by then it has left every window.
    """
    days = as_days(event_days)
    known = np.maximum(days, as_days(known_days))
    w = _weights(weights, len(days))
    ok = ~np.isnat(days) & ~np.isnat(known) & (known - days <= np.timedelta64(window_days, "D"))
    dates = as_days(dates)
    return (cumulative_sum(known[ok], dates, w[ok])
            - cumulative_sum(days[ok], dates - np.timedelta64(window_days, "D"), w[ok]))


def keyed_known_window_sum(event_keys, event_days, known_days, query_keys, query_dates, window_days: int,
                           weights=None) -> np.ndarray:
    """`known_window_sum` per (key, date) query, for partner-level values."""
    days = as_days(event_days)
    known = np.maximum(days, as_days(known_days))
    w = _weights(weights, len(days))
    keys = np.asarray(event_keys, dtype=object)
    ok = ~np.isnat(days) & ~np.isnat(known) & (known - days <= np.timedelta64(window_days, "D"))
    query_dates = as_days(query_dates)
    return (keyed_window_sum(keys[ok], known[ok], query_keys, query_dates, None, w[ok])
            - keyed_window_sum(keys[ok], days[ok], query_keys, query_dates - np.timedelta64(window_days, "D"), None,
                               w[ok]))
