"""`apex quarantine ...`: list the rows held back by quarantine rules, and replay an organisation after a fix.

Registered on the `apex` parser by `pipelines/cli.py`. Listing reads the warehouse only; replay runs the daily job for
the organisation (so the rebuild, its checks and the rescored days show up in the Dagster UI like any run).
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import pandas as pd


def _engine():
    from dbt_like_sql.schema import ensure_tables
    from dbt_like_sql.warehouse import make_engine
    from pipelines.cli import _env

    engine = make_engine(_env("WAREHOUSE_URL"))
    ensure_tables(engine)
    return engine


def format_summary(frame) -> str:
    """Held rows by organisation, model and rule: count, first detection and the rule's reason."""
    if frame.empty:
        return "no rows in quarantine"
    lines = [f"{'org':12} {'source':10} {'model':34} {'rule':30} {'rows':>6}  first detected       reason"]
    for row in frame.itertuples(index=False):
        first = str(row.first_detected_at)[:19]
        lines.append(f"{row.org_id:12} {row.source:10} {row.model:34} {row.rule:30} {row.rows:6d}  {first:19}  "
                     f"{row.reason}")
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    from dbt_like_sql import quarantine

    engine = _engine()
    if args.rule or args.records:
        held = quarantine.held(engine, args.org, include_released=args.all)
        if args.rule:
            held = held[held["rule"] == args.rule]
        columns = ["org_id", "model", "rule", "source", "stream", "source_id", "source_updated_at", "reason",
                   "first_detected_at", "last_detected_at", "released_at"]
        print("no rows" if held.empty else held[columns].to_string(index=False))
    else:
        print(format_summary(quarantine.summary(engine, args.org)))
    engine.dispose()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    from dbt_like_sql import quarantine
    from pipelines.cli import _instance, _load, run_range, sync_organisations

    _model, deployment = _load()
    org = deployment.organisation(args.org)
    end = date.fromisoformat(args.end) if args.end else date.today() - timedelta(days=1)
    start = date.fromisoformat(args.start) if args.start else end
    engine = _engine()
    before = len(quarantine.held(engine, org.id))
    instance = _instance()
    sync_organisations(instance, deployment)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    result = run_range(instance, org.id, start, end)
    still = len(quarantine.held(engine, org.id))
    history = quarantine.held(engine, org.id, include_released=True)
    released = int((history["released_at"].notna() & (pd.to_datetime(history["released_at"]) >= started)).sum())
    print(f"{org.id}: rebuilt and rescored {start} .. {end} in one run ({result.run_id})")
    print(f"  held before: {before}  released now: {released}  still held: {still}")
    if still:
        print(format_summary(quarantine.summary(engine, org.id)))
    engine.dispose()
    return 0


def register(sub) -> None:
    """Add `quarantine list` and `quarantine replay` to the `apex` sub-command parser."""
    quarantine = sub.add_parser("quarantine", help="rows held back by data-quality rules: list them, or replay an "
                                                   "organisation after a fix")
    commands = quarantine.add_subparsers(dest="quarantine_command", required=True)
    listing = commands.add_parser("list", help="held rows counted by rule (or one line per row with --records)")
    listing.add_argument("--org")
    listing.add_argument("--rule", help="only this rule (implies --records)")
    listing.add_argument("--records", action="store_true", help="one line per held row, ids and reasons only")
    listing.add_argument("--all", action="store_true", help="with --records: include released rows")
    listing.set_defaults(func=cmd_list)
    replay = commands.add_parser("replay", help="rebuild an organisation after a fix at the source or in a rule; "
                                                "fixed rows are released and flow on, the days are rescored")
    replay.add_argument("--org", required=True)
    replay.add_argument("--start", help="first day to rescore (default: --end)")
    replay.add_argument("--end", help="last day to rescore (default: yesterday)")
    replay.set_defaults(func=cmd_replay)


def demo_section(engine, model, deployment, day: date) -> str:
    """The demo's short data-quality section: per organisation its sources, rows, rows held back by rule, and the
    status of the last day."""
    import sqlalchemy as sa

    from data_quality import status as dq_status
    from dbt_like_sql import quarantine
    from dbt_like_sql.project import default_project
    from dbt_like_sql.schema import raw_table

    project = default_project()
    lines = ["Data quality (README, 'Data quality'): sources, rows, rows held back in quarantine by rule"]
    held = quarantine.summary(engine)
    for org in deployment.organisations:
        with engine.connect() as conn:
            for source in sorted({s.type for s in org.sources}):
                raw = raw_table(source)
                streams, versions = conn.execute(
                    sa.select(sa.func.count(sa.distinct(raw.c.stream)), sa.func.count())
                    .where(raw.c.org_id == org.id)).one()
                lines.append(f"  {org.id}: {source}, {streams} streams, {versions:,} raw record versions")
            canonical = sum(conn.execute(sa.text(f'select count(*) from "{m.name}" where org_id = :org'),
                                         {"org": org.id}).scalar_one() for m in project.marts)
        mine = held[held["org_id"] == org.id]
        lines.append(f"    canonical rows: {canonical:,}; held back in quarantine: {int(mine['rows'].sum()):,}")
        for row in mine.itertuples(index=False):
            lines.append(f"      {row.model} · {row.rule}: {row.rows} ({row.reason})")
        status = dq_status.read(engine, org.id, [day], model.version)
        if status.empty:
            lines.append(f"    {day}: no data-quality status (the checks did not run)")
            continue
        counts = status["status"].value_counts()
        summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "degraded", "failed"))
        stale = sorted({src["stream"] for srcs in status["sources"] for src in srcs if not src["fresh"]})
        lines.append(f"    {day}: dimensions {summary}; all inputs fresh" if not stale else
                     f"    {day}: dimensions {summary}; not fresh: {', '.join(stale)}")
        for row in status[status["status"] != "ok"].itertuples(index=False):
            lines.append(f"      {row.dimension} {row.status}: {row.reason[:160]}")
    return "\n".join(lines)
