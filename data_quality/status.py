"""The data-quality status of each (organisation, day, dimension), from the checks on the inputs that feed it.

A dimension is fed by the canonical tables its signals read (`data_needed` of their metric cards), and a canonical
table by the raw streams its staging models read. For each day:

- `failed`: a blocking check failed on one of its inputs: a table's contract has an `error` rule broken, a stream's
  live records collapsed, or more of a stream's records are held in quarantine than its limit. The organisation's
  scores for that day are held back (`held_back`; any blocking failure of any input holds back the whole day).
- `degraded`: an input is stale or arriving far below its usual volume (`fresh` is false, and the signals reading it
  count as stale, so the dimension's coverage drops), rows of an input are held in quarantine, or a `warn` rule broke.
- `ok`: every input fresh and passing.

`reason` says why in one line per problem; `sources` and `checks` list what was judged (JSON), `stale_tables` the
canonical tables whose signals count as stale that day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import sqlalchemy as sa

from apex_model.model import DIMENSION_IDS, ApexModel
from data_quality.suites import RuleOutcome
from dbt_like_sql.project import Project
from dbt_like_sql.quality_tables import apex_data_quality_status
from dbt_like_sql.warehouse import replace_partition_rows

OK, DEGRADED, FAILED = "ok", "degraded", "failed"


def dimension_tables(model: ApexModel) -> dict[str, tuple[str, ...]]:
    """The canonical tables each dimension's signals read."""
    from signals.registry import catalogue

    cards = catalogue()
    out: dict[str, set[str]] = defaultdict(set)
    for signal in model.signals:
        card = cards.get(signal.id)
        if card is not None:
            out[signal.dimension].update(card.data_needed)
    return {dim: tuple(sorted(out.get(dim, ()))) for dim in DIMENSION_IDS}


def _n(value) -> str:
    return f"{value:,.0f}"


def _stream_problems(row) -> tuple[list[str], list[str]]:
    """(blocking, degrading) sentences for one stream on one day."""
    name = f"{row.stream} ({row.source})"
    blocking, degrading = [], []
    if row.collapsed:
        blocking.append(f"{name}: {_n(row.live_records)} live records, {_n(row.live_7d_before)} seven days earlier "
                        f"(a collapse in volume)")
    if row.quarantine_overflow:
        blocking.append(f"{name}: {row.quarantined_share:.0%} of its records held back in quarantine "
                        f"({_n(row.quarantined)} of {_n(row.records_seen)})")
    if row.stale:
        degrading.append(f"{name}: newest record {row.age_days:.0f} days old, expected within "
                         f"{row.max_age_days:.0f} (stale)")
    if row.arrivals_low:
        degrading.append(f"{name}: {_n(row.arrivals_7d)} new versions in 7 days, usually {_n(row.usual_7d)} "
                         f"(a drop in volume)")
    if row.quarantined and not row.quarantine_overflow:
        degrading.append(f"{name}: {_n(row.quarantined)} record version(s) held back in quarantine")
    return blocking, degrading


def _contract_problems(outcomes: list[RuleOutcome]) -> dict[str, tuple[list[str], list[str], list[dict]]]:
    """Per table: (blocking, degrading) sentences and the failed rules, from its contract's outcomes."""
    out: dict[str, tuple[list[str], list[str], list[dict]]] = defaultdict(lambda: ([], [], []))
    for o in outcomes:
        if o.passed:
            continue
        blocking, degrading, failed = out[o.table]
        detail = o.error or f"{_n(o.failing_rows)} row(s)"
        text = f"{o.table}: contract rule {o.rule} failed ({o.reason}; {detail})"
        (blocking if o.severity == "error" else degrading).append(text)
        failed.append({"rule": o.rule, "severity": o.severity, "failing_rows": o.failing_rows,
                       "expectation": o.expectation})
    return out


