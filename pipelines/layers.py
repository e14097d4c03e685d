"""One function per pipeline layer, free of Dagster: fetch inputs, call the domain, write outputs.

The Dagster assets (`pipelines/assets/`), the CLI and the benchmarks call these, so what a backfill computes and what
a test checks are the same code. Every layer works on one organisation and a set of as-of dates at once, in one
vectorised pass, and writes idempotently: rerunning a day replaces that day's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import sqlalchemy as sa

from apex_model.aggregate import dimension_scores
from apex_model.explain import explain_days
from apex_model.health import assess, with_capability
from apex_model.maturity import history_days
from apex_model.model import ApexModel
from apex_model.stages import StageMix, stage_mix
from connectors import sandbox_source
from data_quality import status as dq_status
from dbt_like_sql import landing
from dbt_like_sql.runner import BuildResult, build, read_table
from dbt_like_sql.schema import (
    apex_dimension_scores,
    apex_ecosystem_health,
    apex_partner_signal_values,
    apex_score_changes,
    apex_signal_values,
    ensure_tables,
)
from dbt_like_sql.warehouse import replace_partition_rows
from pipelines.deployment import Organisation
from signals.compute import compute_signals, score_signals
from signals.context import SignalContext
from signals.registry import catalogue


class DateOutsideDataError(ValueError):
    """An as-of date the organisation's data cannot answer for (in its future, or before its first record)."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_dates(days) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(sorted(set(pd.to_datetime(list(days)).normalize())), name="as_of")


@dataclass(frozen=True)
class IngestResult:
    source: str
    new_versions: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.new_versions.values())


def ingest(engine: sa.Engine, org: Organisation, until: date, only: str | None = None) -> list[IngestResult]:
    """Land every configured source's changes up to the end of `until` into its raw table (`only`: one source type).

    API sources sync what the system holds now (their cursor, not `until`, bounds what is fetched): a system serves
    its current state, and the as-of rules apply downstream on business dates."""
    ensure_tables(engine)
    results = []
    for source in org.sources:
        if only is not None and source.type != only:
            continue
        if source.type == "sandbox":
            if source.streams is not None and not source.streams:
                continue  # a profile other sources are generated from (the demo's simulator); nothing to land
            cursors = landing.landed_until(engine, "sandbox", org.id)
            counts = {}
            for batch in sandbox_source.fetch(org.id, source.profile, until, cursors):
                if source.streams is None or batch.stream in source.streams:
                    counts[batch.stream] = landing.land(engine, "sandbox", batch.records)
            results.append(IngestResult("sandbox", counts))
        else:
            from connectors import registry, sync

            connector = registry.connector_for(org.id, source)
            try:
                result = sync.sync(engine, connector)
            finally:
                connector.close()
            results.append(IngestResult(connector.source, result.new_versions))
    return results


def build_canonical(engine: sa.Engine, org_id: str, dates=None) -> BuildResult:
    """Refresh the organisation's canonical tables from raw, holding back what breaks a row-level contract.

    The declared contracts are judged by the canonical checks (`pipelines/checks.py`), which also write the
    data-quality status of `dates`; the status of those days computed from the tables before this rebuild is cleared.
    """
    ensure_tables(engine)
    if dates is not None and len(dates):
        dq_status.clear(engine, org_id, dates)
    return build(engine, org_id, tests=False)


def scorable_dates(engine: sa.Engine, model: ApexModel, org_id: str, dates) -> tuple[pd.DatetimeIndex,
                                                                                      pd.DatetimeIndex]:
    """(days to score, days held back by a blocking data-quality failure in the status written this run)."""
    dates = as_dates(dates)
    held = dq_status.held_back_days(engine, org_id, dates, model.version)
    return dates.difference(held), held


def first_record_day(engine: sa.Engine, org_id: str) -> pd.Timestamp | None:
    """The organisation's earliest business date: its first partner's onboarding (None without partners)."""
    with engine.connect() as conn:
        first = conn.execute(sa.text("select min(onboarded_on) from partners where org_id = :org"),
                             {"org": org_id}).scalar_one_or_none()
    return None if first is None else pd.Timestamp(first).normalize()


