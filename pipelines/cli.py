"""`apex` command line: the demo, registering organisations, backfills, and reading the latest scores.

Runs go through the Dagster job on the instance in `DAGSTER_HOME`, so everything the CLI computes shows up in the
Dagster UI with its run, partitions and metadata. Every error is one line naming what is wrong and where.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from apex_model.errors import ApexConfigError

DEFAULT_DEMO_DAYS = 300


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ApexConfigError(name, "", f"environment variable {name} is not set (the Makefile sets it for the demo)")
    return value


def _load():
    from apex_model.model import load_model
    from pipelines.deployment import load_deployment

    model = load_model(os.environ.get("APEX_MODEL") or None)
    return model, load_deployment(_env("APEX_CONFIG"), model)


def _instance():
    from dagster import DagsterInstance

    home = _env("DAGSTER_HOME")
    Path(home).mkdir(parents=True, exist_ok=True)
    return DagsterInstance.get()


def sync_organisations(instance, deployment) -> list[str]:
    """Register the configuration's organisations as partitions; returns the newly added ids."""
    from pipelines.partitions import ORGANISATIONS

    registered = set(instance.get_dynamic_partitions(ORGANISATIONS.name))
    new = [org for org in deployment.org_ids if org not in registered]
    if new:
        instance.add_dynamic_partitions(ORGANISATIONS.name, new)
    return new


def run_range(instance, org_id: str, start: date, end: date):
    """One run of the daily job over [start, end] for one organisation (a single-run backfill)."""
    from pipelines.definitions import defs
    from pipelines.partitions import partition_key

    job = defs.resolve_job_def("apex_daily_job")
    tags = {
        "dagster/asset_partition_range_start": str(partition_key(start.isoformat(), org_id)),
        "dagster/asset_partition_range_end": str(partition_key(end.isoformat(), org_id)),
        "apex/org": org_id,
        "apex/trigger": "cli",
    }
    # Step-level lines would bury the summary; a failure is printed as one line by main() and its full
    # log stays with the run in the Dagster instance.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    return job.execute_in_process(instance=instance, tags=tags, run_config=quiet, raise_on_error=True)


def _backfill_one(org_id: str, start: date, end: date) -> tuple[str, float, str | None]:
    """One organisation's run in a worker process: (org, seconds, error message or None)."""
    t0 = time.perf_counter()
    logging.getLogger("great_expectations").setLevel(logging.WARNING)   # a spawned worker did not run main()
    _quiet_dagster_warnings()
    try:
        run_range(_instance(), org_id, start, end)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line; the run log keeps the detail
        return org_id, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    return org_id, time.perf_counter() - t0, None


