"""Freshness, volume and quarantine share of each source stream, judged against the stream's own history.

Grain: one row per (as_of, source, stream) for one organisation, all dates in one vectorised pass (no loop per day).
A stream is the raw stream a staging model reads (`origin`), with the limits declared in that model's `quality`:

- **freshness**: the newest record version on or before D is older than max(min_days, multiplier x the longest gap
  between record days in the `history_days` before D) (or than `max_days`): the stream stopped arriving.
- **arrivals**: versions in the 7 days up to D against the median of the 8 weeks before: a sudden drop.
- **live records**: records alive on D (latest version on or before D not a deletion) against 7 days earlier: a
  collapse (mass deletion, a truncated export) is a blocking failure.
- **quarantine share**: record versions held back (still open, stamped on or before D) over the records seen.

A stream without any version on or before D is `absent` (an organisation uses only its own sources): not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dbt_like_sql.project import Project, Quality
from dbt_like_sql.quarantine import quarantined_records
from dbt_like_sql.schema import raw_table
from signals import timeline as tl

WEEK = 7
HISTORY_WEEKS = 8


@dataclass(frozen=True)
class StreamRef:
    """A raw stream a staging model reads, and the canonical tables it feeds."""

    source: str
    stream: str
    model: str
    quality: Quality
    tables: tuple[str, ...]


def stream_refs(project: Project) -> list[StreamRef]:
    out = []
    for model in project.models:
        if model.origin is None:
            continue
        tables = tuple(m.name for m in project.downstream_of({model.name}) if m.spec.materialized == "table")
        out.append(StreamRef(model.origin.source, model.origin.stream, model.name, model.spec.quality, tables))
    return out


def _versions(engine: sa.Engine, org_id: str, source: str, streams: list[str]) -> pd.DataFrame:
    raw = raw_table(source)
    query = (sa.select(raw.c.stream, raw.c.source_id, raw.c.source_updated_at, raw.c.is_deleted)
             .where(raw.c.org_id == org_id, raw.c.stream.in_(streams)))
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["day"] = pd.to_datetime(frame["source_updated_at"], format="ISO8601").dt.normalize()
    frame["is_deleted"] = frame["is_deleted"].astype(bool)
    return frame


def _held(engine: sa.Engine, org_id: str, models: list[str]) -> pd.DataFrame:
    q = quarantined_records
    query = (sa.select(q.c.model, q.c.source_updated_at)
             .where(q.c.org_id == org_id, q.c.model.in_(models), q.c.released_at.is_(None)))
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["day"] = pd.to_datetime(frame["source_updated_at"], format="ISO8601").dt.normalize()
    return frame


def _longest_recent_gap(record_days: np.ndarray, dates: np.ndarray, history_days: int) -> np.ndarray:
    """Per date D, the longest gap between consecutive record days within (D - history, D] (0 if none)."""
    if len(record_days) < 2:
        return np.zeros(len(dates))
    ends, lengths = record_days[1:], np.diff(record_days).astype(int)
    out = np.zeros(len(dates))
    for start in range(0, len(dates), 256):   # bounded memory: at most 256 dates x gaps at once
        chunk = dates[start:start + 256, None]
        inside = (ends[None, :] <= chunk) & (ends[None, :] - lengths[None, :] >= chunk - history_days)
        out[start:start + 256] = np.where(inside, lengths[None, :], 0).max(axis=1)
    return out


def _judge(ref: StreamRef, versions: pd.DataFrame, held: pd.DataFrame, dates: np.ndarray) -> pd.DataFrame:
    fresh_spec, volume = ref.quality.freshness, ref.quality.volume
    days = np.sort(tl.as_days(versions["day"]))
    record_days = np.unique(days)
    n = len(dates)
    idx = np.searchsorted(record_days, dates, side="right")
    present = idx > 0
    # A stream with no version for this organisation (a source it does not use) has no last day at all.
    last = (np.where(present, record_days[np.maximum(idx - 1, 0)], np.datetime64("NaT")) if len(record_days)
            else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"))
    age = np.where(present, (dates - last).astype("timedelta64[D]").astype(float), np.nan)
    gap = _longest_recent_gap(record_days, dates, fresh_spec.history_days)
    active = idx - np.searchsorted(record_days, dates - np.timedelta64(fresh_spec.history_days, "D"), side="right")
    # A stream is judged once it has a full history window behind it: a bursty stream (surveys twice a year) shows
    # its longest gap only after a full cycle.
    seasoned = (record_days[0] <= dates - np.timedelta64(fresh_spec.history_days, "D")) if len(record_days) \
        else np.zeros(n, bool)
    judged = present & seasoned & (active >= fresh_spec.min_history_days)
    limit = np.maximum(fresh_spec.min_days, fresh_spec.multiplier * gap)
    stale = judged & (age > limit)
    if fresh_spec.max_days is not None:
        limit = np.where(judged, np.minimum(limit, fresh_spec.max_days), fresh_spec.max_days)
        stale = present & (stale | (age > fresh_spec.max_days))

    arrivals = tl.window_sum(days, dates, WEEK)
    weeks = np.column_stack([tl.window_sum(days, dates - np.timedelta64(WEEK * k, "D"), WEEK)
                             for k in range(1, HISTORY_WEEKS + 1)])
    usual = np.median(weeks, axis=1)
    low = present & (usual >= volume.min_weekly_arrivals) & (arrivals < volume.min_arrival_ratio * usual)

    ordered = versions.sort_values(["source_id", "source_updated_at"], kind="stable")
    same_next = ordered["source_id"].shift(-1).eq(ordered["source_id"]).to_numpy()
    starts = tl.as_days(ordered["day"])
    ends = np.where(same_next, np.roll(starts, -1), np.datetime64("NaT"))
    alive = ~ordered["is_deleted"].to_numpy()
    live = tl.open_on(starts[alive], ends[alive], dates)
    live_before = tl.open_on(starts[alive], ends[alive], dates - np.timedelta64(WEEK, "D"))
    collapsed = (live_before >= volume.min_live_records) & (live < (1 - volume.max_drop) * live_before)

    first_seen = tl.as_days(ordered.groupby("source_id", sort=False)["day"].min())
    seen = tl.cumulative_sum(first_seen, dates)
    # A held version counts from the day it is stamped; one stamped after the last date (a future timestamp) counts
    # on the last date, since the canonical tables behind every date are the current ones.
    held_days = np.minimum(tl.as_days(held.loc[held["model"] == ref.model, "day"]), dates.max())
    quarantined = tl.cumulative_sum(held_days, dates) if len(held_days) else np.zeros(n)
    share = np.where(seen > 0, quarantined / np.maximum(seen, 1), 0.0)
    overflow = (quarantined >= ref.quality.min_quarantined) & (share > ref.quality.max_quarantine_share)

    return pd.DataFrame({
        "as_of": pd.DatetimeIndex(dates.astype("datetime64[ns]")),
        "source": ref.source, "stream": ref.stream, "model": ref.model,
        "present": present, "last_day": pd.to_datetime(last), "age_days": age,
        "max_age_days": np.where(judged | (fresh_spec.max_days is not None), limit, np.nan),
        "stale": stale, "arrivals_7d": arrivals, "usual_7d": np.where(present, usual, np.nan),
        "arrivals_low": low, "live_records": live, "live_7d_before": live_before, "collapsed": collapsed,
        "records_seen": seen, "quarantined": quarantined, "quarantined_share": share,
        "quarantine_overflow": overflow,
        "fresh": ~(stale | low),
    })


def stream_status(engine: sa.Engine, org_id: str, dates, project: Project) -> pd.DataFrame:
    """Every stream's state on every date for one organisation (rows for absent streams have present=False)."""
    dates = tl.as_days(pd.DatetimeIndex(dates))
    refs = stream_refs(project)
    held = _held(engine, org_id, [r.model for r in refs])
    frames = []
    for source in sorted({r.source for r in refs}):
        mine = [r for r in refs if r.source == source]
        versions = _versions(engine, org_id, source, sorted({r.stream for r in mine}))
        for ref in mine:
            frames.append(_judge(ref, versions[versions["stream"] == ref.stream], held, dates))
    out = pd.concat(frames, ignore_index=True)
    out["tables"] = out["model"].map({r.model: r.tables for r in refs})
    return out