def check_dates(org: Organisation, dates: pd.DatetimeIndex, first_day: pd.Timestamp | None,
                today: date | None = None) -> None:
    """Refuse as-of dates after the organisation's today or before its first record, with one clear message."""
    import zoneinfo

    today = today or datetime.now(zoneinfo.ZoneInfo(org.timezone)).date()
    future = dates[dates > pd.Timestamp(today)]
    if len(future):
        raise DateOutsideDataError(
            f"organisation {org.id!r}: as-of date {future[0].date()} is after today ({today} in {org.timezone}); "
            f"scores can only be computed for days that have ended")
    if first_day is not None:
        early = dates[dates < first_day]
        if len(early):
            raise DateOutsideDataError(
                f"organisation {org.id!r}: as-of date {early[0].date()} is before its first record "
                f"({first_day.date()}); choose dates from {first_day.date()} on")


def _context(engine: sa.Engine, org: Organisation, dates: pd.DatetimeIndex) -> SignalContext:
    start = np.datetime64(org.programme_start, "D") if org.programme_start else None
    return SignalContext(org.id, dates.to_numpy().astype("datetime64[D]"),
                         loader=lambda name: read_table(engine, name, org.id), programme_start=start)


def _mix(model: ApexModel, org: Organisation, ctx: SignalContext) -> StageMix:
    return stage_mix(model, ctx.date_index, ctx.active_partners(), ctx.programme_age_days(), org.stage_override)


def compute_signal_layer(engine: sa.Engine, model: ApexModel, org: Organisation, dates) -> pd.DataFrame:
    """Every signal's value, n, status and score for each date; replaces those rows in apex_signal_values."""
    dates = as_dates(dates)
    ctx = _context(engine, org, dates)
    values = dq_status.with_stale_inputs(compute_signals(ctx), dq_status.read(engine, org.id, dates, model.version))
    scored = score_signals(model, values, _mix(model, org, ctx))
    out = scored.assign(org_id=org.id, model_version=model.version, computed_at=_now())
    out["as_of"] = out["as_of"].dt.date
    ensure_tables(engine)
    with engine.begin() as conn:
        replace_partition_rows(conn, apex_signal_values, out, org_id=org.id, dates=list(dates.date),
                               model_version=model.version)
    return scored


def _read_output(engine: sa.Engine, table: sa.Table, org_id: str, version: str, first, last) -> pd.DataFrame:
    query = sa.select(table).where(table.c.org_id == org_id, table.c.model_version == version,
                                   table.c.as_of >= first, table.c.as_of <= last)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame


def compute_dimension_layer(engine: sa.Engine, model: ApexModel, org: Organisation, dates) -> pd.DataFrame:
    """Dimension scores, coverage, range and capability level per date, from the stored signal scores."""
    dates = as_dates(dates)
    signals = _read_output(engine, apex_signal_values, org.id, model.version, dates[0].date(), dates[-1].date())
    signals = signals[signals["as_of"].isin(dates)]
    missing = dates.difference(pd.DatetimeIndex(signals["as_of"].unique()))
    if len(missing):
        raise ValueError(f"organisation {org.id!r}: no signal values for {missing[0].date()} "
                         f"({len(missing)} date(s)); materialise the signal layer for these dates first")
    dims = dimension_scores(model, signals)
    ctx = _context(engine, org, dates)
    dims = with_capability(model, dims, _mix(model, org, ctx))
    names = {d.id: d.name for d in model.dimensions}
    out = dims.assign(org_id=org.id, model_version=model.version, computed_at=_now(),
                      dimension_name_en=dims["dimension"].map(lambda d: names[d].en),
                      dimension_name_nl=dims["dimension"].map(lambda d: names[d].nl))
    out["as_of"] = out["as_of"].dt.date
    with engine.begin() as conn:
        replace_partition_rows(conn, apex_dimension_scores, out, org_id=org.id, dates=list(dates.date),
                               model_version=model.version)
    return dims