def backfill_in_parallel(org_ids: list[str], start: date, end: date) -> list[tuple[str, float]]:
    """One run per organisation, as many at a time as the machine has cores (as a UI backfill launches them).

    Each run is its own process (a run is one CPU-bound Python process; threads would share one core). The warehouse
    takes concurrent writers: PostgreSQL natively, SQLite through WAL and a busy timeout (`dbt_like_sql.warehouse`).
    The first failure is raised after every run has ended, naming the organisation.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = max(1, min(len(org_ids), os.cpu_count() or 1))
    if workers == 1:
        results = [_backfill_one(org_id, start, end) for org_id in org_ids]
    else:
        # spawn, not fork: the parent runs the simulator and the webhook receiver in threads.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_backfill_one, org_ids, [start] * len(org_ids), [end] * len(org_ids)))
    for org_id, _seconds, error in results:
        if error is not None:
            raise RuntimeError(f"the demo run of organisation {org_id} failed: {error}")
    return [(org_id, seconds) for org_id, seconds, _ in results]


def _fmt(value, digits: int = 1) -> str:
    return "  –  " if value is None or pd.isna(value) else f"{value:5.{digits}f}"


def summary(engine, model, org, as_of: date) -> str:
    """The plain-text picture of one organisation on one day, in both languages."""
    import sqlalchemy as sa

    from dbt_like_sql.schema import apex_dimension_scores, apex_ecosystem_health

    with engine.connect() as conn:
        health = conn.execute(sa.select(apex_ecosystem_health).where(
            apex_ecosystem_health.c.org_id == org.id, apex_ecosystem_health.c.as_of == as_of,
            apex_ecosystem_health.c.model_version == model.version)).mappings().first()
        dims = conn.execute(sa.select(apex_dimension_scores).where(
            apex_dimension_scores.c.org_id == org.id, apex_dimension_scores.c.as_of == as_of,
            apex_dimension_scores.c.model_version == model.version)
            .order_by(apex_dimension_scores.c.dimension)).mappings().all()
    if health is None:
        return f"{org.name} ({org.id}): no scores stored for {as_of}"
    stage = model.stage(health["stage"]).name
    shares = ", ".join(f"{k} {v:.0%}" for k, v in health["stage_shares"].items() if v > 0)
    lines = [
        f"{org.name} ({org.id}) · as of {as_of}",
        f"  Stage: {stage.en} / {stage.nl} ({health['stage_source']}: {health['active_partners']} active partners, "
        f"programme {health['programme_age_days']} days; weights {shares})",
        f"  {'':3} {'Dimension':26} {'Dimensie':26} {'score':>5}  {'coverage':>8}  {'range':>11}  level",
    ]
    for row in dims:
        dim = model.dimension(row["dimension"])
        score = _fmt(row["score"]) if row["status"] == "ok" else "insufficient data"
        level = "" if row["capability_level"] is None else f"CL{row['capability_level']}"
        lines.append(f"  {row['dimension']:3} {dim.name.en:26} {dim.name.nl:26} {score:>5}  {row['coverage']:8.0%}  "
                     f"{row['score_low']:5.1f}–{row['score_high']:<5.1f}  {level}")
    weakest = health["weakest_dimension"]
    weakest_name = model.dimension(weakest).name.en if weakest else "–"
    overall = _fmt(health["overall_score"]) if health["status"] == "ok" else "insufficient data"
    lines.append(f"  Overall health {overall.strip()} (range {health['overall_low']:.1f}–{health['overall_high']:.1f}, "
                 f"coverage {health['coverage']:.0%}) · arithmetic mean {_fmt(health['arithmetic_mean']).strip()} · "
                 f"weakest {weakest} {weakest_name} {_fmt(health['weakest_score']).strip()}")
    level = model.level(health["maturity_level"])
    provisional = " (provisional: a gating dimension lacks data)" if health["maturity_provisional"] else ""
    lines.append(f"  Maturity: level {health['maturity_level']} {level.name.en} / {level.name.nl}{provisional}")
    lines.append(f"    next: {health['next_level_en']}")
    lines.append(f"    volgende: {health['next_level_nl']}")
    return "\n".join(lines)


def _start_demo_receiver():
    """A loopback webhook receiver for the demo's `demo-webhook` channel: verifies each HMAC signature and keeps the
    payloads. Its URL and a fresh signing secret go into the environment variables the channel names."""
    import json
    import secrets
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from connectors.notify import verify_signature
    from connectors.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER

    secret = secrets.token_hex(16)
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verify_signature(secret, self.headers.get(TIMESTAMP_HEADER, ""), body,
                                  self.headers.get(SIGNATURE_HEADER, ""))
            if ok:
                received.append(json.loads(body))
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["APEX_DEMO_WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_address[1]}/apex"
    os.environ["APEX_DEMO_WEBHOOK_SECRET"] = secret
    return server, received


def alerts_summary(engine, model, deployment) -> str:
    """Open alerts per organisation with their explanation, and what the outbox delivered where."""
    import sqlalchemy as sa

    from dbt_like_sql.drift_schema import apex_alert_notifications, apex_alerts

    lines = ["Drift alerts (apex_alerts) and deliveries (apex_alert_notifications):"]
    with engine.connect() as conn:
        alerts = conn.execute(sa.select(apex_alerts).where(apex_alerts.c.model_version == model.version,
                                                           apex_alerts.c.severity == "alert")
                              .order_by(apex_alerts.c.org_id, apex_alerts.c.opened_on)).mappings().all()
        sent = conn.execute(sa.select(apex_alert_notifications).where(
            apex_alert_notifications.c.status != "suppressed").order_by(
            apex_alert_notifications.c.org_id, apex_alert_notifications.c.as_of)).mappings().all()
        suppressed = conn.execute(sa.select(sa.func.count()).select_from(apex_alert_notifications).where(
            apex_alert_notifications.c.status == "suppressed")).scalar_one()
    for org in deployment.organisations:
        mine = [a for a in alerts if a["org_id"] == org.id]
        lines.append(f"  {org.id}: {sum(a['status'] == 'open' for a in mine)} open, "
                     f"{sum(a['status'] != 'open' for a in mine)} resolved alert(s) in the computed days")
        for a in mine:
            state = "open" if a["status"] == "open" else f"resolved {a['resolved_on']} ({a['resolution']})"
            text = a["explanation_nl"] if org.language == "nl" else a["explanation_en"]
            lines.append(f"    {a['series']} {a['direction']} since {a['opened_on']}, {state}: {text}")
    lines.append(f"  Digests of older days recorded but not sent (a backfill): {suppressed}")
    for row in sent:
        lines.append(f"  {row['as_of']} {row['org_id']} -> {row['channel']} ({row['language']}): {row['status']}, "
                     f"{row['detail']}")
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine, redact_url

    started = time.perf_counter()
    model, deployment = _load()
    instance = _instance()
    sync_organisations(instance, deployment)
    receiver, received = _start_demo_receiver()
    url = _env("WAREHOUSE_URL")
    engine = make_engine(url)
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    print(f"apex-monitor demo · model {model.version} · {len(deployment.organisations)} organisations · "
          f"{args.days} days ({start} .. {end}), one run per organisation, in parallel\n")
    from connectors.simulator.demo import start_for

    simulator = start_for(deployment, end + timedelta(days=1))
    if simulator is not None:
        print(f"  PRM/CRM simulator on {simulator.base_url}: the connectors sync over HTTP from it "
              f"({', '.join(sorted(simulator.tenants))})")
    for line in demo_surveys(engine, deployment, end):
        print(line)
    print()
    for org_id, seconds in backfill_in_parallel([org.id for org in deployment.organisations], start, end):
        print(f"  {org_id}: backfilled in {seconds:.1f} s")
    if simulator is not None:
        print(f"  simulator answered {len(simulator.log)} HTTP requests")
        simulator.stop()
    print()
    for org in deployment.organisations:
        print(summary(engine, model, org, end))
        print()
    from pipelines.quality_cli import demo_section

    print(demo_section(engine, model, deployment, end))
    print()
    print(alerts_summary(engine, model, deployment))
    print(f"  The demo's loopback webhook receiver verified and received {len(received)} signed digest(s).")
    receiver.shutdown()
    print()
    print(measure_summary(engine, model, deployment, end))
    print()
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else redact_url(url)
    print(f"Warehouse: {path}")
    print("  tables: apex_signal_values, apex_partner_signal_values, apex_dimension_scores, apex_score_changes, "
          "apex_ecosystem_health, apex_data_quality_status, quarantined_records, apex_drift_events, apex_alerts, "
          "apex_alert_notifications, apex_measure, apex_cycles, apex_survey_signals, apex_perception_gaps, "
          "apex_peer_benchmark, apex_reports (see README, 'Output tables', 'Data quality' and 'Measure')")
    print(f"Dagster UI on the same assets and runs: make ui   (then open http://127.0.0.1:3000)")
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    engine.dispose()
    return 0


def demo_surveys(engine, deployment, end: date) -> list[str]:
    """Generate and import quick-scan answers for the sandbox organisations (a fresh one 30 days before the end, an
    older one 150 days before it, alternating CSV and form JSON), so the demo shows perception gaps and ageing."""
    from connectors.sandbox.surveys import survey_answers, write_csv, write_form_json
    from pipelines.deployment import SandboxSource
    from pipelines.measure import import_survey

    folder = Path(os.environ.get("APEX_STATE_DIR", ".state")) / "surveys"
    lines = ["Quick-scan survey answers (generated for the sandbox organisations, imported into survey_answers):"]
    for i, org in enumerate(deployment.organisations):
        sandbox = [s for s in org.sources if isinstance(s, SandboxSource)]
        if not sandbox:
            continue
        for k, days_before in enumerate((150, 30)):
            day = end - timedelta(days=days_before)
            rows = survey_answers(org.id, sandbox[0].profile, day, seed_offset=k)
            as_json = (i + k) % 2 == 1
            name = f"{org.id}-quickscan-{day.isoformat()}.{'json' if as_json else 'csv'}"
            path = (write_form_json if as_json else write_csv)(folder / name, rows)
            outcome = import_survey(engine, org.id, path)
            lines.append(f"  {org.id}: {path.name}: {outcome.status}, {outcome.answers} answers"
                         + (f", {outcome.held_back} held back" if outcome.held_back else ""))
    return lines


def measure_summary(engine, model, deployment, end: date) -> str:
    """Per organisation: the cycle's focus progress, surprises, notable perception gaps, and the report files.

    The reports are rewritten here for the last day, after every organisation ran, so the peer benchmark sees the
    whole deployment (in the runs each organisation only saw those computed before it)."""
    import sqlalchemy as sa

    from dbt_like_sql.measure_schema import apex_measure, apex_perception_gaps
    from pipelines.measure import compute_measure_layer
    from pipelines.report import write_reports

    lines = ["Measure (apex_measure, apex_perception_gaps) and the reports (apex_reports):"]
    paths = []
    for org in deployment.organisations:
        compute_measure_layer(engine, model, deployment, org, [end])
        with engine.connect() as conn:
            rows = conn.execute(sa.select(apex_measure).where(
                apex_measure.c.org_id == org.id, apex_measure.c.as_of == end,
                apex_measure.c.model_version == model.version).order_by(apex_measure.c.dimension)).mappings().all()
            gaps = conn.execute(sa.select(apex_perception_gaps).where(
                apex_perception_gaps.c.org_id == org.id, apex_perception_gaps.c.as_of == end,
                apex_perception_gaps.c.model_version == model.version,
                apex_perception_gaps.c.notable.is_(True))).mappings().all()
        cycle = org.cycle_on(end)
        lines.append(f"  {org.id}: " + (f"cycle {cycle.id} ({cycle.start} .. {cycle.end})" if cycle else
                                          "no cycle configured for this day"))
        for r in rows:
            if r["is_focus"]:
                track = {None: "not yet known", True: "on track", False: "off track"}[r["on_track"]]
                lines.append(f"    focus {r['dimension']}: {_fmt(r['baseline']).strip()} -> {_fmt(r['score']).strip()}"
                             f" (target {r['target']:.0f}, {_share(r['share_to_target'])} of the way), {track}")
            elif r["is_surprise"]:
                lines.append(f"    surprise {r['dimension']}: {r['movement']:+.1f} since the baseline")
        for g in gaps:
            lines.append(f"    gap {g['dimension']} {g['kind']}: {g['gap']:+.1f} ({g['left_score']:.1f} vs "
                         f"{g['right_score']:.1f})")
        for w in write_reports(engine, model, deployment, org, end):
            paths.append(f"  {org.id} ({w['language']}): {w['path']}")
    lines.append("Reports (open in a browser; self-contained, no network):")
    lines.extend(paths)
    return "\n".join(lines)


def _share(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def cmd_surveys_import(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine
    from pipelines.measure import import_survey

    _model, deployment = _load()
    org = deployment.organisation(args.org)
    engine = make_engine(_env("WAREHOUSE_URL"))
    failed = 0
    for name in args.files:
        outcome = import_survey(engine, org.id, name)
        failed += outcome.status == "failed"
        detail = f": {outcome.reason}" if outcome.reason else ""
        print(f"{org.id} {outcome.file_name}: {outcome.status}, {outcome.answers} answers, "
              f"{outcome.held_back} held back{detail}")
    engine.dispose()
    return 2 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine
    from pipelines.measure import compute_measure_layer
    from pipelines.report import write_reports

    model, deployment = _load()
    org = deployment.organisation(args.org)
    engine = make_engine(_env("WAREHOUSE_URL"))
    day = date.fromisoformat(args.date) if args.date else date.today() - timedelta(days=1)
    compute_measure_layer(engine, model, deployment, org, [day])
    for w in write_reports(engine, model, deployment, org, day, Path(args.dir) if args.dir else None):
        print(w["path"] + (f"\n{w['pdf_path']}" if w["pdf_path"] else ""))
    engine.dispose()
    return 0


def cmd_sync(_args: argparse.Namespace) -> int:
    _model, deployment = _load()
    new = sync_organisations(_instance(), deployment)
    print(f"registered {len(new)} new organisation(s): {', '.join(new) or 'none'}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    _model, deployment = _load()
    org = deployment.organisation(args.org)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if end < start:
        raise ApexConfigError("--end", "", f"{end} is before --start {start}")
    instance = _instance()
    sync_organisations(instance, deployment)
    result = run_range(instance, org.id, start, end)
    print(f"{org.id}: {start} .. {end} in one run ({result.run_id})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine

    model, deployment = _load()
    org = deployment.organisation(args.org)
    engine = make_engine(_env("WAREHOUSE_URL"))
    day = date.fromisoformat(args.date) if args.date else date.today() - timedelta(days=1)
    print(summary(engine, model, org, day))
    engine.dispose()
    return 0


def explanation_text(model, org, changes: pd.DataFrame, first: date, second: date) -> str:
    """Per dimension: the change from `first` to `second` and each signal's contribution, largest first."""
    lines = [f"{org.name} ({org.id}) · why the dimension scores moved from {first} to {second}"]
    for dim, rows in changes.groupby("dimension", sort=True):
        total = rows[rows["effect"] == "total"].iloc[0]
        name = model.dimension(dim).name.en
        if pd.isna(total["contribution"]):
            lines.append(f"  {dim} {name}: no present signal on one of the days, the change is undefined")
            continue
        lines.append(f"  {dim} {name}: {_fmt(total['score_from']).strip()} -> {_fmt(total['score_to']).strip()} "
                     f"({total['contribution']:+.1f} points)")
        parts = rows[rows["effect"] != "total"].copy()
        parts = parts.reindex(parts["contribution"].abs().sort_values(ascending=False).index)
        for r in parts.itertuples():
            how = {"value": f"{_fmt(r.score_from).strip()} -> {_fmt(r.score_to).strip()}",
                   "appeared": f"appeared ({r.status_from} -> present, scores {_fmt(r.score_to).strip()})",
                   "dropped": f"dropped out (present -> {r.status_to}, scored {_fmt(r.score_from).strip()})"}[r.effect]
            lines.append(f"      {r.contribution:+6.2f}  {r.signal_id}: {how}")
    return "\n".join(lines)


