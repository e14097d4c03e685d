"""Tuning helper for the drift detector: evaluate settings given as JSON on one split of the backtest's scenarios.

Run: `.venv/bin/python -m bench.drift_tune '{"cusum_h": 6}' --split tune --stages growth,mature`. Prints the
summary and every missed or late large shift, so a change of the detector can be judged on the tuning half only;
the report half is evaluated by `make bench-drift` with the defaults.
"""

from __future__ import annotations

import argparse
import json

from apex_model.drift import DriftSettings
from bench.drift_backtest import DETECTION_WINDOW_DAYS, LARGE_SHIFT, run, summarise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="?", default="{}", help="DriftSettings fields as JSON")
    parser.add_argument("--split", default="tune")
    parser.add_argument("--stages", default="growth,mature")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--details", action="store_true")
    args = parser.parse_args()
    settings = DriftSettings.model_validate(json.loads(args.settings))
    shifts, stables = run(settings, args.split, tuple(args.stages.split(",")), workers=args.workers)
    summary = summarise(shifts, stables)
    print(args.settings, " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()),
          flush=True)
    if args.details:
        for s in shifts:
            if s.size >= LARGE_SHIFT and s.reached is not None and (
                    s.delay_from_reached is None or s.delay_from_reached > DETECTION_WINDOW_DAYS):
                print(f"  miss {s.scenario}: size {s.size:.1f} reached {s.reached.date()} "
                      f"detected {s.detected.date() if s.detected is not None else None} "
                      f"delay {s.delay_from_reached} early {s.early_alarms}")
        for s in stables:
            print(f"  stable {s.scenario}: {s.alarms} alarms ({s.alarms_on_real_moves} on real moves) {s.by_series}")


if __name__ == "__main__":
    main()
