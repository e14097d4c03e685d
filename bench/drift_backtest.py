"""Backtest of the drift detector on sandbox organisations with injected shifts of known size, direction and date.

Run: `make bench-drift` (or `.venv/bin/python -m bench.drift_backtest`). The score series are computed once by
`bench/drift_scenarios.py` (through the real score layers) and cached; this evaluates the detector on them and
writes `bench/results/drift_backtest.md`, the table `docs/drift.md` quotes.

What is measured, per scenario:
- **shift size**: the day-by-day difference between the shifted organisation and its stable twin (same seed, no
  event) on the shifted dimension, smoothed over 7 days; its largest absolute value within 270 days of the start.
- **recall**: a shift of 10 points or more counts as found when the detector opens an alarm episode in the right
  direction on that dimension, opened on or after the event's start, that is open on or after the day the shift
  shows in the score (its effect reached 5 points): an alarm before the start, or one that came and went before the
  score moved, is chance and does not count; "within 7 days" measures from the day the score's own shift first
  reached 10 points (no detector can see a change the score does not show yet); an earlier alarm has a negative
  delay. The delay from the latent
  start (which includes the time the signals' windows take to move) is reported beside it.
- **false alerts**: alarm episodes opened on a stable organisation during the two evaluation years, per organisation
  and quarter; also how many of them coincide with a real move of the score of at least the minimum effect (the
  score wandered although the latent quality did not: a signal effect, not detector noise).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import bench.drift_scenarios as scenarios_module
from apex_model.drift import ALERT, ONSET_LOOKBACK_DAYS, DriftSettings, detect, like_for_like, onset
from bench.drift_scenarios import (EVALUATION_START, END, Scenario, all_scenarios, build_cache, build_order, cache_path,
                                   load)

SERIES = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "overall")
RESULTS = Path(__file__).parent / "results" / "drift_backtest.md"
DETECTION_WINDOW_DAYS = 7
LARGE_SHIFT = 10.0
VISIBLE_SHIFT = 5.0
HORIZON_DAYS = 270
QUARTERS = 8


def series_frames(frame: pd.DataFrame, settings: DriftSettings) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores, gate reasons, composition effects) of a cached scenario, one column per series."""
    scores = pd.DataFrame({s: frame[f"score_{s}"] for s in SERIES})
    coverage = pd.DataFrame({s: frame[f"coverage_{s}"] for s in SERIES})
    gates = coverage.apply(lambda col: col.map(
        lambda c: None if pd.isna(c) or c >= settings.min_coverage else f"coverage {c:.0%} below "
                                                                         f"{settings.min_coverage:.0%}"))
    composition = pd.DataFrame({s: frame[f"composition_{s}"] for s in SERIES})
    return scores, gates, composition


def _episode_last_days(result: pd.DataFrame) -> pd.Series:
    """The last day each alarm episode was open, indexed by (series, episode start)."""
    spans = result[result["episode_start"].notna()].assign(episode_start=lambda f: pd.to_datetime(f["episode_start"]))
    return spans.groupby(["series", "episode_start"])["as_of"].max()


def alarms(result: pd.DataFrame) -> pd.DataFrame:
    """The days an alarm episode opened (one row per episode), with the last day it was open (`until`)."""
    opened = result[(result["event"] == ALERT) & (result["episode"] == "open")
                    & (pd.to_datetime(result["episode_start"]) == result["as_of"])]
    last = _episode_last_days(result)
    out = opened[["as_of", "series", "direction", "deviation"]].copy()
    out["until"] = [last.get((row.series, row.as_of), row.as_of) for row in out.itertuples()]
    return out


@dataclass
class ShiftOutcome:
    scenario: str
    split: str
    stage: str
    dimension: str
    size: float
    direction: str
    start: pd.Timestamp
    reached: pd.Timestamp | None
    detected: pd.Timestamp | None
    early_alarms: int
    other_alarms: int
    onset: pd.Timestamp | None = None
    told: pd.Timestamp | None = None

    @property
    def told_delay(self) -> float | None:
        """Days from the score's 10-point move to the first alert message about the shift (see `_first_told`)."""
        return _days(self.reached, self.told)

    @property
    def onset_error(self) -> float | None:
        """Days between the explanation's "likely start" at the alarm and the latent start (signed)."""
        return _days(self.start, self.onset)

    @property
    def delay_from_reached(self) -> float | None:
        """Days from the score's 10-point move to the alarm; negative when the alarm came earlier (while the shift
        was already visible in the score, between 5 and 10 points)."""
        return _days(self.reached, self.detected)

    @property
    def delay_from_start(self) -> float | None:
        return _days(self.start, self.detected)


