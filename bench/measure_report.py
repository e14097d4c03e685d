"""Benchmark: the Measure layer over 180 days and the report, on the demo's warehouse.

Scenario: after `make demo` (two sandbox organisations, 180 days, survey answers, cycles), for each organisation:
the Measure layer over all 180 days (survey signals, gaps, cycle progress with the exact decomposition of every
day's movement, cycle history, benchmark) and over its last day alone, and writing its report (nl and en). Three
repeats each, median of wall and CPU time. Run: `make bench-measure`. Results go to bench/results/measure_report.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from apex_model.model import load_model
from dbt_like_sql.schema import apex_ecosystem_health
from dbt_like_sql.warehouse import make_engine
from pipelines.deployment import load_deployment
from pipelines.measure import compute_measure_layer
from pipelines.report import write_reports

REPEATS = 3
DAYS = 180


def timed(func) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    model = load_model()
    deployment = load_deployment(os.environ["APEX_CONFIG"], model)
    engine = make_engine(os.environ["WAREHOUSE_URL"])
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(apex_ecosystem_health.c.as_of))).scalar()
    if last is None:
        print("no scores in the warehouse: run `make demo` first")
        return 2
    end = pd.Timestamp(last).date()
    dates = pd.date_range(end - timedelta(days=DAYS - 1), end)
    lines = ["# Measure layer and report: benchmark", "",
             f"`make bench-measure` on {date.today()}, {platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}, {os.cpu_count()} cores, SQLite, the demo's warehouse "
             f"({DAYS} days up to {end}); median of {REPEATS} runs (wall / CPU seconds).", "",
             "| organisation | Measure, 180 days | Measure, last day | report (nl + en) |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as out:
        for org in deployment.organisations:
            runs = {"range": [], "day": [], "report": []}
            for _ in range(REPEATS):
                runs["range"].append(timed(lambda: compute_measure_layer(engine, model, deployment, org, dates)))
                runs["day"].append(timed(lambda: compute_measure_layer(engine, model, deployment, org, [end])))
                runs["report"].append(timed(lambda: write_reports(engine, model, deployment, org, end, Path(out))))
            cells = [f"{statistics.median(w for w, _ in r):.2f} / {statistics.median(c for _, c in r):.2f}"
                     for r in runs.values()]
            lines.append(f"| {org.id} | " + " | ".join(cells) + " |")
            print(lines[-1])
    lines += ["", "The machine is shared: wall time includes waiting for the CPU; CPU time is this process's own."]
    Path("bench/results/measure_report.md").write_text("\n".join(lines) + "\n")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
