"""Drift detection on daily score series: is a dimension (or the overall score) really moving, or is it noise?

Grain: one organisation, several series (D1..D8 and `overall`), one row per day and series out. Pure: numpy and
pandas only, no database, no Dagster. The reasons and sources are in `../shared/reference/scoring_methods.md` §3 and
§7.6; what the backtest changed is in `docs/drift.md`.

A daily score on rolling windows shares almost all its data with the day before, so the detector never compares a
day with its neighbours:

- **like for like**: given each day's composition effect (signals appearing or dropping out, `composition.py`),
  the detector judges the chain-linked series (`like_for_like`), so a signal coming back is not a move of the
  programme; the levels it reports read in the day's own composition.
- **baseline** b_t: the median of the series over days t-91 .. t-29 (a window that does not overlap a 28-day scoring
  window), or, for a quarter-cyclic series, over the same days of the quarter one to four quarters back. Days inside
  an alarm episode are left out (they are the anomaly, not the normal), unless the episode was accepted as the new
  normal; after a re-base the baseline starts from the new level.
- **deviation** d_t = s_t - b_t, scaled by sigma_t = 1.4826 * MAD of the deviations of the 180 days before (robust
  "normal variation", episodes left out, floored so a flat series does not make every wiggle huge).
- **evidence**: a two-sided tabular CUSUM on z_t = d_t / sigma_t with reference value k = delta / (2 sigma): delta is
  the smallest change worth telling, in points (default 6.5, per series and stage configurable). The CUSUM only
  grows while the deviation exceeds delta / 2, so the effect size is part of the test.
- **alarm** (severity `alert`): CUSUM above h and |d_t| >= delta, or the shock rule (|z| >= 3.5 and |d| >= delta on
  two consecutive days). **watch**: CUSUM above h/2 with |d_t| >= delta. The CUSUM resets at an alarm.
- **slide**: a move too slow for the lagged baseline (it follows the score, so the deviation never reaches delta):
  the level of the last 14 days and of four earlier 30-day blocks, 45 days apart, in one order and spanning at
  least `slide_points` (default 9) is an alarm, measured against the oldest block's level.
- **episode**: an alarm opens an episode that holds the baseline of that day; it ends when the score returns within
  delta/2 of it on three consecutive days (`returned`), when someone accepts the level as the new normal
  (`rebased`), or after `max_episode_days` without return (`expired`: the level is taken as the new normal).
- **gates**: no evaluation during the learning period (fewer than 56 usable days since the start; 28 after a
  re-base or an expired episode, the scale kept), nor on a day whose coverage is below 0.7 or whose inputs failed
  their checks (`data_quality`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SERIES_IDS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "overall")
NONE, LEARNING, DATA_QUALITY, WATCH, ALERT = "none", "learning", "data_quality", "watch", "alert"
EVENTS = (NONE, LEARNING, DATA_QUALITY, WATCH, ALERT)
UP, DOWN = "up", "down"
OPEN, RETURNED, REBASED, EXPIRED = "open", "returned", "rebased", "expired"
MAD_TO_SIGMA = 1.4826
# How far back from an alarm the start of the change is looked for: the baseline's far end. Longer windows took in
# older wander and dated changes worse in the backtest (median error 24 days at 90, 30 at 150, 50 at 240).
ONSET_LOOKBACK_DAYS = 90


STAGES = ("early_stage", "growth", "mature")


class StageSettings(BaseModel):
    """The knobs that may differ by programme stage (None: the organisation-wide value). An early-stage programme
    with a dozen partners has scores that move in large steps on noise alone, so it needs a larger minimum effect
    to keep the false-alert budget (docs/drift.md, backtest)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_effect_points: float | None = Field(default=None, gt=0, le=100)
    cusum_h: float | None = Field(default=None, gt=0)
    shock_z: float | None = Field(default=None, gt=0)
    min_effect_sigmas: float | None = Field(default=None, ge=0)
    learning_days: int | None = Field(default=None, ge=0)
    max_hold_days: int | None = Field(default=None, ge=1)
    slide_points: float | None = Field(default=None, gt=0)


# Tuned on the backtest's tuning half (docs/drift.md): early-stage scores swing by 15-40 points on noise alone.
DEFAULT_BY_STAGE = {"early_stage": StageSettings(min_effect_points=18.0, max_hold_days=30, slide_points=24.0)}