def _days(since: pd.Timestamp | None, until: pd.Timestamp | None) -> int | None:
    """Signed days from `since` to `until`; None when either is unknown."""
    return None if since is None or until is None else (until - since).days


def evaluate_shift(scenario: Scenario, settings: DriftSettings) -> ShiftOutcome:
    event = scenario.events[0]
    dim = event["dimension"]
    start = pd.Timestamp(event["start"])
    shifted, stable = load(scenario), load(scenario.stable_twin)
    diff = (shifted[f"score_{dim}"] - stable[f"score_{dim}"]).rolling(7, min_periods=4).median()
    horizon = diff.loc[start:start + pd.Timedelta(days=HORIZON_DAYS)]
    size = float(horizon.abs().max()) if horizon.notna().any() else 0.0
    sign = np.sign(horizon.loc[horizon.abs().idxmax()]) if horizon.notna().any() and size > 0 else 0
    reached_mask = (horizon * sign) >= LARGE_SHIFT
    reached = horizon.index[reached_mask.to_numpy()][0] if reached_mask.any() else None
    # The first day the shift shows in the score at all (half the large-shift size): an alarm before it cannot be
    # about the shift, even in the right direction, so it does not count as finding it.
    visible_mask = (horizon * sign) >= VISIBLE_SHIFT
    visible = horizon.index[visible_mask.to_numpy()][0] if visible_mask.any() else None
    scores, gates, composition = series_frames(shifted, settings)
    result = detect(scores, settings, gate_reasons=gates, composition=composition)
    found = alarms(result)
    found = found[found["as_of"] >= pd.Timestamp(EVALUATION_START)]
    want = "up" if sign > 0 else "down"
    on_dim = found[found["series"] == dim]
    # An alarm about the shift: in its direction, opened after it began, and either opened once the shift showed in
    # the score or still open on that day (it did not return, because the shift went on). An alarm before the
    # start, or one that came and went before the score moved, is chance and does not count.
    shows = visible if visible is not None else start + pd.Timedelta(days=HORIZON_DAYS + 1)
    hits = on_dim[(on_dim["direction"] == want) & (on_dim["as_of"] >= start) & (on_dim["until"] >= shows)
                  & (on_dim["as_of"] <= start + pd.Timedelta(days=HORIZON_DAYS))]
    # An alarm inside an episode that opened earlier in the same direction (by chance, before the shift began) is
    # a detection too: the detector raises it against the level before the episode, and the alert lifecycle tells
    # it as growth of the open alert. It counts on the same terms: on or after the start, its episode still open
    # on the day the shift shows.
    renewed = _alarms_in_open_episodes(result, dim, want, start, shows)
    if renewed is not None and (hits.empty or renewed < hits["as_of"].iloc[0]):
        hits = pd.DataFrame({"as_of": [renewed]})
    early = on_dim[(on_dim["as_of"] < start) | ((on_dim["until"] < shows) & (on_dim["as_of"] < shows))]
    others = found[(found["series"] != dim) & (found["series"] != "overall") & (found["as_of"] >= start)]
    detected = hits["as_of"].iloc[0] if len(hits) else None
    likely = None
    if detected is not None:
        # What the alert's explanation would say (pipelines/drift.py): the start looked for before the alarm day.
        judged = like_for_like(scores, composition) if settings.like_for_like else scores
        window = judged[dim].loc[detected - pd.Timedelta(days=ONSET_LOOKBACK_DAYS):detected]
        likely = onset(window.index, window.to_numpy())
    told = _first_told(result, dim, want, max(start, shows))
    if detected is not None and detected <= shows:
        told = detected if told is None else min(told, detected)
    return ShiftOutcome(scenario.name, scenario.split, scenario.stage, dim, size, want, start, reached,
                        detected, len(early), len(others), likely, told)


def _alarms_in_open_episodes(result: pd.DataFrame, series: str, direction: str, start: pd.Timestamp,
                             shows: pd.Timestamp) -> pd.Timestamp | None:
    """The first alarm day in `direction` on or after `start` that fell inside an episode opened before `start`
    and still open on `shows`; None when there is none."""
    rows = result[(result["series"] == series) & (result["event"] == ALERT) & (result["direction"] == direction)
                  & (result["as_of"] >= start) & (result["as_of"] <= start + pd.Timedelta(days=HORIZON_DAYS))
                  & result["episode_start"].notna()]
    rows = rows[pd.to_datetime(rows["episode_start"]) < start]
    if rows.empty:
        return None
    last = _episode_last_days(result)
    open_then = rows[[last.get((series, pd.Timestamp(e)), pd.NaT) >= shows for e in rows["episode_start"]]]
    return None if open_then.empty else open_then["as_of"].iloc[0]


