"""Seeded randomness and calendar helpers shared by every generator module.

Every random draw comes from a generator seeded by (profile seed, component, block), where a block is one calendar
month (block 0 is the programme's state before `history_start`). A month's draws therefore never depend on how far
the history runs, which is what keeps the data of a day identical whatever `end` is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

# Fixed codes, never renumbered: renumbering would change every organisation's data.
_COMPONENTS = {
    "quality": 1, "population": 2, "names": 3, "governance": 4, "engagement": 5, "deals": 6, "registrations": 7,
    "opportunities": 8, "tagging": 9, "campaigns": 10, "mdf": 11, "agreements": 12, "targets": 13, "plans": 14,
    "training": 15, "certifications": 16, "tickets": 17, "activities": 18, "surveys": 19, "logins": 20,
    "tiers": 21, "churn": 22, "onboarding": 23, "lags": 24, "roles": 25,
}

DAY = np.timedelta64(1, "D")
SECONDS_PER_DAY = 86_400


def block_rng(seed: int, component: str, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, _COMPONENTS[component], block]))


def to_day(value: date | np.datetime64) -> np.datetime64:
    return np.datetime64(value, "D")


@dataclass(frozen=True)
class Block:
    """One calendar month of simulation: days [start, stop). The first block starts at history_start."""

    index: int          # year * 12 + month - 1: absolute, so it does not depend on history_start
    start: np.datetime64
    stop: np.datetime64
    month_start: np.datetime64

    @property
    def days(self) -> int:
        return int((self.stop - self.start) / DAY)

    @property
    def month(self) -> int:
        return self.index % 12 + 1

    @property
    def quarter_start(self) -> bool:
        return self.month in (1, 4, 7, 10)

    @property
    def mid(self) -> np.datetime64:
        return self.start + np.timedelta64(self.days // 2, "D")

    @property
    def label(self) -> str:
        return f"{self.index // 12}{self.month:02d}"


def month_start(day: np.datetime64) -> np.datetime64:
    return day.astype("datetime64[M]").astype("datetime64[D]")


def quarter_start(day: np.datetime64) -> np.datetime64:
    month = day.astype("datetime64[M]")
    m = int(month.astype(np.int64)) % 12
    return (month - np.timedelta64(m % 3, "M")).astype("datetime64[D]")


def add_months(day: np.datetime64, months: int) -> np.datetime64:
    return (day.astype("datetime64[M]") + np.timedelta64(months, "M")).astype("datetime64[D]")


def blocks(start: np.datetime64, end: np.datetime64) -> list[Block]:
    """Calendar-month blocks covering [start, end]; the last block is whole, truncation happens later."""
    out = []
    month = start.astype("datetime64[M]")
    while month.astype("datetime64[D]") <= end:
        first = month.astype("datetime64[D]")
        stop = (month + np.timedelta64(1, "M")).astype("datetime64[D]")
        index = int(month.astype(np.int64)) + 1970 * 12
        out.append(Block(index, max(first, start), stop, first))
        month = month + np.timedelta64(1, "M")
    return out


def random_days(rng: np.random.Generator, start, stop, size: int | None = None) -> np.ndarray:
    """Uniform days in [start, stop) (element-wise when start/stop are arrays)."""
    start = np.asarray(start, dtype="datetime64[D]")
    span = np.maximum((np.asarray(stop, dtype="datetime64[D]") - start).astype(np.int64), 1)
    shape = size if size is not None else np.broadcast(start, span).shape
    return start + (rng.random(shape) * span).astype(np.int64).astype("timedelta64[D]")


def business_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A time of day in office hours (07:30-18:30 UTC) on each day, as datetime64[s]."""
    days = np.asarray(days, dtype="datetime64[D]")
    seconds = (27_000 + rng.random(days.shape) * 39_600).astype(np.int64)
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def entry_lag(rng: np.random.Generator, size: int) -> np.ndarray:
    """Days between a business change and its entry in the system: 0 for most, 1-2 for some (timedelta64[s])."""
    lag = rng.choice(np.array([0, 1, 2]), size=size, p=[0.72, 0.2, 0.08])
    return (lag * SECONDS_PER_DAY).astype("timedelta64[s]")


def lognormal(rng: np.random.Generator, median, sigma, size: int) -> np.ndarray:
    """Lognormal draws with the given median (scalar or per draw) and log-sd."""
    return np.asarray(median, dtype=np.float64) * np.exp(np.asarray(sigma) * rng.standard_normal(size))


def days_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(b, dtype="datetime64[D]") - np.asarray(a, dtype="datetime64[D]")).astype(np.int64)


def to_days(values: np.ndarray) -> np.ndarray:
    """Round float day counts to whole-day timedeltas."""
    return np.rint(values).astype(np.int64).astype("timedelta64[D]")