class DriftSettings(BaseModel):
    """Every knob of the detector, with the defaults the backtest supports (docs/drift.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_effect_points: float = Field(default=6.5, gt=0, le=100,
                                     description="smallest change worth telling, in score points")
    min_effect_by_series: dict[str, float] = Field(default_factory=dict,
                                                   description="per series (D1..D8, overall) override")
    baseline_lag_days: tuple[int, int] = (29, 91)
    quarter_seasonal: tuple[str, ...] = Field(default=(), description="series compared with the same days of the "
                                                                      "quarter in earlier quarters")
    min_baseline_days: int = Field(default=14, ge=3)
    scale_window_days: int = Field(default=180, ge=28)
    min_scale_days: int = Field(default=28, ge=7)
    sigma_floor_points: float = Field(default=1.0, gt=0)
    learning_days: int = Field(default=56, ge=0)
    relearn_days: int = Field(default=28, ge=7, description="after a re-base or an expired episode: days of the new "
                                                           "level before judging again (the scale is kept)")
    cusum_h: float = Field(default=5.0, gt=0)
    watch_fraction: float = Field(default=0.5, gt=0, lt=1)
    shock_z: float = Field(default=3.5, gt=0)
    shock_days: int = Field(default=2, ge=1)
    min_effect_sigmas: float = Field(default=0.0, ge=0, description="the effect must also be this many times the "
                                                                     "normal variation (noisy series)")
    effect_days: int = Field(default=3, ge=1, description="the effect floor holds on the median deviation of this "
                                                          "many days, so one noisy day cannot carry it")
    min_coverage: float = Field(default=0.7, ge=0, le=1)
    return_fraction: float = Field(default=0.5, gt=0, le=1)
    return_days: int = Field(default=3, ge=1)
    max_episode_days: int = Field(default=90, ge=7)
    freeze_baseline: bool = Field(default=True, description="hold the baseline while evidence accumulates")
    max_hold_days: int = Field(default=60, ge=1, description="release a held baseline (and restart the evidence) "
                                                                  "after this many days without an alarm")
    reference_fraction: float = Field(default=0.5, gt=0, lt=1, description="CUSUM reference value k as a fraction "
                                                                           "of the minimum effect (0.5: k = delta/2)")
    like_for_like: bool = Field(default=True, description="judge the series without its composition effects "
                                                        "(signals or dimensions appearing or dropping out)")
    slide_points: float | None = Field(default=9.0, gt=0, description="slide rule: a steady move of this many points "
                                                                      "over the slide blocks (None: off)")
    slide_blocks: int = Field(default=4, ge=2, description="slide rule: earlier blocks the level must have passed "
                                                           "through in order")
    slide_gap_days: int = Field(default=45, ge=7, description="slide rule: days between the blocks")
    slide_block_days: int = Field(default=30, ge=7, description="slide rule: length of each earlier block")
    by_stage: dict[Literal["early_stage", "growth", "mature"], StageSettings] = Field(
        default_factory=lambda: dict(DEFAULT_BY_STAGE), description="per programme stage: knobs replacing the ones above (see `for_stage`)")

    @field_validator("min_effect_by_series")
    @classmethod
    def _known_series(cls, value: dict[str, float]) -> dict[str, float]:
        for key, points in value.items():
            if key not in SERIES_IDS:
                raise ValueError(f"unknown series {key!r}; expected one of {', '.join(SERIES_IDS)}")
            if not (0 < points <= 100):
                raise ValueError(f"minimum effect of {key} must be in (0, 100] points, got {points}")
        return value

    @field_validator("quarter_seasonal")
    @classmethod
    def _known_seasonal(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in SERIES_IDS]
        if unknown:
            raise ValueError(f"unknown series {unknown[0]!r}; expected one of {', '.join(SERIES_IDS)}")
        return value

    @model_validator(mode="after")
    def _window(self) -> "DriftSettings":
        near, far = self.baseline_lag_days
        if not (1 <= near < far):
            raise ValueError("baseline_lag_days must be (near, far) with 1 <= near < far")
        return self

    def for_stage(self, stage: str | None) -> "DriftSettings":
        """The settings for an organisation at `stage`: the stage's knobs replace the general ones (a per-series
        minimum effect in `min_effect_by_series` still wins, and so does a knob set explicitly when the stage knobs
        are the built-in defaults)."""
        override = self.by_stage.get(stage) if stage else None
        if override is None:
            return self
        # Built-in stage defaults yield to a knob the configuration set explicitly (`min_effect_points: 15` for an
        # organisation means 15); a `by_stage` the configuration wrote itself wins over the general knobs.
        explicit_stages = "by_stage" in self.model_fields_set
        update = {k: v for k, v in override.model_dump().items()
                  if v is not None and (explicit_stages or k not in self.model_fields_set)}
        return self.model_copy(update=update)

    def min_effect(self, series: str) -> float:
        return float(self.min_effect_by_series.get(series, self.min_effect_points))


@dataclass(frozen=True)
class Rebase:
    """Someone accepted the level of `series` on `on` as the new normal (CLI `apex alerts ack` or configuration)."""

    series: str
    on: date


OUTPUT_COLUMNS = ("as_of", "series", "score", "coverage", "baseline", "deviation", "sigma", "z", "cusum_up",
                  "cusum_down", "min_effect", "event", "direction", "trigger", "reason", "episode", "episode_start",
                  "episode_baseline", "episode_direction")


def detect(scores: pd.DataFrame, settings: DriftSettings | None = None, *,
           gate_reasons: pd.DataFrame | None = None, rebases: Sequence[Rebase] = (),
           composition: pd.DataFrame | None = None) -> pd.DataFrame:
    """Run the detector over whole series.

    `scores`: index = consecutive days (DatetimeIndex), one column per series (D1..D8, overall), NaN where no score
    was published. `gate_reasons`: same shape, a text where the day must not be evaluated (low coverage, failed
    inputs) and None or NaN elsewhere. `composition`: same shape, each day's composition effect in points (signals
    or dimensions appearing or dropping out, `apex_model/composition.py`); when given, the detector judges the
    like-for-like series, so a signal coming back is not a move of the programme, and reports the baseline in the
    day's own composition (score minus deviation). Returns one row per day and series with OUTPUT_COLUMNS. The
    result for a day depends only on the days up to it, so a day computed alone equals that day inside a longer run.
    """
    settings = settings or DriftSettings()
    if not isinstance(scores.index, pd.DatetimeIndex):
        raise ValueError("scores must be indexed by day (DatetimeIndex)")
    days = scores.index.normalize()
    if len(days) > 1 and not (np.diff(days.values).astype("timedelta64[D]").astype(int) == 1).all():
        full = pd.date_range(days[0], days[-1], freq="D")
        scores = scores.set_axis(days).reindex(full)
        if gate_reasons is not None:
            gate_reasons = gate_reasons.set_axis(gate_reasons.index.normalize()).reindex(full)
        days = full
    series = [str(c) for c in scores.columns]
    unknown = [c for c in series if c not in SERIES_IDS]
    if unknown:
        raise ValueError(f"unknown series {unknown[0]!r}; expected columns among {', '.join(SERIES_IDS)}")
    values = scores.to_numpy(dtype=float)
    # Cumulative composition effect per day: the detector works on the chain-linked series and adds it back to the
    # levels it reports, so they read in the day's own composition.
    shift = cumulative(composition if settings.like_for_like else None, scores).to_numpy(dtype=float)
    gates = np.full(values.shape, None, dtype=object)
    if gate_reasons is not None:
        g = gate_reasons.reindex(index=days, columns=series)
        gates = np.where(g.notna().to_numpy(), g.to_numpy(dtype=object), None)
    rebase_index = _rebase_index(days, series, rebases)
    core = _Detector(values - shift, gates, days, series, settings, rebase_index)
    frame = core.run()
    flat = shift.reshape(-1)
    frame["score"] = values.reshape(-1)
    frame["baseline"] = frame["baseline"] + flat
    frame["episode_baseline"] = frame["episode_baseline"] + flat
    return frame


def cumulative(composition: pd.DataFrame | None, like: pd.DataFrame) -> pd.DataFrame:
    """The composition effects (`apex_model/composition.py`) summed from the first day of `like` (index days,
    columns series), 0 where none is known: what `like_for_like` takes out of the scores."""
    if composition is None:
        return pd.DataFrame(0.0, index=like.index, columns=like.columns)
    composition = composition.set_axis(pd.DatetimeIndex(composition.index).normalize())
    return composition.reindex(index=like.index, columns=like.columns).fillna(0.0).cumsum()


def like_for_like(scores: pd.DataFrame, composition: pd.DataFrame | None) -> pd.DataFrame:
    """The score series with every composition effect since its first day taken out (chain-linked, as a price
    index is when its basket changes): the difference between two days of the result is the move of what was
    present, not of what appeared or dropped out. Missing composition columns count as 0."""
    return scores if composition is None else scores - cumulative(composition, scores)


def _rebase_index(days: pd.DatetimeIndex, series: list[str], rebases: Sequence[Rebase]) -> dict[int, set[int]]:
    """{day position: {series position}} of the re-bases that fall inside the days."""
    out: dict[int, set[int]] = {}
    for rebase in rebases:
        if rebase.series not in series:
            continue
        pos = days.searchsorted(pd.Timestamp(rebase.on))
        if pos < len(days):
            out.setdefault(int(pos), set()).add(series.index(rebase.series))
    return out


class _Detector:
    """The day-by-day recursion, vectorised over the series (the CUSUM and the episodes are sequential by nature)."""

    def __init__(self, values: np.ndarray, gates: np.ndarray, days: pd.DatetimeIndex, series: list[str],
                 settings: DriftSettings, rebases: dict[int, set[int]]) -> None:
        self.v = values
        self.gates = gates
        self.days = days
        self.series = series
        self.s = settings
        self.rebases = rebases
        self.delta = np.array([settings.min_effect(c) for c in series])
        self.seasonal = np.array([c in settings.quarter_seasonal for c in series])
        # Day of the quarter of every day, so quarter-seasonal baselines compare like with like (quarters differ in
        # length, so a fixed lag of 91 days would drift across the quarter-end).
        periods = days.to_period("Q")
        self.quarter = np.asarray(periods.asi8, dtype=int)
        self.quarter_day = np.asarray((days - periods.start_time).days, dtype=int)
        self.position = {(q, o): i for i, (q, o) in enumerate(zip(self.quarter, self.quarter_day))}

    def run(self) -> pd.DataFrame:
        s = self.s
        T, S = self.v.shape
        near, far = s.baseline_lag_days
        usable = np.zeros((T, S), dtype=bool)          # may enter a baseline: scored, not gated, not in an episode
        dev_ok = np.zeros((T, S), dtype=bool)          # may enter the scale: evaluated and not in an episode
        dev = np.full((T, S), np.nan)
        scale_dev = np.full((T, S), np.nan)            # deviation from the moving lagged baseline (never held)
        start = np.zeros(S, dtype=int)                 # first day of the current regime (origin or last re-base)
        c_up = np.zeros(S)
        c_down = np.zeros(S)
        shock_run = np.zeros(S, dtype=int)             # consecutive shock days, signed by direction
        ep_open = np.zeros(S, dtype=bool)
        ep_start = np.full(S, -1)
        ep_base = np.full(S, np.nan)
        ep_dir = np.zeros(S, dtype=int)
        ep_return = np.zeros(S, dtype=int)
        last_sigma = np.full(S, np.nan)
        frozen = np.full(S, np.nan)
        held = np.zeros(S, dtype=int)

        out = {name: np.full((T, S), np.nan) for name in ("baseline", "deviation", "sigma", "z", "cusum_up",
                                                          "cusum_down")}
        event = np.full((T, S), NONE, dtype=object)
        direction = np.full((T, S), None, dtype=object)
        trigger = np.full((T, S), None, dtype=object)
        reason = np.full((T, S), None, dtype=object)
        episode = np.full((T, S), None, dtype=object)
        episode_start = np.full((T, S), None, dtype=object)
        episode_baseline = np.full((T, S), np.nan)
        episode_direction = np.full((T, S), None, dtype=object)

        for t in range(T):
            for j in self.rebases.get(t, ()):
                # New normal: the level around today is the baseline from here on; evidence starts again.
                start[j] = max(0, t - 6)
                c_up[j] = c_down[j] = 0.0
                shock_run[j] = 0
                usable[start[j]:t, j] = ~np.isnan(self.v[start[j]:t, j]) & (self.gates[start[j]:t, j] == None)  # noqa: E711
                if ep_open[j]:
                    episode[t, j] = REBASED
                    self._close_episode(j, ep_open, ep_start, ep_base, ep_dir, ep_return)
            x = self.v[t]
            scored = ~np.isnan(x)
            gated = np.array([g is not None for g in self.gates[t]])
            for j in range(S):
                if not scored[j] and not gated[j]:
                    reason[t, j] = "no score published (insufficient data)"
                elif gated[j]:
                    reason[t, j] = str(self.gates[t, j])
            ok = scored & ~gated

            baseline, n_base, lagged = self._baseline(t, usable, start, near, far)
            # The normal variation is measured on deviations from the moving lagged baseline: a held baseline
            # would make a plateau of constant deviations look like no variation at all, and a baseline that
            # contains the day itself (just after a re-base) makes every deviation small.
            scale_dev[t] = np.where(ok & lagged & (n_base >= s.min_baseline_days), x - baseline, np.nan)
            if s.freeze_baseline:
                # While evidence builds, compare with the level from before it began: a slow slide would otherwise
                # drag its own baseline along and never add up.
                baseline = np.where(np.isnan(frozen), baseline, frozen)
            need = np.where(start > 0, s.relearn_days, s.learning_days)
            learning = ok & ((self._usable_since(t, usable, start) < need) | (n_base < s.min_baseline_days))
            d = np.where(ok & ~learning, x - baseline, np.nan)
            sigma, n_scale = self._sigma(t, scale_dev, dev_ok, start, last_sigma)
            z = d / sigma
            # Until the normal variation is measured on enough deviations, deviations are recorded (they will
            # measure it) but nothing is judged: a scale guessed from a few days would make every wiggle an alarm.
            learning = learning | (ok & (n_scale < s.min_scale_days))
            dev[t] = d
            evaluated = ok & ~learning
            d = np.where(evaluated, d, np.nan)
            lo_e = max(0, t - s.effect_days + 1)
            with np.errstate(all="ignore"):
                recent = np.where(np.isnan(dev[lo_e:t + 1]), d[None, :], dev[lo_e:t + 1])
                effect = np.where(evaluated, np.median(recent, axis=0), np.nan)

            half = self.delta * s.reference_fraction
            inc_up = np.where(evaluated, (d - half) / sigma, 0.0)
            inc_down = np.where(evaluated, (-d - half) / sigma, 0.0)
            c_up = np.where(evaluated, np.maximum(0.0, c_up + inc_up), c_up)
            c_down = np.where(evaluated, np.maximum(0.0, c_down + inc_down), c_down)
            floor = np.maximum(self.delta, s.min_effect_sigmas * sigma)
            building = (c_up > 0) | (c_down > 0)
            frozen = np.where(building, np.where(np.isnan(frozen), baseline, frozen), np.nan)
            held = np.where(building, held + 1, 0)
            stale = held > s.max_hold_days
            if stale.any():
                # Evidence that never reached an alarm in all that time is not a shift worth telling: compare with
                # the moving baseline again and start the evidence afresh.
                frozen[stale] = np.nan
                c_up[stale] = c_down[stale] = 0.0
                held[stale] = 0
            big = evaluated & (np.abs(d) >= self.delta)  # the shock rule has its own two-day persistence
            shock_today = big & (np.abs(z) >= s.shock_z)
            sign_today = np.sign(np.nan_to_num(d))
            shock_run = np.where(shock_today & (np.sign(shock_run) == sign_today), shock_run + sign_today,
                                 np.where(shock_today, sign_today, 0)).astype(int)
            shock_alarm = np.abs(shock_run) >= s.shock_days
            slide_dir, slide_base = self._slide(t, usable, start, ok)
            slide_dir = np.where(evaluated, slide_dir, 0)

            for j in range(S):
                if ep_open[j] and ok[j]:
                    # Inside an episode the question is only whether the score came back to its old normal.
                    rel = x[j] - ep_base[j]
                    back = abs(rel) < s.return_fraction * self.delta[j] or np.sign(rel) == -ep_dir[j]
                    ep_return[j] = ep_return[j] + 1 if back else 0
                    episode[t, j] = OPEN
                    if ep_return[j] >= s.return_days:
                        episode[t, j] = RETURNED
                        self._close_episode(j, ep_open, ep_start, ep_base, ep_dir, ep_return)
                    elif t - ep_start[j] >= s.max_episode_days:
                        episode[t, j] = EXPIRED
                        self._close_episode(j, ep_open, ep_start, ep_base, ep_dir, ep_return)
                        start[j] = max(0, t - 6)
                        usable[start[j]:t, j] = (~np.isnan(self.v[start[j]:t, j])
                                                 & (self.gates[start[j]:t, j] == None))  # noqa: E711
                        c_up[j] = c_down[j] = 0.0
                elif ep_open[j]:
                    episode[t, j] = OPEN
                if ep_open[j] or episode[t, j] in (RETURNED, EXPIRED, REBASED):
                    episode_start[t, j] = self.days[ep_start[j]].date() if ep_start[j] >= 0 else None
                    episode_baseline[t, j] = ep_base[j]
                    episode_direction[t, j] = {1: UP, -1: DOWN}.get(int(ep_dir[j]))

            for j in range(S):
                if not ok[j]:
                    event[t, j] = DATA_QUALITY
                elif learning[j]:
                    event[t, j] = LEARNING
                    reason[t, j] = (f"learning: {self._usable_since(t, usable, start)[j]} of "
                                    f"{need[j]} days of history")
                if not evaluated[j]:
                    continue
                cusum_up = c_up[j] > s.cusum_h and effect[j] >= floor[j]
                cusum_down = c_down[j] > s.cusum_h and effect[j] <= -floor[j]
                up_alarm = cusum_up or (shock_alarm[j] and d[j] > 0) or slide_dir[j] > 0
                down_alarm = cusum_down or (shock_alarm[j] and d[j] < 0) or slide_dir[j] < 0
                watch_up = c_up[j] > s.cusum_h * s.watch_fraction and effect[j] >= floor[j]
                watch_down = c_down[j] > s.cusum_h * s.watch_fraction and effect[j] <= -floor[j]
                if up_alarm or down_alarm:
                    sign = 1 if up_alarm else -1
                    event[t, j] = ALERT
                    direction[t, j] = UP if sign > 0 else DOWN
                    by_cusum = cusum_up if sign > 0 else cusum_down
                    by_shock = shock_alarm[j] and np.sign(d[j]) == sign
                    trigger[t, j] = "cusum" if by_cusum else "shock" if by_shock else "slide"
                    if not ep_open[j]:
                        ep_open[j] = True
                        ep_start[j] = t
                        # A slide is measured against the level before it began, which the lagged baseline has
                        # partly followed: the episode returns when the score is back at that earlier level.
                        ep_base[j] = slide_base[j] if trigger[t, j] == "slide" else baseline[j]
                        ep_dir[j] = sign
                        ep_return[j] = 0
                        episode[t, j] = OPEN
                        episode_start[t, j] = self.days[t].date()
                        episode_baseline[t, j] = ep_base[j]
                        episode_direction[t, j] = direction[t, j]
                    c_up[j] = c_down[j] = 0.0
                    shock_run[j] = 0
                    frozen[j] = np.nan
                elif watch_up or watch_down:
                    event[t, j] = WATCH
                    direction[t, j] = UP if watch_up else DOWN
                    trigger[t, j] = "cusum"

            usable[t] = ok & ~ep_open
            dev_ok[t] = ~np.isnan(scale_dev[t]) & ~ep_open & (episode[t] == None)  # noqa: E711
            out["baseline"][t] = baseline
            out["deviation"][t] = d
            out["sigma"][t] = np.where(ok, sigma, np.nan)
            out["z"][t] = z
            out["cusum_up"][t] = np.where(ok, c_up, np.nan)
            out["cusum_down"][t] = np.where(ok, c_down, np.nan)

        frame = pd.DataFrame({
            "as_of": np.repeat(self.days.values, S),
            "series": np.tile(np.asarray(self.series, dtype=object), T),
            "score": self.v.reshape(-1),
            "coverage": np.nan,
            **{name: arr.reshape(-1) for name, arr in out.items()},
            "min_effect": np.tile(self.delta, T),
            "event": event.reshape(-1),
            "direction": direction.reshape(-1),
            "trigger": trigger.reshape(-1),
            "reason": reason.reshape(-1),
            "episode": episode.reshape(-1),
            "episode_start": episode_start.reshape(-1),
            "episode_baseline": episode_baseline.reshape(-1),
            "episode_direction": episode_direction.reshape(-1),
        })
        return frame[list(OUTPUT_COLUMNS)]

    @staticmethod
    def _close_episode(j, ep_open, ep_start, ep_base, ep_dir, ep_return) -> None:
        ep_open[j] = False
        ep_return[j] = 0

    @staticmethod
    def _usable_since(t: int, usable: np.ndarray, start: np.ndarray) -> np.ndarray:
        rows = np.arange(t)
        return (usable[:t] & (rows[:, None] >= start[None, :])).sum(axis=0)

    def _baseline(self, t: int, usable: np.ndarray, start: np.ndarray, near: int, far: int):
        S = usable.shape[1]
        lo, hi = max(0, t - far), max(0, t - near + 1)
        rows = np.arange(lo, hi)
        mask = usable[lo:hi] & (rows[:, None] >= start[None, :])
        base, n = _masked_median(self.v[lo:hi], mask)
        lagged = np.ones(S, dtype=bool)
        for j in range(S):
            if self.seasonal[j]:
                idx = np.array([p for q in range(1, 5) for o in range(-3, 4)
                                if (p := self.position.get((self.quarter[t] - q, self.quarter_day[t] + o))) is not None],
                               dtype=int)
            elif t - near < start[j]:
                # Just after a re-base the lagged window is empty: the new level itself is the normal.
                idx = np.arange(start[j], t)
                lagged[j] = False
            else:
                continue
            idx = idx[(idx >= start[j]) & (idx < t)]
            keep = idx[usable[idx, j]]
            n[j] = len(keep)
            base[j] = float(np.median(self.v[keep, j])) if len(keep) else np.nan
        return base, n, lagged

    def _slide(self, t: int, usable: np.ndarray, start: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The slide rule: the level of the last 14 days and of `slide_blocks` earlier blocks, `slide_gap_days`
        apart, all in one order and spanning at least `slide_points`. A move that slow keeps pace with the lagged
        baseline (the deviation never reaches the minimum effect), while noise wanders back and forth and rarely
        passes five levels in order. Returns the direction per series (+1, -1, 0) and the oldest block's level."""
        s = self.s
        S = usable.shape[1]
        none = np.zeros(S, dtype=int), np.full(S, np.nan)
        if s.slide_points is None:
            return none
        lo_now = max(0, t - 13)
        rows = np.arange(lo_now, t + 1)
        now_mask = np.vstack([usable[lo_now:t], ok[None, :]]) & (rows[:, None] >= start[None, :])
        level, n_now = _masked_median(self.v[lo_now:t + 1], now_mask)
        levels = [level]
        enough = n_now >= 10
        for k in range(1, s.slide_blocks + 1):
            hi = t - k * s.slide_gap_days + 1
            lo = hi - s.slide_block_days
            if lo < 0:
                return none
            block_rows = np.arange(lo, hi)
            med, n = _masked_median(self.v[lo:hi], usable[lo:hi] & (block_rows[:, None] >= start[None, :]))
            enough &= n >= (2 * s.slide_block_days) // 3
            levels.append(med)
        stacked = np.vstack(levels)                       # newest first
        steps = np.diff(stacked, axis=0)                  # earlier minus later level
        with np.errstate(invalid="ignore"):
            down = (steps > 0).all(axis=0) & (stacked[-1] - stacked[0] >= s.slide_points)
            up = (steps < 0).all(axis=0) & (stacked[0] - stacked[-1] >= s.slide_points)
        direction = np.where(enough & up, 1, np.where(enough & down, -1, 0))
        return direction, stacked[-1]

    def _sigma(self, t: int, dev: np.ndarray, dev_ok: np.ndarray, start: np.ndarray,
               last_sigma: np.ndarray) -> np.ndarray:
        s = self.s
        lo = max(0, t - s.scale_window_days)
        sigma, n = _masked_mad(dev[lo:t], dev_ok[lo:t])
        sigma = np.where(n >= s.min_scale_days, sigma, last_sigma)
        missing = np.isnan(sigma)
        if missing.any():
            # Until the deviations themselves are known, the scores' own spread is the best guess of normal variation.
            rows = np.arange(lo, t)
            hist_sigma, hist_n = _masked_mad(self.v[lo:t], (rows[:, None] >= start[None, :]) & ~np.isnan(self.v[lo:t]))
            sigma = np.where(missing & (hist_n >= s.min_scale_days), hist_sigma, sigma)
        sigma = np.maximum(np.nan_to_num(sigma, nan=s.sigma_floor_points), s.sigma_floor_points)
        last_sigma[:] = sigma
        return sigma, n