def _first_told(result: pd.DataFrame, series: str, direction: str, since: pd.Timestamp) -> pd.Timestamp | None:
    """The first day on or after `since` that the alert lifecycle (apex_model/alerting.py) sent an alert-severity
    message about `series` moving in `direction`: opened, escalated from watch, or grown (an alert that was already
    open, by chance, when the shift came, is told again as "grew" once the shift makes it larger)."""
    from apex_model.alerting import ESCALATED, GREW, OPENED, replay

    _, items = replay("bench", result[result["series"] == series])
    days = [pd.Timestamp(i.as_of) for i in items if i.series == series and i.direction == direction
            and i.severity == "alert" and i.kind in (OPENED, ESCALATED, GREW) and pd.Timestamp(i.as_of) >= since]
    return min(days) if days else None


@dataclass
class StableOutcome:
    scenario: str
    split: str
    stage: str
    alarms: int
    alarms_on_real_moves: int
    by_series: dict[str, int]


def evaluate_stable(scenario: Scenario, settings: DriftSettings) -> StableOutcome:
    frame = load(scenario)
    scores, gates, composition = series_frames(frame, settings)
    found = alarms(detect(scores, settings, gate_reasons=gates, composition=composition))
    found = found[found["as_of"] >= pd.Timestamp(EVALUATION_START)]
    real = 0
    for row in found.itertuples():
        # Did the score itself move by the minimum effect against its level two to four months before?
        s = scores[row.series]
        before = s.loc[row.as_of - pd.Timedelta(days=120):row.as_of - pd.Timedelta(days=60)].median()
        after = s.loc[row.as_of - pd.Timedelta(days=6):row.as_of].median()
        if abs(after - before) >= settings.min_effect(row.series):
            real += 1
    return StableOutcome(scenario.name, scenario.split, scenario.stage, len(found), real,
                         found["series"].value_counts().to_dict())


def _evaluate(job: tuple[Scenario, DriftSettings]):
    scenario, settings = job
    settings = settings.for_stage(scenario.stage)
    if scenario.events:
        return evaluate_shift(scenario, settings)
    return evaluate_stable(scenario, settings)


def run(settings: DriftSettings, split: str | None = None, stages: tuple[str, ...] | None = None,
        workers: int = 1):
    """Evaluate the cached scenarios of `split` and `stages` (each with the settings of its stage)."""
    jobs = []
    for scenario in all_scenarios():
        if split and scenario.split != split or stages and scenario.stage not in stages:
            continue
        if not cache_path(scenario).exists() or (scenario.events and not cache_path(scenario.stable_twin).exists()):
            continue
        jobs.append((scenario, settings))
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_evaluate, jobs, chunksize=4))
    else:
        outcomes = [_evaluate(job) for job in jobs]
    shifts = [o for o in outcomes if isinstance(o, ShiftOutcome)]
    stables = [o for o in outcomes if isinstance(o, StableOutcome)]
    return shifts, stables


def summarise(shifts: list[ShiftOutcome], stables: list[StableOutcome]) -> dict:
    # A shift whose score reaches 10 points less than 7 days before the data ends cannot be judged "within 7 days":
    # it is left out of the recall (and counted in `censored`).
    judgeable = [s for s in shifts if s.reached is not None
                 and s.reached + pd.Timedelta(days=DETECTION_WINDOW_DAYS) <= pd.Timestamp(END)]
    large = [s for s in judgeable if s.size >= LARGE_SHIFT]
    censored = [s for s in shifts if s.size >= LARGE_SHIFT and s.reached is not None and s not in judgeable]
    in_time = [s for s in large if s.delay_from_reached is not None and s.delay_from_reached <= DETECTION_WINDOW_DAYS]
    found = [s for s in large if s.detected is not None]
    told_in_time = [s for s in large if s.told_delay is not None and s.told_delay <= DETECTION_WINDOW_DAYS]
    delays = [s.delay_from_reached for s in found]
    starts = [s.delay_from_start for s in found]
    onset_errors = [abs(s.onset_error) for s in found if s.onset_error is not None]
    n_orgs = len(stables)
    total = sum(s.alarms for s in stables)
    return {
        "shifts_total": len(shifts),
        "large": len(large),
        "censored": len(censored),
        "recall_7d": len(in_time) / len(large) if large else float("nan"),
        "recall_any": len(found) / len(large) if large else float("nan"),
        "told_7d": len(told_in_time) / len(large) if large else float("nan"),
        "median_delay_reached": statistics.median(delays) if delays else float("nan"),
        "median_delay_start": statistics.median(starts) if starts else float("nan"),
        "median_onset_error": statistics.median(onset_errors) if onset_errors else float("nan"),
        "stable_orgs": n_orgs,
        "false_per_org_quarter": total / n_orgs / QUARTERS if n_orgs else float("nan"),
        "false_on_real_moves": sum(s.alarms_on_real_moves for s in stables),
        "false_total": total,
        "early_alarms": sum(s.early_alarms for s in shifts),
    }