def cmd_explain(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine
    from pipelines import layers

    model, deployment = _load()
    org = deployment.organisation(args.org)
    first, second = date.fromisoformat(args.from_date), date.fromisoformat(args.to_date)
    engine = make_engine(_env("WAREHOUSE_URL"))
    try:
        changes = layers.explain_between(engine, model, org.id, [(first, second)])
        layers.store_changes(engine, model, org.id, changes)
    finally:
        engine.dispose()
    print(explanation_text(model, org, changes, first, second))
    return 0


def cmd_alerts_list(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine
    from pipelines import drift

    model, deployment = _load()
    if args.org:
        deployment.organisation(args.org)
    engine = make_engine(_env("WAREHOUSE_URL"))
    frame = drift.open_alerts(engine, model, args.org)
    if frame.empty:
        print("no open alerts")
    for row in frame.itertuples():
        print(f"{row.org_id} {row.series} {row.direction} {row.severity} since {row.opened_on}: {row.explanation_en}")
    engine.dispose()
    return 0


def cmd_alerts_ack(args: argparse.Namespace) -> int:
    from dbt_like_sql.warehouse import make_engine
    from pipelines import drift

    _model, deployment = _load()
    org = deployment.organisation(args.org)
    day = date.fromisoformat(args.date) if args.date else date.today() - timedelta(days=1)
    engine = make_engine(_env("WAREHOUSE_URL"))
    drift.acknowledge(engine, org.id, args.series, day, args.note)
    engine.dispose()
    print(f"{org.id} {args.series}: the level of {day} is the new normal; the next drift run re-bases its baseline "
          f"and resolves the open alert (rerun a day with `apex backfill` to apply it now)")
    return 0


def _quiet_dagster_warnings() -> None:
    """Dagster flags single-run backfill policies as beta on every import; say it once in the docs, not per run."""
    import warnings

    from dagster import BetaWarning, PreviewWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="apex", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="backfill the configured organisations and print what was computed")
    demo.add_argument("--days", type=int, default=DEFAULT_DEMO_DAYS)
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("orgs-sync", help="register the configuration's organisations as partitions").set_defaults(
        func=cmd_sync)
    backfill = sub.add_parser("backfill", help="compute a range of days for one organisation in one run")
    backfill.add_argument("--org", required=True)
    backfill.add_argument("--start", required=True)
    backfill.add_argument("--end", required=True)
    backfill.set_defaults(func=cmd_backfill)
    show = sub.add_parser("show", help="print one organisation's scores for a day (default yesterday)")
    show.add_argument("--org", required=True)
    show.add_argument("--date")
    show.set_defaults(func=cmd_show)
    explain = sub.add_parser("explain", help="why each dimension score moved between two days, signal by signal "
                                             "(stored in apex_score_changes)")
    explain.add_argument("--org", required=True)
    explain.add_argument("--from", dest="from_date", required=True)
    explain.add_argument("--to", dest="to_date", required=True)
    explain.set_defaults(func=cmd_explain)
    alerts = sub.add_parser("alerts", help="open drift alerts, and accepting a level as the new normal")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True)
    listing = alerts_sub.add_parser("list", help="print the open alerts")
    listing.add_argument("--org")
    listing.set_defaults(func=cmd_alerts_list)
    ack = alerts_sub.add_parser("ack", help="acknowledge: the series' level from --date on is the new normal")
    ack.add_argument("--org", required=True)
    ack.add_argument("--series", required=True, help="D1..D8 or overall")
    ack.add_argument("--date", help="effective day (default yesterday)")
    ack.add_argument("--note")
    ack.set_defaults(func=cmd_alerts_ack)
    surveys = sub.add_parser("surveys", help="quick-scan survey answers")
    surveys_sub = surveys.add_subparsers(dest="surveys_command", required=True)
    imp = surveys_sub.add_parser("import", help="import CSV or form-tool JSON files for one organisation")
    imp.add_argument("--org", required=True)
    imp.add_argument("files", nargs="+")
    imp.set_defaults(func=cmd_surveys_import)
    rep = sub.add_parser("report", help="write the HTML report of one organisation for a day (default yesterday)")
    rep.add_argument("--org", required=True)
    rep.add_argument("--date")
    rep.add_argument("--dir", help="folder for the files (default: the configuration's measure.reports.dir)")
    rep.set_defaults(func=cmd_report)
    from pipelines import quality_cli

    quality_cli.register(sub)
    args = parser.parse_args(argv)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    _quiet_dagster_warnings()
    try:
        return args.func(args)
    except (ApexConfigError, KeyError, ValueError, RuntimeError) as err:
        print(f"apex: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
