"""Scenarios of the drift backtest: sandbox organisations, stable and with injected quality shifts, as score series.

Each scenario is a sandbox profile run through the real score layers (landing, canonical SQL, signals, dimension
scores, health) over three years of history; the daily dimension and overall scores are cached as CSV under
`.state/bench/drift/` so the detector can be tuned and evaluated without recomputing them. A shifted scenario has a
stable twin (same stage, maturity and seed, no event): because the sandbox draws every month from its own seeded
generators, the difference between the two series is the effect of the shift on the score, day by day.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HISTORY_START = date(2023, 1, 1)
EVALUATION_START = date(2024, 1, 1)
END = date(2025, 12, 31)
ROOT = Path(__file__).resolve().parents[1]
CACHE_ROOT = Path(os.environ.get("APEX_STATE_DIR", ROOT / ".state")) / "bench" / "drift"
# Everything a cached score series depends on: a change to any of these (new signals, a new model version, a
# different sandbox) gives a new cache directory, so the backtest never reads scores of an older catalogue.
SCORE_INPUTS = ("signals", "connectors/sandbox", "apex_model/model.yaml", "apex_model/aggregate.py",
                "apex_model/normalise.py", "apex_model/health.py", "apex_model/maturity.py", "apex_model/stages.py",
                "dbt_like_sql/models", "dbt_like_sql/macros.py", "pipelines/layers.py", "apex_model/explain.py",
                "apex_model/composition.py")
# Raised when the cached columns change (2: composition effects per series).
CACHE_FORMAT = 2


def score_fingerprint() -> str:
    """A short hash of the source files the score series are computed from."""
    import hashlib

    digest = hashlib.sha256(f"format {CACHE_FORMAT}".encode())
    for name in SCORE_INPUTS:
        path = ROOT / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and f.suffix in (".py", ".yaml", ".yml", ".sql", ".csv"):
                digest.update(str(f.relative_to(ROOT)).encode())
                digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


CACHE = CACHE_ROOT / score_fingerprint()

# (stage, maturity, seed). Two years of evaluation after a year of history; the seeds are the bench's own.
BASES: tuple[tuple[str, int, int], ...] = (
    ("growth", 2, 101), ("growth", 3, 102), ("growth", 4, 103), ("growth", 3, 104),
    ("growth", 2, 105), ("growth", 3, 106), ("growth", 4, 107), ("growth", 3, 108),
    ("mature", 3, 201), ("mature", 4, 202),
    ("early_stage", 3, 301), ("early_stage", 4, 302), ("early_stage", 2, 303), ("early_stage", 3, 304),
)
DELTAS = (0.3, 0.45, 0.6)
RAMPS = (0, 14, 45)


@dataclass(frozen=True)
class Scenario:
    stage: str
    maturity: int
    seed: int
    events: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        base = f"{self.stage}-m{self.maturity}-s{self.seed}"
        if not self.events:
            return base + "-stable"
        ev = self.events[0]
        return f"{base}-{ev['dimension']}{ev['delta']:+.2f}-r{ev.get('ramp_days', 0)}-{ev['start']}"

    @property
    def stable_twin(self) -> "Scenario":
        return Scenario(self.stage, self.maturity, self.seed)

    @property
    def split(self) -> str:
        """Half the organisations tune the detector, the other half report its figures."""
        return "tune" if BASES.index((self.stage, self.maturity, self.seed)) % 2 == 0 else "report"

    def profile(self) -> dict:
        return {"stage": self.stage, "maturity": self.maturity, "seed": self.seed,
                "history_start": HISTORY_START.isoformat(), "events": list(self.events)}


def shifted_scenarios(stage: str, maturity: int, seed: int) -> list[Scenario]:
    """One permanent quality shift per dimension, with a seeded size, sign, ramp and start date."""
    rng = np.random.default_rng([seed, 6])
    first, last = date(2024, 5, 1), date(2025, 5, 31)
    out = []
    for i in range(8):
        start = first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))
        delta = float(rng.choice(DELTAS)) * (1 if rng.random() < 0.5 else -1)
        event = {"kind": "quality_shift", "start": start.isoformat(), "dimension": f"D{i + 1}",
                 "delta": delta, "ramp_days": int(rng.choice(RAMPS))}
        out.append(Scenario(stage, maturity, seed, (event,)))
    return out


def all_scenarios() -> list[Scenario]:
    out = []
    for base in BASES:
        out.append(Scenario(*base))
        out.extend(shifted_scenarios(*base))
    return out


def _compute(scenario: Scenario) -> pd.DataFrame:
    import tempfile

    from apex_model.composition import dimension_composition, overall_composition, stage_weights
    from apex_model.explain import explain_days
    from apex_model.model import load_model
    from dbt_like_sql.warehouse import make_engine
    from pipelines import layers
    from pipelines.deployment import parse_deployment

    data = {"organisations": [{"id": "bench", "name": "bench", "sources": [
        {"type": "sandbox", "profile": scenario.profile()}]}]}
    org = parse_deployment(data, "<drift bench>").organisation("bench")
    model = load_model()
    days = pd.date_range(HISTORY_START, END)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite")
        layers.ingest(engine, org, END)
        layers.build_canonical(engine, org.id)
        signals = layers.compute_signal_layer(engine, model, org, days)
        dims = layers.compute_dimension_layer(engine, model, org, days)
        health = layers.compute_health_layer(engine, model, org, days)
        engine.dispose()
    wide = dims.pivot(index="as_of", columns="dimension", values=["score", "coverage"])
    out = pd.DataFrame(index=pd.DatetimeIndex(days, name="as_of"))
    for dim in sorted(dims["dimension"].unique()):
        out[f"score_{dim}"] = wide[("score", dim)]
        out[f"coverage_{dim}"] = wide[("coverage", dim)]
    h = health.set_index("as_of")
    out["score_overall"] = h["overall_score"]
    out["coverage_overall"] = h["coverage"]
    # The day-over-day composition effects (signals or dimensions appearing and dropping out), which the detector
    # takes out of the series (apex_model/composition.py).
    changes = explain_days(model, signals[["as_of", "signal_id", "status", "score"]], list(zip(days[:-1], days[1:])))
    composition = dimension_composition(changes, out.index)
    weights = stage_weights(model, pd.DataFrame(list(h["stage_shares"]), index=h.index).reindex(out.index))
    dim_scores = pd.DataFrame({dim: out[f"score_{dim}"] for dim in composition.columns})
    composition["overall"] = overall_composition(dim_scores, composition, weights, out["score_overall"])
    for series in composition.columns:
        out[f"composition_{series}"] = composition[series].round(6)
    return out


def cache_path(scenario: Scenario) -> Path:
    return sys.modules[__name__].CACHE / f"{scenario.name}.csv"


def load(scenario: Scenario) -> pd.DataFrame:
    frame = pd.read_csv(cache_path(scenario), index_col="as_of", parse_dates=["as_of"])
    return frame


def truth(scenario: Scenario) -> pd.DataFrame:
    """The latent quality D1..D8 per day (what `generate_ecosystem(...).truth` returns), without generating data."""
    from connectors.sandbox import SandboxProfile
    from connectors.sandbox.quality import QualityModel

    return QualityModel(SandboxProfile.model_validate(scenario.profile())).truth(HISTORY_START, END)


def _build_one(scenario: Scenario) -> tuple[str, float]:
    path = cache_path(scenario)
    if path.exists():
        return scenario.name, 0.0
    started = time.perf_counter()
    frame = _compute(scenario)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp)
    tmp.rename(path)
    return scenario.name, time.perf_counter() - started


def build_cache(scenarios: list[Scenario], workers: int = 2) -> None:
    todo = [s for s in scenarios if not cache_path(s).exists()]
    print(f"{len(scenarios) - len(todo)} scenarios cached, {len(todo)} to compute with {workers} workers",
          flush=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, seconds in pool.map(_build_one, todo):
            print(f"  {name}: {seconds:.0f} s", flush=True)


def build_order(scenarios: list[Scenario]) -> list[Scenario]:
    """Stable organisations first, then the shifts one organisation at a time alternating the splits, the large
    (slow) mature organisations last, so a partial cache is still a balanced sample of both halves."""
    stage_rank = {"early_stage": 0, "growth": 1, "mature": 2}
    def key(s: Scenario):
        rank = BASES.index((s.stage, s.maturity, s.seed))
        return (bool(s.events), stage_rank[s.stage] if s.events else 0, s.events[0]["dimension"] if s.events else "",
                rank)
    return sorted(scenarios, key=key)


if __name__ == "__main__":
    build_cache(build_order(all_scenarios()), workers=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