def assess(model: ApexModel, project: Project, org_id: str, dates, streams: pd.DataFrame,
           contracts: list[RuleOutcome] | None, table_held: dict[str, dict[str, int]]) -> pd.DataFrame:
    """One row per (as_of, dimension): status, fresh, held_back, reason, sources, checks, stale_tables.

    `streams` comes from `streams.stream_status`, `contracts` from `suites.validate` on the canonical tables (None
    when the contract check did not run), `table_held` is {table: {rule: rows}} held in quarantine at the tables.
    """
    dates = pd.DatetimeIndex(dates)
    dims = dimension_tables(model)
    contract_problems = _contract_problems(contracts or [])
    streams = streams[streams["as_of"].isin(dates)]

    # Per (day, stream): problems and the tables the stream feeds (vectorised judgements, formatted per row).
    by_day: dict[pd.Timestamp, list] = defaultdict(list)
    for row in streams.itertuples(index=False):
        if row.present:
            by_day[row.as_of].append((row, *_stream_problems(row)))

    blocked_tables = {t for t, (b, _d, _f) in contract_problems.items() if b}
    rows = []
    for day in dates:
        day_streams = by_day.get(day, [])
        held_back = bool(blocked_tables) or any(b for _r, b, _d in day_streams)
        for dim in DIMENSION_IDS:
            tables = set(dims[dim])
            blocking, degrading, sources, stale_tables = [], [], [], set()
            fresh = True
            for row, b, d in day_streams:
                if not tables.intersection(row.tables):
                    continue
                blocking += b
                degrading += d
                if not row.fresh:
                    fresh = False
                    stale_tables.update(tables.intersection(row.tables))
                sources.append({
                    "source": row.source, "stream": row.stream, "model": row.model,
                    "tables": sorted(tables.intersection(row.tables)), "fresh": bool(row.fresh),
                    "age_days": None if np.isnan(row.age_days) else int(row.age_days),
                    "max_age_days": None if np.isnan(row.max_age_days) else float(row.max_age_days),
                    "arrivals_7d": int(row.arrivals_7d),
                    "usual_7d": None if np.isnan(row.usual_7d) else float(row.usual_7d),
                    "live_records": int(row.live_records), "quarantined": int(row.quarantined)})
            failed_rules = []
            for table in sorted(tables):
                b, d, f = contract_problems.get(table, ([], [], []))
                blocking += b
                degrading += d
                failed_rules += [{"table": table, **x} for x in f]
                held = table_held.get(table) or {}
                if held:
                    rules = ", ".join(f"{rule} {n}" for rule, n in sorted(held.items()))
                    degrading.append(f"{table}: {sum(held.values())} row(s) held back in quarantine ({rules})")
            stream_rows = [r for r, _b, _d in day_streams if tables.intersection(r.tables)]
            checks = [
                {"check": "contracts", "ran": contracts is not None, "passed": not failed_rules,
                 "failed_rules": failed_rules},
                {"check": "quarantine", "passed": not any(r.quarantine_overflow for r in stream_rows),
                 "held": int(sum(r.quarantined for r in stream_rows))
                 + sum(sum((table_held.get(t) or {}).values()) for t in tables)},
                {"check": "source_freshness", "passed": not any(r.stale for r in stream_rows),
                 "stale": sorted(r.stream for r in stream_rows if r.stale)},
                {"check": "source_volume", "passed": not any(r.collapsed or r.arrivals_low for r in stream_rows),
                 "collapsed": sorted(r.stream for r in stream_rows if r.collapsed),
                 "low_arrivals": sorted(r.stream for r in stream_rows if r.arrivals_low)},
            ]
            status = FAILED if blocking else DEGRADED if (degrading or not fresh) else OK
            rows.append({"as_of": day, "dimension": dim, "status": status, "fresh": fresh, "held_back": held_back,
                         "reason": "; ".join(dict.fromkeys(blocking + degrading)), "sources": sources,
                         "checks": checks, "stale_tables": sorted(stale_tables)})
    frame = pd.DataFrame(rows)
    frame.insert(0, "org_id", org_id)
    return frame


def write(engine: sa.Engine, frame: pd.DataFrame, model_version: str) -> int:
    """Replace the (organisation, days, model version) rows of `apex_data_quality_status`."""
    if frame.empty:
        return 0
    out = frame.assign(model_version=model_version,
                       computed_at=datetime.now(timezone.utc).replace(tzinfo=None))
    out["as_of"] = pd.DatetimeIndex(out["as_of"]).date
    dates = sorted(set(out["as_of"]))
    with engine.begin() as conn:
        return replace_partition_rows(conn, apex_data_quality_status, out, org_id=out["org_id"].iloc[0],
                                      dates=dates, model_version=model_version)


def clear(engine: sa.Engine, org_id: str, dates) -> None:
    """Forget the status of these days (all model versions): the canonical tables behind it are being rebuilt."""
    table = apex_data_quality_status
    days = sorted(set(pd.DatetimeIndex(dates).date))
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.org_id == org_id, table.c.as_of >= days[0],
                                            table.c.as_of <= days[-1]))


def read(engine: sa.Engine, org_id: str, dates, model_version: str) -> pd.DataFrame:
    """The stored status rows of an organisation for the given days (empty when the checks did not run)."""
    table = apex_data_quality_status
    days = sorted(set(pd.DatetimeIndex(dates).date))
    query = sa.select(table).where(table.c.org_id == org_id, table.c.model_version == model_version,
                                   table.c.as_of >= days[0], table.c.as_of <= days[-1])
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    for col in ("sources", "checks", "stale_tables"):
        frame[col] = frame[col].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    frame["held_back"] = frame["held_back"].astype(bool)
    frame["fresh"] = frame["fresh"].astype(bool)
    return frame[frame["as_of"].isin(pd.DatetimeIndex(dates))]


def held_back_days(engine: sa.Engine, org_id: str, dates, model_version: str) -> pd.DatetimeIndex:
    """The days whose scores are held back by a blocking data-quality failure."""
    frame = read(engine, org_id, dates, model_version)
    return pd.DatetimeIndex(sorted(frame.loc[frame["held_back"], "as_of"].unique()))


def with_stale_inputs(values: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Signal values (as_of, signal_id, status ...) where a `present` signal reading a canonical table that is stale
    that day (per the stored data-quality status) counts as `stale`: its dimension's coverage drops, and the
    status row says why."""
    if status.empty or values.empty:
        return values
    from apex_model.aggregate import PRESENT, STALE
    from signals.registry import catalogue

    stale = status[["as_of", "stale_tables"]].explode("stale_tables").dropna().drop_duplicates()
    if stale.empty:
        return values
    stale_days = stale.groupby("stale_tables")["as_of"].agg(lambda s: set(pd.DatetimeIndex(s)))
    out = values.copy()
    as_of = pd.DatetimeIndex(out["as_of"])
    cards = catalogue()
    for signal_id in out["signal_id"].unique():
        card = cards.get(signal_id)
        days = set().union(*(stale_days.get(t, set()) for t in (card.data_needed if card else ())))
        if not days:
            continue
        hit = (out["signal_id"] == signal_id).to_numpy() & as_of.isin(list(days)) & out["status"].eq(PRESENT).to_numpy()
        out.loc[hit, "status"] = STALE
    return out
