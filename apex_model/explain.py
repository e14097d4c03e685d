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


COLUMNS = ["from_date", "to_date", "dimension", "signal_id", "effect", "status_from", "status_to", "score_from",
           "score_to", "contribution"]


def _wide(model: ApexModel, signals: pd.DataFrame, days: list) -> tuple[np.ndarray, np.ndarray]:
    """(status, score) matrices: one row per day in `days`, one column per model signal (missing rows: missing)."""
    ids = [s.id for s in model.signals]
    unknown = sorted(set(signals["signal_id"]) - set(ids))
    if unknown:
        raise ValueError(f"signal {unknown[0]!r} is not in model {model.version}")
    frame = signals.drop_duplicates(["as_of", "signal_id"]).set_index(["as_of", "signal_id"])
    index = pd.MultiIndex.from_product([days, ids], names=["as_of", "signal_id"])
    status = frame["status"].reindex(index).to_numpy(object).reshape(len(days), len(ids))
    score = frame["score"].reindex(index).to_numpy(float).reshape(len(days), len(ids))
    status = np.where(pd.isna(status), "missing", status)
    return status, score


def explain_days(model: ApexModel, signals: pd.DataFrame, pairs) -> pd.DataFrame:
    """Contributions to each dimension's change for each (from_date, to_date) in `pairs`, all pairs at once.

    `signals`: signal rows of many days (columns as_of, signal_id, status, score), as in apex_signal_values.
    Returns the columns in `COLUMNS`: per pair, one row per (dimension, signal present on either day) and one
    `dimension_total` row per dimension.
    """
    pairs = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in pairs]
    if not pairs:
        return pd.DataFrame(columns=COLUMNS)
    present_days = set(pd.to_datetime(signals["as_of"]))
    for first, second in pairs:
        for day in (first, second):
            if day not in present_days:
                raise ValueError(f"no signal values stored for {day.date()}; compute that day first")
    days = sorted({d for pair in pairs for d in pair})
    position = {d: i for i, d in enumerate(days)}
    frame = signals.assign(as_of=pd.to_datetime(signals["as_of"]))
    status, score = _wide(model, frame, days)
    i1 = np.array([position[a] for a, _ in pairs])
    i2 = np.array([position[b] for _, b in pairs])
    ids = np.array([s.id for s in model.signals], dtype=object)
    weight = np.array([s.weight for s in model.signals], dtype=float)
    dims = np.array([s.dimension for s in model.signals], dtype=object)
    st1, st2 = status[i1], status[i2]
    s1, s2 = score[i1], score[i2]
    p1 = (st1 == PRESENT) & ~np.isnan(s1)
    p2 = (st2 == PRESENT) & ~np.isnan(s2)
    contribution = np.full(s1.shape, np.nan)
    effect = np.full(s1.shape, None, dtype=object)
    totals = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for dim in DIMENSION_IDS:
            cols = dims == dim
            w = weight[cols]
            a, b = np.where(p1[:, cols], s1[:, cols], 0.0), np.where(p2[:, cols], s2[:, cols], 0.0)
            q1, q2 = p1[:, cols], p2[:, cols]
            both = q1 & q2
            w1, w2, wc = (q1 * w).sum(1), (q2 * w).sum(1), (both * w).sum(1)
            score1 = np.where(w1 > 0, (a * q1 * w).sum(1) / w1, np.nan)
            score2 = np.where(w2 > 0, (b * q2 * w).sum(1) / w2, np.nan)
            sc1 = np.where(wc > 0, (a * both * w).sum(1) / wc, 0.0)
            sc2 = np.where(wc > 0, (b * both * w).sum(1) / wc, 0.0)
            value = np.where(wc[:, None] > 0, w * (b - a) / wc[:, None], 0.0)
            appeared = w * (b - sc2[:, None]) / w2[:, None]
            dropped = -w * (a - sc1[:, None]) / w1[:, None]
            c = np.where(both, value, np.where(q2 & ~q1, appeared, np.where(q1 & ~q2, dropped, np.nan)))
            defined = (w1 > 0) & (w2 > 0)
            c = np.where(defined[:, None], c, np.nan)
            c = np.where(q1 | q2, c, np.nan)
            contribution[:, cols] = c
            effect[:, cols] = np.where(both, VALUE, np.where(q2 & ~q1, APPEARED, np.where(q1 & ~q2, DROPPED, None)))
            totals.append(pd.DataFrame({
                "pair": np.arange(len(pairs)), "dimension": dim, "signal_id": TOTAL, "effect": TOTAL_EFFECT,
                "status_from": None, "status_to": None, "score_from": score1, "score_to": score2,
                "contribution": np.where(defined, score2 - score1, np.nan)}))
    pair_idx, sig_idx = np.nonzero(p1 | p2)
    rows = pd.DataFrame({
        "pair": pair_idx, "dimension": dims[sig_idx], "signal_id": ids[sig_idx], "effect": effect[pair_idx, sig_idx],
        "status_from": st1[pair_idx, sig_idx], "status_to": st2[pair_idx, sig_idx],
        "score_from": np.where(p1, s1, np.nan)[pair_idx, sig_idx],
        "score_to": np.where(p2, s2, np.nan)[pair_idx, sig_idx], "contribution": contribution[pair_idx, sig_idx]})
    out = pd.concat([rows, *totals], ignore_index=True)
    order = {d: i for i, d in enumerate(DIMENSION_IDS)}
    out = out.assign(_dim=out["dimension"].map(order), _total=out["signal_id"].eq(TOTAL))
    out = out.sort_values(["pair", "_dim", "_total"], kind="stable")
    firsts = np.array([a for a, _ in pairs], dtype="datetime64[ns]")
    seconds = np.array([b for _, b in pairs], dtype="datetime64[ns]")
    out.insert(0, "to_date", seconds[out["pair"].to_numpy()])
    out.insert(0, "from_date", firsts[out["pair"].to_numpy()])
    return out[COLUMNS].reset_index(drop=True)