def grid(split: str = "tune") -> None:
    """Print the summary over a small grid of the detector's main knobs (tuning scenarios only)."""
    for h, lag, episode in itertools.product((4.0, 5.0, 8.0), ((29, 63), (29, 91)), (60, 90)):
        settings = DriftSettings(cusum_h=h, baseline_lag_days=lag, max_episode_days=episode)
        shifts, stables = run(settings, split, ("growth", "mature"))
        summary = summarise(shifts, stables)
        print(f"h={h} lag={lag} episode={episode}: " + ", ".join(
            f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true", help="print the tuning grid instead of the report")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", help="evaluate the score series cached in this fingerprint directory (e.g. an "
                                        "earlier signal catalogue's) without computing missing ones")
    parser.add_argument("--no-build", action="store_true", help="evaluate only what is cached already")
    parser.add_argument("--out", default=str(RESULTS), help="where the markdown table goes")
    args = parser.parse_args()
    if args.cache:
        scenarios_module.CACHE = scenarios_module.CACHE_ROOT / args.cache
    elif not args.no_build:
        build_cache(build_order(all_scenarios()), workers=args.workers)
    if args.grid:
        grid()
        return
    report(DriftSettings(), Path(args.out), workers=args.workers)


def _fmt(value) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:.2f}"
    return str(value)


def report(settings: DriftSettings, out: Path = RESULTS, workers: int = 2) -> None:
    """The backtest table: per split and stage group, on the cached scenarios."""
    started = time.perf_counter()
    rows = []
    evaluated = 0
    for split in ("tune", "report"):
        for label, stages in (("growth + mature", ("growth", "mature")), ("early stage", ("early_stage",))):
            shifts, stables = run(settings, split, stages, workers=workers)
            evaluated += len(shifts) + len(stables)
            s = summarise(shifts, stables)
            rows.append(f"| {split} | {label} | {len(shifts)} | {s['large']} ({s['censored']} censored) | "
                        f"{_fmt(s['recall_7d'])} | {_fmt(s['told_7d'])} | "
                        f"{_fmt(s['recall_any'])} | {_fmt(s['median_delay_reached'])} | "
                        f"{_fmt(s['median_delay_start'])} | {_fmt(s['median_onset_error'])} | {s['stable_orgs']} | "
                        f"{_fmt(s['false_per_org_quarter'])} | {s['false_on_real_moves']} of {s['false_total']} |")
    lines = [
        "# Drift detector backtest",
        "",
        f"Command: `make bench-drift` (`.venv/bin/python -m bench.drift_backtest`), {time.strftime('%Y-%m-%d')}; "
        f"evaluation took {time.perf_counter() - started:.0f} s on the cached score series.",
        f"Scenarios: bench/drift_scenarios.py (sandbox organisations, history from 2023-01-01, evaluated "
        f"{EVALUATION_START} .. {END}); settings: the defaults of apex_model/drift.py (per stage). Score series: "
        f"cache `{scenarios_module.CACHE.name}` (fingerprint of the signal and score code); {evaluated} of "
        f"{len(all_scenarios())} scenarios cached and evaluated.",
        "",
        "| split | stages | shifted scenarios | shifts >= 10 pts | recall within 7 days | told within 7 days (an alert message opened, escalated or grown) | recall (any delay) | median delay from the "
        "score's 10-point move (days) | median delay from the latent start (days) | median error of the likely start (days) | stable orgs | false alerts per "
        "org per quarter | of which the score itself moved by the minimum effect |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
