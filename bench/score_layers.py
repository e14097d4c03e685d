"""Benchmark: the score layers (signals -> dimension scores -> health) for one day and for a 365-day backfill.

Scenario: the mature sandbox organisation (about 500 partners and 100k opportunities over two years), landed and
built into canonical tables once on a SQLite warehouse; then, three times each, a 365-day backfill of the score
layers and a one-day run of its last day (with the backfill's days stored, as in daily operation). Reports the
median of each and the ratio; the goal is a ratio of at most 5, because all dates are computed in one vectorised
pass. Run: `make bench` (or `.venv/bin/python -m bench.score_layers`). Results go to bench/results/score_layers.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from apex_model.model import load_model
from dbt_like_sql.warehouse import make_engine
from pipelines import layers
from pipelines.deployment import parse_deployment

END = date(2025, 12, 31)
HISTORY_START = date(2024, 1, 1)
REPEATS = 3
RESULTS = Path(__file__).parent / "results" / "score_layers.md"


def _organisation():
    data = {"organisations": [{"id": "mature-bench", "name": "Mature benchmark org", "sources": [
        {"type": "sandbox", "profile": {"stage": "mature", "maturity": 3, "seed": 1,
                                        "history_start": HISTORY_START.isoformat()}}]}]}
    return parse_deployment(data, "<benchmark>").organisation("mature-bench")


def _score_layers(engine, model, org, dates) -> float:
    started = time.perf_counter()
    layers.compute_signal_layer(engine, model, org, dates)
    layers.compute_dimension_layer(engine, model, org, dates)
    layers.compute_health_layer(engine, model, org, dates)
    return time.perf_counter() - started


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def main() -> None:
    model = load_model()
    org = _organisation()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite")
        t0 = time.perf_counter()
        landed = sum(r.total for r in layers.ingest(engine, org, END))
        t_ingest = time.perf_counter() - t0
        t0 = time.perf_counter()
        build = layers.build_canonical(engine, org.id)
        t_canonical = time.perf_counter() - t0
        partners, opportunities = build.rows("partners"), build.rows("opportunities")

        year = pd.date_range(END - timedelta(days=364), END)
        backfill, one_day = [], []
        for _ in range(REPEATS):
            backfill.append(_score_layers(engine, model, org, year))
            one_day.append(_score_layers(engine, model, org, year[-1:]))
        engine.dispose()

    t_year, t_day = statistics.median(backfill), statistics.median(one_day)
    lines = [
        "# Score layers: one day against a 365-day backfill",
        "",
        f"Command: `make bench` (`.venv/bin/python -m bench.score_layers`), {time.strftime('%Y-%m-%d')}.",
        f"Machine: {_machine()}. Warehouse: SQLite file.",
        f"Scenario: mature sandbox organisation, seed 1, history {HISTORY_START} .. {END}: {partners} partners, "
        f"{opportunities} opportunities, {landed} raw record versions; {len(model.signals)} signals.",
        "",
        "| step | median of 3 | runs (s) |",
        "|---|---|---|",
        f"| score layers, 365-day backfill ({year[0].date()} .. {year[-1].date()}) | {t_year:.2f} s | "
        f"{', '.join(f'{x:.2f}' for x in backfill)} |",
        f"| score layers, one day ({year[-1].date()}) | {t_day:.2f} s | {', '.join(f'{x:.2f}' for x in one_day)} |",
        f"| **ratio 365 days / 1 day** | **{t_year / t_day:.2f}** (goal <= 5) | |",
        "",
        f"For context, once: landing the raw versions took {t_ingest:.1f} s (generation included) and building the "
        f"canonical tables {t_canonical:.1f} s.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