def compute_health_layer(engine: sa.Engine, model: ApexModel, org: Organisation, dates) -> pd.DataFrame:
    """Overall health, stage and maturity per date; the maturity hysteresis reads the stored days before."""
    dates = as_dates(dates)
    lookback = dates[0] - pd.Timedelta(days=history_days(model))
    dims = _read_output(engine, apex_dimension_scores, org.id, model.version, lookback.date(), dates[-1].date())
    missing = dates.difference(pd.DatetimeIndex(dims["as_of"].unique()))
    if len(missing):
        raise ValueError(f"organisation {org.id!r}: no dimension scores for {missing[0].date()} "
                         f"({len(missing)} date(s)); materialise the dimension layer for these dates first")
    ctx = _context(engine, org, dates)
    mix = _mix(model, org, ctx)
    health = assess(model, dims, mix, dates, active_partners=ctx.active_partners(),
                    programme_age_days=ctx.programme_age_days(),
                    stage_source="configured" if org.stage_override else "data")
    out = health.assign(org_id=org.id, model_version=model.version, computed_at=_now())
    out["as_of"] = out["as_of"].dt.date
    with engine.begin() as conn:
        replace_partition_rows(conn, apex_ecosystem_health, out, org_id=org.id, dates=list(dates.date),
                               model_version=model.version)
    return health


def stored_dimension_scores(engine: sa.Engine, model: ApexModel, org_id: str, dates) -> pd.DataFrame:
    """The stored dimension rows of an organisation for the given dates (this model version)."""
    dates = as_dates(dates)
    frame = _read_output(engine, apex_dimension_scores, org_id, model.version, dates[0].date(), dates[-1].date())
    return frame[frame["as_of"].isin(dates)]


def snapshot_days(dates) -> pd.DatetimeIndex:
    """The days of a run that get partner-level rows: every month-end in it and its last day."""
    dates = as_dates(dates)
    month_ends = dates[dates.is_month_end]
    return month_ends.union(dates[-1:])


def partner_signal_values(ctx: SignalContext) -> pd.DataFrame:
    """Partner-level rows of every signal that has a breakdown, for the context's dates (Dagster-free)."""
    frames = []
    for card in catalogue().values():
        if card.partner_compute is None:
            continue
        frame = card.partner_compute(ctx)
        frames.append(frame.assign(signal_id=card.id, dimension=card.dimension))
    if not frames:
        return pd.DataFrame(columns=["as_of", "partner_id", "value", "n", "signal_id", "dimension"])
    out = pd.concat(frames, ignore_index=True)
    out["value"] = out["value"].where(np.isfinite(out["value"].to_numpy(float)))
    return out


def compute_partner_layer(engine: sa.Engine, model: ApexModel, org: Organisation, dates) -> pd.DataFrame:
    """Partner-level values on the run's snapshot days; replaces those days' rows in apex_partner_signal_values.

    Older days of this organisation that are neither a month-end nor a later run's last day are pruned, so the
    table holds month-ends plus the newest day: bounded volume, with the newest breakdown always at hand."""
    days = snapshot_days(dates)
    ctx = _context(engine, org, days)
    values = partner_signal_values(ctx)
    out = values.assign(org_id=org.id, model_version=model.version, computed_at=_now())
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    ensure_tables(engine)
    table = apex_partner_signal_values
    with engine.begin() as conn:
        replace_partition_rows(conn, table, out, org_id=org.id, dates=list(days.date), model_version=model.version)
        stored = pd.to_datetime(pd.Series(conn.execute(
            sa.select(table.c.as_of).distinct().where(table.c.org_id == org.id, table.c.model_version == model.version,
                                                      table.c.as_of < days[-1].date())).scalars().all(), dtype=object))
        prune = [d.date() for d in stored if not d.is_month_end and d not in days]
        if prune:
            conn.execute(sa.delete(table).where(table.c.org_id == org.id, table.c.model_version == model.version,
                                                table.c.as_of.in_(prune)))
    return values


