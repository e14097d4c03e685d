"""How every signal responds to the sandbox's latent quality: its value at quality 0, 0.5 and 1 of all dimensions.

For each stage, three sandbox organisations (every dimension's quality overridden to 0, 0.5 and 1; same seed) are
landed and built into canonical tables on SQLite, and the whole catalogue is computed as of their last day. A signal
whose values hardly differ does not measure its dimension on this data, and one whose value at 0.5 is far from the
middle responds too unevenly for linear goalposts; the goalposts of signals without a sandbox anchor were set from
these figures, rounded (their cards say so). Run:
`.venv/bin/python -m bench.signal_calibration [stage ...]` (about a minute per stage); prints a markdown table.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date

import numpy as np
import pandas as pd

from dbt_like_sql.warehouse import make_engine
from pipelines import layers
from pipelines.deployment import parse_deployment
from signals.compute import compute_signals
from signals.registry import catalogue

END = date(2025, 12, 31)
HISTORY_START = date(2024, 1, 1)
DIMENSIONS = [f"D{i}" for i in range(1, 9)]


def organisation(org_id: str, stage: str, maturity: int, seed: int, quality: float | None = None,
                 history_start: date = HISTORY_START):
    profile = {"stage": stage, "maturity": maturity, "seed": seed, "history_start": history_start.isoformat()}
    if quality is not None:
        profile["quality_overrides"] = {d: quality for d in DIMENSIONS}
    data = {"organisations": [{"id": org_id, "name": org_id, "sources": [{"type": "sandbox", "profile": profile}]}]}
    return parse_deployment(data, "<calibration>").organisation(org_id)


def signal_values(engine, org, dates) -> pd.DataFrame:
    """Land and build one organisation, then every signal's value and status on `dates`."""
    layers.ingest(engine, org, max(dates))
    layers.build_canonical(engine, org.id)
    ctx = layers._context(engine, org, layers.as_dates(dates))
    return compute_signals(ctx)


def main(stages: list[str]) -> None:
    cards = catalogue()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/calibration.sqlite")
        for stage in stages:
            for q in (0.0, 0.5, 1.0):
                org = organisation(f"cal-{stage.replace('_', '-')}-{int(10 * q)}", stage, 3, 7, q)
                values = signal_values(engine, org, [END]).set_index("signal_id")
                for sid in cards:
                    rows.append({"stage": stage, "q": q, "signal_id": sid, "value": values.loc[sid, "value"],
                                 "n": values.loc[sid, "n"], "status": values.loc[sid, "status"]})
        engine.dispose()
    frame = pd.DataFrame(rows)
    wide = frame.pivot_table(index="signal_id", columns=["stage", "q"], values="value", aggfunc="first")
    print("| signal | " + " | ".join(f"{s} q={q:g}" for s, q in wide.columns) + " |")
    print("|---|" + "---|" * len(wide.columns))
    for sid, row in wide.iterrows():
        print(f"| {sid} | " + " | ".join("–" if np.isnan(v) else f"{v:.3g}" for v in row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["growth"])
