"""Why did a dimension score move? The change between two days split exactly into one contribution per signal.

A dimension's score is the weighted mean of its present signals' scores (`aggregate.dimension_scores`):
score(t) = sum_{i in P_t} w_i s_i(t) / W_t. Between day 1 and day 2 the present set can change, so with C = P_1 ∩ P_2
and S_C(t) the weighted mean over C alone:

    score(2) - score(1) = [S_C(2) - S_C(1)]            value effect:    w_i (s_i(2) - s_i(1)) / W_C  for i in C
                        + [score(2) - S_C(2)]          appeared:        w_i (s_i(2) - S_C(2)) / W_2  for i in P_2 \\ C
                        + [S_C(1) - score(1)]          dropped:        -w_i (s_i(1) - S_C(1)) / W_1  for i in P_1 \\ C

Each line is an identity, so the signal rows of a dimension add up to its total exactly. A signal that appears
(present again after being missing, stale or not applicable) moves the score by how far it sits from the others; one
that drops out (goes stale or missing) by the opposite. With no signal present on both days, S_C is taken as 0, so
the rows are each side's plain weighted shares. When a side has no present signal at all, its score is undefined and
so are the contributions (NaN).

The value effect includes the goalposts' stage blend moving between the two days (a signal score is the value under
the day's blended goalposts). Grain of the output: one row per (dimension, signal present on either day) plus one
`dimension_total` row per dimension. Pure pandas; no Dagster, no database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apex_model.aggregate import PRESENT
from apex_model.model import DIMENSION_IDS, ApexModel

TOTAL = "dimension_total"
VALUE, APPEARED, DROPPED, TOTAL_EFFECT = "value", "appeared", "dropped", "total"


def _side(model: ApexModel, rows: pd.DataFrame) -> pd.DataFrame:
    specs = {s.id: s for s in model.signals}
    frame = rows[["signal_id", "status", "score"]].drop_duplicates("signal_id").set_index("signal_id")
    unknown = sorted(set(frame.index) - set(specs))
    if unknown:
        raise ValueError(f"signal {unknown[0]!r} is not in model {model.version}")
    return frame


def explain_change(model: ApexModel, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Contributions to each dimension's change from the day of `before` to the day of `after`.

    `before` and `after`: one row per signal (columns signal_id, status, score), as in apex_signal_values.
    Returns columns dimension, signal_id, effect, status_from, status_to, score_from, score_to, contribution.
    """
    b = _side(model, before)
    a = _side(model, after)
    out = []
    for dim in DIMENSION_IDS:
        specs = model.signals_of(dim)
        ids = [s.id for s in specs]
        w = np.array([s.weight for s in specs], dtype=float)
        s1 = b["score"].reindex(ids).to_numpy(float)
        s2 = a["score"].reindex(ids).to_numpy(float)
        st1 = b["status"].reindex(ids).to_numpy(object)
        st2 = a["status"].reindex(ids).to_numpy(object)
        p1 = (st1 == PRESENT) & ~np.isnan(s1)
        p2 = (st2 == PRESENT) & ~np.isnan(s2)
        both = p1 & p2
        w1, w2, wc = w[p1].sum(), w[p2].sum(), w[both].sum()
        score1 = (w[p1] * s1[p1]).sum() / w1 if w1 > 0 else np.nan
        score2 = (w[p2] * s2[p2]).sum() / w2 if w2 > 0 else np.nan
        defined = w1 > 0 and w2 > 0
        if wc > 0:
            sc1 = (w[both] * s1[both]).sum() / wc
            sc2 = (w[both] * s2[both]).sum() / wc
        else:
            sc1 = sc2 = 0.0
        contribution = np.full(len(ids), np.nan)
        effect = np.full(len(ids), None, dtype=object)
        with np.errstate(invalid="ignore", divide="ignore"):
            effect[both] = VALUE
            contribution[both] = w[both] * (s2[both] - s1[both]) / wc if wc > 0 else 0.0
            new = p2 & ~p1
            effect[new] = APPEARED
            contribution[new] = w[new] * (s2[new] - sc2) / w2 if w2 > 0 else np.nan
            gone = p1 & ~p2
            effect[gone] = DROPPED
            contribution[gone] = -w[gone] * (s1[gone] - sc1) / w1 if w1 > 0 else np.nan
        if not defined:
            contribution[:] = np.nan
        rows = pd.DataFrame({"dimension": dim, "signal_id": ids, "effect": effect, "status_from": st1,
                             "status_to": st2, "score_from": np.where(p1, s1, np.nan),
                             "score_to": np.where(p2, s2, np.nan), "contribution": contribution})
        out.append(rows[p1 | p2])
        out.append(pd.DataFrame({"dimension": [dim], "signal_id": [TOTAL], "effect": [TOTAL_EFFECT],
                                 "status_from": [None], "status_to": [None], "score_from": [score1],
                                 "score_to": [score2], "contribution": [score2 - score1 if defined else np.nan]}))
    result = pd.concat(out, ignore_index=True)
    result["status_from"] = result["status_from"].where(result["status_from"].notna(), None)
    result["status_to"] = result["status_to"].where(result["status_to"].notna(), None)
    return result


def explain_days(model: ApexModel, signals: pd.DataFrame, pairs) -> pd.DataFrame:
    """`explain_change` for each (from_date, to_date) in `pairs`, from signal rows of many days (column as_of)."""
    by_day = {day: rows for day, rows in signals.groupby("as_of")}
    frames = []
    for first, second in pairs:
        first, second = pd.Timestamp(first), pd.Timestamp(second)
        if first not in by_day or second not in by_day:
            missing = first if first not in by_day else second
            raise ValueError(f"no signal values stored for {missing.date()}; compute that day first")
        frame = explain_change(model, by_day[first], by_day[second])
        frame.insert(0, "to_date", second)
        frame.insert(0, "from_date", first)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["from_date", "to_date", "dimension", "signal_id", "effect", "status_from",
                                     "status_to", "score_from", "score_to", "contribution"])
    return pd.concat(frames, ignore_index=True)


def top_movers(changes: pd.DataFrame, limit: int = 3) -> dict[str, str]:
    """Per dimension with a non-zero change, one line: the total and its largest contributions (for metadata)."""
    lines = {}
    for dim, rows in changes.groupby("dimension", sort=True):
        total = rows[rows["effect"] == TOTAL_EFFECT]["contribution"].iloc[0]
        if pd.isna(total) or abs(total) < 0.05:
            continue
        parts = rows[rows["effect"] != TOTAL_EFFECT].dropna(subset=["contribution"])
        parts = parts.reindex(parts["contribution"].abs().sort_values(ascending=False).index).head(limit)
        detail = ", ".join(f"{r.signal_id} {r.contribution:+.1f}" + ("" if r.effect == VALUE else f" ({r.effect})")
                           for r in parts.itertuples() if abs(r.contribution) >= 0.05)
        lines[dim] = f"{total:+.1f} points: {detail}" if detail else f"{total:+.1f} points"
    return lines
