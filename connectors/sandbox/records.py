"""From lifecycle rows to the sandbox "API": record versions with payloads, truncated at the end date.

Grain of the output: one row per version of a record, `source_id`, `source_updated_at` (UTC), `is_deleted`,
`payload`. A record's versions are its lifecycle steps (created, decided, closed ...); a step without a timestamp
does not exist for that record, steps at or after the end of the `end` day are not yet visible, and two steps of a
record at the same instant are one version (the later step wins). Rows are ordered by `source_updated_at`, then by
the order the records were generated, which is the order an incremental sync would page through them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Payload field kinds: how a column is rendered in the JSON the sandbox API would send.
STR, DATE, TS, AMOUNT, INT, BOOL = "str", "date", "ts", "amount", "int", "bool"


@dataclass
class Step:
    """One lifecycle step: when it happened (per record, NaT = never) and the payload fields it sets."""

    ts: np.ndarray
    values: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


def _render(kind: str, values: np.ndarray) -> list:
    if kind == DATE:
        text = np.datetime_as_string(np.asarray(values, dtype="datetime64[D]"), unit="D").astype(object)
        text[text == "NaT"] = None
        return text.tolist()
    if kind == TS:
        stamps = np.asarray(values, dtype="datetime64[s]")
        text = np.char.add(np.datetime_as_string(stamps, unit="s"), "Z").astype(object)
        text[np.isnat(stamps)] = None
        return text.tolist()
    if kind == AMOUNT:
        rounded = np.round(np.asarray(values, dtype=np.float64), 2)
        return [None if v != v else v for v in rounded.tolist()]
    if kind == INT:
        floats = np.asarray(values, dtype=np.float64)
        return [None if v != v else int(v) for v in floats.tolist()]
    if kind == BOOL:
        return np.asarray(values, dtype=bool).tolist()
    return np.asarray(values, dtype=object).tolist()


def build_versions(source_id: np.ndarray, base: dict[str, Any], steps: list[Step], schema: dict[str, str],
                   visible_before: np.datetime64) -> pd.DataFrame:
    """Versions of every record visible before `visible_before` (datetime64[s]).

    `steps[0]` is the creation (its values are `base`); each later step sets some fields. The payload of a version
    at time T holds, per field, the value of the latest step at or before T that sets it, so steps may happen in
    any order (a conflict resolved after the deal was converted, say).
    """
    n = len(source_id)
    stamps = [np.broadcast_to(np.asarray(s.ts, dtype="datetime64[s]"), (n,)) for s in steps]
    visible = [~np.isnat(ts) & (ts < visible_before) & ~np.isnat(stamps[0]) for ts in stamps]
    rec = np.concatenate([np.flatnonzero(v) for v in visible])
    ts = np.concatenate([t[v] for t, v in zip(stamps, visible)])
    step_no = np.concatenate([np.full(v.sum(), k) for k, v in enumerate(visible)])
    order = np.lexsort((step_no, rec, ts))
    rec, ts, step_no = rec[order], ts[order], step_no[order]
    last = np.ones(len(rec), bool)
    last[:-1] = (rec[:-1] != rec[1:]) | (ts[:-1] != ts[1:])
    rec, ts, step_no = rec[last], ts[last], step_no[last]
    deleted = np.zeros(len(rec), bool)
    for k, s in enumerate(steps):
        if s.deleted:
            t = stamps[k][rec]
            deleted |= ~np.isnat(t) & (t <= ts)
    rendered = []
    for name, kind in schema.items():
        value = np.broadcast_to(np.asarray(base[name]), (n,))[rec]
        best = stamps[0][rec]
        for k, s in enumerate(steps[1:], start=1):
            if name not in s.values:
                continue
            t = stamps[k][rec]
            applies = ~np.isnat(t) & (t <= ts) & (t >= best)
            if applies.any():
                new = np.broadcast_to(np.asarray(s.values[name]), (n,))[rec]
                value = np.where(applies, new, value)
                best = np.where(applies, t, best)
        rendered.append(_render(kind, value))
    keys = tuple(schema)
    payloads = [dict(zip(keys, row)) for row in zip(*rendered)]
    return pd.DataFrame({
        "source_id": pd.array(np.asarray(source_id, dtype=object)[rec], dtype="str"),
        "source_updated_at": pd.DatetimeIndex(ts).tz_localize("UTC"),
        "is_deleted": deleted,
        "payload": pd.Series(payloads, dtype=object),
    })


def later(ts: np.ndarray, floor: np.ndarray, gap_seconds: int = 60) -> np.ndarray:
    """`ts`, but never earlier than `gap_seconds` after `floor` (NaT stays NaT): versions stay in order."""
    ts = np.asarray(ts, dtype="datetime64[s]")
    bumped = np.asarray(floor, dtype="datetime64[s]") + np.timedelta64(gap_seconds, "s")
    return np.where(np.isnat(ts), ts, np.where(ts < bumped, bumped, ts))
