"""Benchmark: what the data-quality checks cost.

1. The daily run of the mature sandbox organisation (762 partners, ~100k opportunities, ~370k raw versions) through
   the Dagster assets, with and without the asset checks: history landed, canonical tables built and the 90 days
   before scored once; then one run per day for four consecutive days, alternating without / with checks, each in a
   fresh process (so importing Dagster and Great Expectations is counted, as for a run launched by the daemon).
2. The checks' own time on one million rows: the `contracts` suite of the `opportunities` table (its declared rules
   as Great Expectations expectations) on a synthetic organisation with 1,000,000 opportunities, on SQLite and on
   PostgreSQL; and the quarantine judge of that table (orphans, duplicate ids) on the same rows.

Run: `make bench-quality` (or `.venv/bin/python -m bench.data_quality [daily] [big]`; PostgreSQL from TEST_PG_URL,
as for the tests). The measurements go to bench/results/data_quality.json, the table to data_quality.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
import yaml

from bench.score_layers import _machine
from dbt_like_sql.warehouse import make_engine

RESULTS = Path(__file__).parent / "results" / "data_quality.md"
RAW = Path(__file__).parent / "results" / "data_quality.json"   # the measurements behind the table
ORG = "mature-bench"
# The organisation of bench/score_layers.py (two years of history): 762 partners, ~97k opportunities at the end.
PROFILE = {"stage": "mature", "maturity": 3, "seed": 1, "history_start": "2024-01-01"}
FIRST_DAY = date(2026, 1, 2)       # the four measured days: 2 .. 5 January 2026
BIG_ORG = "bench1m"
BIG_ROWS = 1_000_000


def _config(tmp: Path) -> Path:
    path = tmp / "apex.yaml"
    path.write_text(yaml.safe_dump({"organisations": [
        {"id": ORG, "name": "Mature benchmark org", "timezone": "UTC",
         "sources": [{"type": "sandbox", "profile": PROFILE}]}]}))
    return path


def _prepare(url: str, config: Path) -> dict:
    """History up to the day before the first measured day, canonical tables, and 90 days of scores."""
    from apex_model.model import load_model
    from pipelines import layers
    from pipelines.deployment import load_deployment

    model = load_model()
    org = load_deployment(str(config), model).organisation(ORG)
    engine = make_engine(url)
    started = time.perf_counter()
    versions = sum(r.total for r in layers.ingest(engine, org, FIRST_DAY - timedelta(days=1)))
    built = layers.build_canonical(engine, org.id)
    days = pd.date_range(FIRST_DAY - timedelta(days=90), FIRST_DAY - timedelta(days=1))
    layers.compute_signal_layer(engine, model, org, days)
    layers.compute_dimension_layer(engine, model, org, days)
    layers.compute_health_layer(engine, model, org, days)
    engine.dispose()
    return {"versions": versions, "partners": built.rows("partners"), "opportunities": built.rows("opportunities"),
            "seconds": time.perf_counter() - started}


def one_run(url: str, config: str, day: str, with_checks: bool) -> dict:
    """One daily run in this process (called in a fresh subprocess by `main`); prints its timings as JSON."""
    started = time.perf_counter()
    import warnings

    from dagster import BetaWarning, DagsterInstance, PreviewWarning, materialize

    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)
    from pipelines.definitions import defs
    from pipelines.partitions import ORGANISATIONS, partition_key
    from pipelines.resources import ApexConfigResource, WarehouseResource

    imported = time.perf_counter() - started
    resources = {"warehouse": WarehouseResource(url=url), "apex_config": ApexConfigResource(deployment_path=config)}
    selection = [*defs.assets, *(defs.asset_checks if with_checks else [])]
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(ORGANISATIONS.name, [ORG])
        t0 = time.perf_counter()
        result = materialize(selection, instance=instance, resources=resources, partition_key=str(
            partition_key(day, ORG)), raise_on_error=True)
        run_seconds = time.perf_counter() - t0
        steps = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events
                 if e.event_type_value == "STEP_SUCCESS"}
        checks = len(result.get_asset_check_evaluations())
    return {"day": day, "with_checks": with_checks, "imports": imported, "run": run_seconds,
            "process": time.perf_counter() - started, "steps": steps, "evaluations": checks}


def _daily_runs(url: str, config: Path) -> list[dict]:
    runs = []
    for i in range(4):
        day = (FIRST_DAY + timedelta(days=i)).isoformat()
        with_checks = i % 2 == 1
        out = subprocess.run([sys.executable, "-m", "bench.data_quality", "--one-run", url, str(config), day,
                              "with" if with_checks else "without"], capture_output=True, text=True, check=True,
                             env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1", "GX_ANALYTICS_ENABLED": "false"})
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def _big_table(url: str) -> None:
    """1,000,000 valid opportunities (and their 1,000 partners) for one synthetic organisation."""
    from dbt_like_sql.project import default_project
    from dbt_like_sql.runner import prepare
    from dbt_like_sql.schema import ensure_tables

    engine = make_engine(url)
    ensure_tables(engine)
    prepare(engine, default_project())
    rng = np.random.default_rng(7)
    n = BIG_ROWS
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    status = rng.choice(["open", "won", "lost"], n, p=[0.3, 0.4, 0.3])
    closed = np.where(status == "open", pd.NaT, created + pd.to_timedelta(rng.integers(1, 120, n), unit="D"))
    attribution = rng.choice(["sourced", "influenced", "none"], n, p=[0.4, 0.2, 0.4])
    partner = np.where(attribution == "none", None, np.char.add("P", rng.integers(0, 1000, n).astype(str)))
    amount = rng.gamma(2.0, 20_000.0, n).round(2)
    frame = pd.DataFrame({
        "org_id": BIG_ORG, "source": "sandbox", "opportunity_id": [f"OPP-{i:07d}" for i in range(n)],
        "partner_id": partner, "attribution": attribution, "created_on": created.date,
        "closed_on": [None if pd.isna(c) else pd.Timestamp(c).date() for c in closed], "status": status,
        "amount": amount, "currency": "EUR", "segment": rng.choice(["smb", "mid_market", "enterprise"], n),
        "region": rng.choice(["emea", "na", "latam", "apac"], n), "customer_id": None, "is_new_logo": False,
        "campaign_id": None, "registration_id": None, "expected_close_on": None, "amount_eur": amount})
    partners = pd.DataFrame({"org_id": BIG_ORG, "source": "sandbox", "partner_id": [f"P{i}" for i in range(1000)],
                             "name": None, "domain": None, "partner_type": "reseller", "tier": "silver",
                             "region": "emea", "country": "NL", "onboarded_on": date(2023, 1, 1), "churned_on": None,
                             "owner_id": None, "exec_sponsor_id": None})
    meta = sa.MetaData()
    with engine.begin() as conn:
        for name, rows in (("partners", partners), ("opportunities", frame)):
            # Typed inserts through the reflected table: pandas' to_sql binds an all-NULL column as text, which
            # PostgreSQL refuses for a date column.
            table = sa.Table(name, meta, autoload_with=conn)
            conn.execute(sa.delete(table).where(table.c.org_id == BIG_ORG))
            records = rows.astype(object).where(rows.notna(), None).to_dict("records")
            for start in range(0, len(records), 50_000):
                conn.execute(table.insert(), records[start:start + 50_000])
    engine.dispose()


def _checks_on_big_table(url: str) -> dict:
    from data_quality.suites import batch_for, validate
    from dbt_like_sql import quarantine
    from dbt_like_sql.project import default_project

    t0 = time.perf_counter()
    import great_expectations  # noqa: F401  (timed separately: the checks import it once per process)
    gx_import = time.perf_counter() - t0
    model = default_project().by_name["opportunities"]
    suite, judge = [], []
    outcomes = []
    engine = make_engine(url)
    for _ in range(2):
        t0 = time.perf_counter()
        outcomes = validate(url, [batch_for(model, BIG_ORG)])
        suite.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with engine.connect() as conn:
            quarantine.judge(conn, model, BIG_ORG)
        judge.append(time.perf_counter() - t0)
    engine.dispose()
    failed = [o.rule for o in outcomes if not o.passed]
    return {"gx_import": gx_import, "suite": suite, "judge": judge, "expectations": len(outcomes), "failed": failed}


def _pg_url() -> str:
    return os.environ.get("TEST_PG_URL", "postgresql+psycopg://apex_test:apex_test@127.0.0.1:5432/apex_test")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one-run":
        _, _, url, config, day, mode = sys.argv
        print(json.dumps(one_run(url, config, day, mode == "with")))
        return
    parts = set(sys.argv[1:]) or {"daily", "big"}   # `daily` and/or `big`; a part not run keeps its last figures
    raw = json.loads(RAW.read_text()) if RAW.exists() else {}
    raw["date"] = date.today().isoformat()
    if "daily" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            config = _config(tmp)
            url = f"sqlite:///{tmp}/bench.sqlite"
            raw["setup"] = _prepare(url, config)
            raw["runs"] = _daily_runs(url, config)
        _save(raw)
    if "big" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/big.sqlite"
            t0 = time.perf_counter()
            _big_table(url)
            raw["load_sqlite"] = time.perf_counter() - t0
            raw["big_sqlite"] = _checks_on_big_table(url)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(_pg_url())
        with admin.begin() as conn:
            conn.execute(sa.text(f'create schema "{schema}"'))
        try:
            pg = f"{_pg_url()}?options=-csearch_path%3D{schema}"
            t0 = time.perf_counter()
            _big_table(pg)
            raw["load_pg"] = time.perf_counter() - t0
            raw["big_pg"] = _checks_on_big_table(pg)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'drop schema "{schema}" cascade'))
            admin.dispose()
        _save(raw)
    _write(raw["date"], raw["setup"], raw["runs"], raw["big_sqlite"], raw["big_pg"], raw["load_sqlite"],
           raw["load_pg"])
    print(RESULTS.read_text())


def _save(raw: dict) -> None:
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps(raw, indent=1))


def _write(day, setup, runs, big_sqlite, big_pg, load_sqlite, load_pg) -> None:
    without = [r for r in runs if not r["with_checks"]]
    with_ = [r for r in runs if r["with_checks"]]

    def med(rs, key):
        return statistics.median(r[key] for r in rs)

    check_steps = sorted({s for r in with_ for s in r["steps"] if s.endswith("_checks")})
    asset_steps = sorted({s for r in runs for s in r["steps"] if not s.endswith("_checks")})
    lines = [
        "# Data-quality checks: what they cost",
        "",
        f"Command: `make bench-quality` (`.venv/bin/python -m bench.data_quality`), {day}.",
        f"Machine: {_machine()}.",
        "Daily runs: SQLite warehouse, ephemeral Dagster instance, each run in a fresh process.",
        f"Scenario: mature sandbox organisation (seed 1, history from {PROFILE['history_start']}): "
        f"{setup['partners']} partners, {setup['opportunities']} opportunities, {setup['versions']} raw record "
        f"versions landed before the first measured day; setup (landing, canonical build, 90 days scored) took "
        f"{setup['seconds']:.0f} s.",
        "",
        "## Daily run of the mature organisation, with and without the checks",
        "",
        "| run | days | run (s) | process incl. imports (s) | check evaluations (incl. the alert-delivery check) |",
        "|---|---|---|---|---|",
    ]
    for label, rs in (("without checks", without), ("with checks", with_)):
        days = ", ".join(r["day"] for r in rs)
        run = " / ".join(f"{r['run']:.1f}" for r in rs)
        process = " / ".join(f"{r['process']:.1f}" for r in rs)
        lines.append(f"| {label} | {days} | {run} (median {med(rs, 'run'):.1f}) | "
                     f"{process} (median {med(rs, 'process'):.1f}) | {rs[0]['evaluations']} |")
    lines += ["", f"Checks add {med(with_, 'run') - med(without, 'run'):.1f} s to the run "
              f"({(med(with_, 'run') / med(without, 'run') - 1):.0%}).", "",
              "Step times (s, median of the runs that have the step):", "",
              "| step | without checks | with checks |", "|---|---|---|"]
    for step in asset_steps + check_steps:
        a = [r["steps"][step] for r in without if step in r["steps"]]
        b = [r["steps"][step] for r in with_ if step in r["steps"]]
        lines.append(f"| {step} | {statistics.median(a):.2f} | " if a else f"| {step} | – | ")
        lines[-1] += f"{statistics.median(b):.2f} |" if b else "– |"
    lines += ["", "## The checks on one million rows", "",
              f"`opportunities` of a synthetic organisation with {BIG_ROWS:,} rows (and 1,000 partners); its "
              f"`contracts` suite has {big_sqlite['expectations']} expectations (declared rules, columns, and on "
              f"SQLite the declared types). Two runs each.",
              "", "| warehouse | load (s) | GX suite (s) | quarantine judge (s) |", "|---|---|---|---|"]
    for label, big, load in (("SQLite", big_sqlite, load_sqlite), ("PostgreSQL", big_pg, load_pg)):
        suite = " / ".join(f"{s:.1f}" for s in big["suite"])
        judge = " / ".join(f"{s:.1f}" for s in big["judge"])
        lines.append(f"| {label} | {load:.0f} | {suite} | {judge} |")
    failed = sorted(set(big_sqlite["failed"]) | set(big_pg["failed"]))
    lines += ["", f"Importing great_expectations, once per process before the first check: {big_sqlite['gx_import']:.1f} s.",
              f"Failed expectations on the synthetic rows (expected none): {', '.join(failed) or 'none'}.", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