def explain_between(engine: sa.Engine, model: ApexModel, org_id: str, pairs) -> pd.DataFrame:
    """Why each dimension moved between each (from_date, to_date) pair, from the stored signal scores."""
    pairs = [(pd.Timestamp(a).normalize(), pd.Timestamp(b).normalize()) for a, b in pairs]
    if not pairs:
        return explain_days(model, pd.DataFrame(columns=["as_of"]), [])
    for first, second in pairs:
        if not first < second:
            raise ValueError(f"organisation {org_id!r}: explain needs --from before --to, got {first.date()} and "
                             f"{second.date()}")
    days = sorted({d for pair in pairs for d in pair})
    query = sa.select(apex_signal_values.c.as_of, apex_signal_values.c.signal_id, apex_signal_values.c.status,
                      apex_signal_values.c.score).where(
        apex_signal_values.c.org_id == org_id, apex_signal_values.c.model_version == model.version,
        apex_signal_values.c.as_of.in_([d.date() for d in days]))
    with engine.connect() as conn:
        signals = pd.read_sql(query, conn)
    signals["as_of"] = pd.to_datetime(signals["as_of"])
    try:
        return explain_days(model, signals, pairs)
    except ValueError as err:
        raise ValueError(f"organisation {org_id!r}: {err}") from None


def store_changes(engine: sa.Engine, model: ApexModel, org_id: str, changes: pd.DataFrame) -> int:
    """Replace the (organisation, day pair, model version) rows of apex_score_changes with `changes`."""
    table = apex_score_changes
    ensure_tables(engine)
    out = changes.assign(org_id=org_id, model_version=model.version, computed_at=_now())
    out["from_date"] = pd.to_datetime(out["from_date"]).dt.date
    out["to_date"] = pd.to_datetime(out["to_date"]).dt.date
    pairs = out[["from_date", "to_date"]].drop_duplicates().itertuples(index=False)
    with engine.begin() as conn:
        for first, second in pairs:
            conn.execute(sa.delete(table).where(table.c.org_id == org_id, table.c.model_version == model.version,
                                                table.c.from_date == first, table.c.to_date == second))
        if out.empty:
            return 0
        records = out.astype(object).where(out.notna(), None).to_dict("records")
        conn.execute(sa.insert(table), records)
    return len(records)


def compute_change_layer(engine: sa.Engine, model: ApexModel, org: Organisation, dates) -> pd.DataFrame:
    """Day-over-day explanation for each day of the run whose previous day has stored signal scores."""
    dates = as_dates(dates)
    previous = dates - pd.Timedelta(days=1)
    with engine.connect() as conn:
        stored = set(pd.to_datetime(pd.Series(conn.execute(
            sa.select(apex_signal_values.c.as_of).distinct().where(
                apex_signal_values.c.org_id == org.id, apex_signal_values.c.model_version == model.version,
                apex_signal_values.c.as_of >= previous[0].date(),
                apex_signal_values.c.as_of <= dates[-1].date())).scalars().all(), dtype=object)))
    pairs = [(p, d) for p, d in zip(previous, dates) if p in stored and d in stored]
    changes = explain_between(engine, model, org.id, pairs)
    store_changes(engine, model, org.id, changes)
    return changes


def stored_changes(engine: sa.Engine, model: ApexModel, org_id: str, dates) -> pd.DataFrame:
    """The stored day-over-day change rows ending on the given dates (this model version)."""
    dates = as_dates(dates)
    table = apex_score_changes
    query = sa.select(table).where(table.c.org_id == org_id, table.c.model_version == model.version,
                                   table.c.to_date >= dates[0].date(), table.c.to_date <= dates[-1].date())
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["to_date"] = pd.to_datetime(frame["to_date"])
    frame["from_date"] = pd.to_datetime(frame["from_date"])
    return frame[(frame["to_date"] - frame["from_date"]) == pd.Timedelta(days=1)]
