"""The latent quality of each APEX dimension over time: the truth the sandbox's behaviour is drawn from.

Grain: one value in [0, 1] per dimension and day. The level sets a base quality per dimension (plus a seeded
jitter of +-0.04 so two organisations at the same level differ a little), `quality_overrides` replace it exactly,
and events add piecewise-linear deltas. Quality is an analytic function of the profile and the date, never of the
generated data, so any module can ask for the quality on any day (past or future) without breaking determinism.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from connectors.sandbox.profile import SandboxEvent, SandboxProfile
from connectors.sandbox.randomness import block_rng, to_day

DIMENSIONS: tuple[str, ...] = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")
DIM = {name: i for i, name in enumerate(DIMENSIONS)}

# Base quality per level, in dimension order D1..D8 (the brief's level descriptions).
LEVEL_BASE: dict[int, tuple[float, ...]] = {
    1: (0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12),
    2: (0.29, 0.35, 0.29, 0.29, 0.29, 0.29, 0.35, 0.29),
    3: (0.48, 0.55, 0.55, 0.55, 0.44, 0.48, 0.55, 0.48),
    4: (0.70, 0.70, 0.70, 0.70, 0.72, 0.72, 0.70, 0.70),
    5: (0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90, 0.90),
}
JITTER = 0.04
BASE_CLIP = (0.02, 0.98)


@dataclass(frozen=True)
class _Shape:
    """An event's effect on one dimension: delta at day offsets `xs` (linear in between, 0 before the start)."""

    dim: int
    start: np.datetime64
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def effect(self, days: np.ndarray) -> np.ndarray:
        offset = (days - self.start).astype("timedelta64[D]").astype(np.float64)
        out = np.interp(offset, self.xs, self.ys, left=0.0, right=self.ys[-1])
        return np.where(offset < self.xs[0], 0.0, out)


def _ramp_knots(ramp: int) -> tuple[float, float]:
    # A zero ramp is a step on the start day itself; np.interp needs distinct knots.
    return (-1e-9, 0.0) if ramp == 0 else (0.0, float(ramp))


def event_shape(event: SandboxEvent) -> _Shape:
    start = to_day(event.start)
    if event.kind == "enablement_collapse":
        return _Shape(DIM["D4"], start, (0.0, 7.0), (0.0, -0.45))
    if event.kind == "governance_reorganisation":
        return _Shape(DIM["D2"], start, (0.0, 5.0, 95.0), (0.0, -0.35, 0.0))
    ramp = event.ramp_days or 0
    x0, x1 = _ramp_knots(ramp)
    delta = float(event.delta)
    if event.duration_days is None:
        return _Shape(DIM[event.dimension], start, (x0, x1), (0.0, delta))
    hold_end = x1 + event.duration_days
    back = hold_end + max(ramp, 1e-9)
    return _Shape(DIM[event.dimension], start, (x0, x1, hold_end, back), (0.0, delta, delta, 0.0))


class QualityModel:
    """q_d(t) for one profile. `at(days)` is vectorised: an array of numpy days in, an (n, 8) array out."""

    def __init__(self, profile: SandboxProfile):
        jitter = block_rng(profile.seed, "quality", 0).uniform(-JITTER, JITTER, len(DIMENSIONS))
        base = np.clip(np.asarray(LEVEL_BASE[profile.maturity]) + jitter, *BASE_CLIP)
        for name, value in (profile.quality_overrides or {}).items():
            base[DIM[name]] = value
        self.base = base
        self.shapes = tuple(event_shape(e) for e in profile.events)

    def at(self, days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, dtype="datetime64[D]")
        q = np.broadcast_to(self.base, (days.size, len(DIMENSIONS))).copy()
        for shape in self.shapes:
            q[:, shape.dim] += shape.effect(days.ravel())
        return np.clip(q, 0.0, 1.0).reshape(days.shape + (len(DIMENSIONS),))

    def dim(self, name: str, days: np.ndarray) -> np.ndarray:
        """Quality of one dimension on each of `days` (same shape as `days`)."""
        days = np.asarray(days, dtype="datetime64[D]")
        q = np.full(days.shape, self.base[DIM[name]], dtype=np.float64)
        for shape in self.shapes:
            if shape.dim == DIM[name]:
                q += shape.effect(days)
        return np.clip(q, 0.0, 1.0)

    def on(self, day: np.datetime64) -> dict[str, float]:
        """All eight dimensions on one day, by name."""
        row = self.at(np.array([day], dtype="datetime64[D]"))[0]
        return dict(zip(DIMENSIONS, row.tolist()))

    def truth(self, start: date, end: date) -> pd.DataFrame:
        """Daily latent quality from `start` to `end` inclusive: index `date`, columns D1..D8."""
        days = np.arange(to_day(start), to_day(end) + 1, dtype="datetime64[D]")
        frame = pd.DataFrame(self.at(days), columns=list(DIMENSIONS), index=pd.DatetimeIndex(days, name="date"))
        return frame