def explain_change(model: ApexModel, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Contributions to each dimension's change from the day of `before` to the day of `after`.

    `before` and `after`: one row per signal (columns signal_id, status, score), as in apex_signal_values.
    Returns the columns of `explain_days` without the dates.
    """
    first, second = pd.Timestamp("2000-01-01"), pd.Timestamp("2000-01-02")
    rows = pd.concat([before.assign(as_of=first), after.assign(as_of=second)], ignore_index=True)
    return explain_days(model, rows, [(first, second)]).drop(columns=["from_date", "to_date"])


def top_movers(changes: pd.DataFrame, limit: int = 3) -> dict[str, str]:
    """Per dimension with a change of 0.05 points or more, one line: the total and its largest contributions."""
    return {dim: text for (_day, dim), text in movers_by_day(changes, limit).items()}


def movers_by_day(changes: pd.DataFrame, limit: int = 3) -> dict[tuple, str]:
    """`top_movers` for every `to_date` in `changes` at once: {(to_date, dimension): line}."""
    if changes.empty:
        return {}
    frame = changes if "to_date" in changes else changes.assign(to_date=0)
    totals = frame[frame["effect"] == TOTAL_EFFECT]
    totals = totals[totals["contribution"].abs() >= 0.05]
    parts = frame[(frame["effect"] != TOTAL_EFFECT) & (frame["contribution"].abs() >= 0.05)]
    parts = parts.assign(size=parts["contribution"].abs()).sort_values(["to_date", "dimension", "size"],
                                                                          ascending=[True, True, False])
    parts = parts.groupby(["to_date", "dimension"], dropna=False).head(limit)
    parts = parts.assign(text=[f"{sid} {c:+.1f}" + ("" if eff == VALUE else f" ({eff})")
                               for sid, c, eff in zip(parts["signal_id"], parts["contribution"], parts["effect"])])
    detail = parts.groupby(["to_date", "dimension"], dropna=False)["text"].agg(", ".join)
    out = {}
    for day, dim, total in zip(totals["to_date"], totals["dimension"], totals["contribution"]):
        text = detail.get((day, dim))
        out[(day, dim)] = f"{total:+.1f} points: {text}" if text else f"{total:+.1f} points"
    return out