def _masked_median(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise median of the values where `mask` holds (NaN for an empty column), and the counts."""
    mask = mask & ~np.isnan(values)
    n = mask.sum(axis=0)
    if values.shape[0] == 0:
        return np.full(values.shape[1], np.nan), n
    # Sorting puts the left-out values (NaN) last, so the median sits at the middle of the first n of each column
    # (much faster than np.nanmedian, which goes through masked arrays for short columns).
    data = np.sort(np.where(mask, values, np.nan), axis=0)
    lo = np.clip((n - 1) // 2, 0, None)[None, :]
    hi = np.clip(n // 2, 0, None)[None, :]
    med = 0.5 * (np.take_along_axis(data, lo, axis=0)[0] + np.take_along_axis(data, hi, axis=0)[0])
    return np.where(n > 0, med, np.nan), n


def _masked_mad(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise 1.4826 * median absolute deviation where `mask` holds, and the counts."""
    med, n = _masked_median(values, mask)
    mad, _ = _masked_median(np.abs(values - med[None, :]), mask)
    return MAD_TO_SIGMA * mad, n


def onset(days: pd.DatetimeIndex, values: np.ndarray, *, min_segment: int = 2) -> pd.Timestamp | None:
    """The most likely day a change began within `values`: the best least-squares fit of two shapes over every
    split day, a **step** (constant, then another constant: the l2 cost of PELT with one change point) and a
    **slide** (constant, then a straight line starting from that constant: a hinge). Scores on rolling windows turn
    a sudden change in the programme into a slide as long as the signals' windows, so a step model alone dates a
    slide near its middle; the hinge dates it at its knee. The shape with the smaller residual wins. None when
    there are too few values."""
    x = np.asarray(values, dtype=float)
    keep = ~np.isnan(x)
    x, days = x[keep], days[keep]
    n = len(x)
    if n < 2 * min_segment:
        return None
    idx = np.arange(min_segment, n - min_segment + 1)
    c1 = np.cumsum(x)
    c2 = np.cumsum(x * x)
    left = c2[idx - 1] - c1[idx - 1] ** 2 / idx
    right_sum = c1[-1] - c1[idx - 1]
    right = (c2[-1] - c2[idx - 1]) - right_sum ** 2 / (n - idx)
    step_cost = left + right
    slide_cost = _hinge_costs(x, idx)
    i_step, i_slide = int(np.argmin(step_cost)), int(np.argmin(slide_cost))
    best = idx[i_step] if step_cost[i_step] <= slide_cost[i_slide] else idx[i_slide]
    return pd.Timestamp(days[best])


def _hinge_costs(x: np.ndarray, splits: np.ndarray) -> np.ndarray:
    """Residual sum of squares of x ~ a + b * max(0, t - k) for each split k (all splits in one matrix pass)."""
    n = len(x)
    t = np.arange(n, dtype=float)
    ramp = np.maximum(0.0, t[None, :] - splits[:, None].astype(float))      # (splits, n)
    s_r = ramp.sum(axis=1)
    s_rr = (ramp * ramp).sum(axis=1)
    s_rx = ramp @ x
    s_x, s_xx = x.sum(), float(x @ x)
    # Normal equations of the two-parameter regression, solved in closed form per split.
    det = n * s_rr - s_r * s_r
    with np.errstate(all="ignore"):
        b = np.where(det > 0, (n * s_rx - s_r * s_x) / det, 0.0)
    a = (s_x - b * s_r) / n
    return s_xx - 2 * a * s_x - 2 * b * s_rx + n * a * a + 2 * a * b * s_r + b * b * s_rr


def explain_change(before: Mapping[str, float], after: Mapping[str, float],
                   weights: Mapping[str, float]) -> tuple[dict[str, float], float]:
    """Split the change of a weighted-mean score between two days into each signal's contribution and the effect of
    coverage (signals appearing or disappearing), in points; the parts add up to the change exactly.

    `before` / `after`: {signal: score} of the signals present on each day; `weights`: {signal: weight}.
    """
    w_b = sum(weights[s] for s in before)
    w_a = sum(weights[s] for s in after)
    if w_b <= 0 or w_a <= 0:
        return {}, 0.0
    s_b = sum(weights[s] * v for s, v in before.items()) / w_b
    s_a = sum(weights[s] * v for s, v in after.items()) / w_a
    both = [s for s in after if s in before]
    parts = {s: weights[s] * (after[s] - before[s]) / w_a for s in both}
    coverage = (s_a - s_b) - sum(parts.values())
    return parts, coverage
