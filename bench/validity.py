"""Validity study: does the diagnosed maturity level match the level the sandbox generator was given?

25 sandbox organisations, five per maturity level 1..5, spread over the three stages with different seeds. Each is
landed, built and scored on SQLite (the real layers: signals -> dimension scores -> health with hysteresis) over the
last 45 days up to END, and the maturity level reported on END is compared with the profile's level. Also reported:
the overall score, coverage, and for a miss the dimension whose capability level decided it.

Run: `make bench-validity` (or `.venv/bin/python -m bench.validity`); a few minutes on two cores. Results go to
bench/results/validity.md and the table is copied into docs/validity.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from apex_model.model import DIMENSION_IDS, load_model
from bench.score_layers import _machine
from bench.signal_calibration import organisation
from dbt_like_sql.warehouse import make_engine
from pipelines import layers

END = date(2025, 12, 31)
SCORED_DAYS = 45
RESULTS = Path(__file__).parent / "results" / "validity.md"
DOCS = Path(__file__).parent.parent / "docs" / "validity.md"
STAGES = ("early_stage", "growth", "mature", "growth", "early_stage")
HISTORY = {"early_stage": date(2024, 7, 1), "growth": date(2024, 1, 1), "mature": date(2024, 1, 1)}


def cases() -> list[tuple[int, str, int]]:
    """(level, stage, seed): five per level, the stages rotating so every level meets every stage."""
    out = []
    for level in range(1, 6):
        for i in range(5):
            stage = STAGES[(i + level) % len(STAGES)]
            out.append((level, stage, 100 + 10 * level + i))
    return out


def diagnose(engine, model, level: int, stage: str, seed: int) -> dict:
    org = organisation(f"v{level}-{seed}", stage, level, seed, history_start=HISTORY[stage])
    dates = pd.date_range(END - timedelta(days=SCORED_DAYS - 1), END)
    started = time.perf_counter()
    layers.ingest(engine, org, END)
    layers.build_canonical(engine, org.id)
    layers.compute_signal_layer(engine, model, org, dates)
    dims = layers.compute_dimension_layer(engine, model, org, dates)
    health = layers.compute_health_layer(engine, model, org, dates)
    last = health.iloc[-1]
    day_dims = dims[dims["as_of"] == dims["as_of"].max()].set_index("dimension")
    capability = {d: day_dims.loc[d, "capability_level"] for d in DIMENSION_IDS}
    return {"level": level, "stage": stage, "seed": seed, "diagnosed": int(last["maturity_level"]),
            "raw": int(last["maturity_level_raw"]), "overall": float(last["overall_score"]),
            "coverage": float(last["coverage"]), "data_stage": last["stage"],
            "capabilities": " ".join(f"{d}:{'-' if pd.isna(c) else int(c)}" for d, c in capability.items()),
            "scores": {d: day_dims.loc[d, "score"] for d in DIMENSION_IDS},
            "seconds": time.perf_counter() - started}


def table(rows: list[dict]) -> str:
    lines = ["| level given | stage (profile / data) | seed | diagnosed | overall | coverage | capability per "
             "dimension |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        mark = "" if r["diagnosed"] == r["level"] else " ✗"
        lines.append(f"| {r['level']} | {r['stage']} / {r['data_stage']} | {r['seed']} | {r['diagnosed']}{mark} | "
                     f"{r['overall']:.1f} | {r['coverage']:.0%} | {r['capabilities']} |")
    return "\n".join(lines)


def main() -> None:
    model = load_model()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/validity.sqlite")
        for level, stage, seed in cases():
            row = diagnose(engine, model, level, stage, seed)
            rows.append(row)
            print(f"level {level} {stage:11} seed {seed}: diagnosed {row['diagnosed']} (raw {row['raw']}), overall "
                  f"{row['overall']:.1f}, {row['capabilities']} [{row['seconds']:.0f}s]", flush=True)
        engine.dispose()
    exact = sum(r["diagnosed"] == r["level"] for r in rows)
    within = sum(abs(r["diagnosed"] - r["level"]) <= 1 for r in rows)
    summary = (f"{exact}/{len(rows)} exact ({exact / len(rows):.0%}), {within}/{len(rows)} within one level; model "
               f"{model.version}, {len(model.signals)} signals; diagnosis on {END} after {SCORED_DAYS} scored days.")
    body = (f"# Validity study\n\n{summary}\n\nCommand: `make bench-validity`. Machine: {_machine()}.\n\n"
            f"{table(rows)}\n")
    RESULTS.write_text(body)
    print(summary)


if __name__ == "__main__":
    sys.exit(main())
