"""Metric cards: what a signal measures, for whom, and how, next to the function that computes it.

A card follows the CHAOSS / scoring_methods §4.1 template. Goalposts per stage live in `apex_model/model.yaml` (the one
reviewed scoring file); the card says why they are where they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from signals.context import SignalContext


@dataclass(frozen=True)
class SignalResult:
    """One value per as-of date, with the sample it rests on.

    - `value`: NaN where it cannot be computed.
    - `n`: the number of observations behind the value (deals, partners, responses ...), compared with the card's
      `min_n` to tell a value from noise.
    - `not_applicable`: True on dates where the signal does not apply to this organisation (e.g. no MDF programme).
    """

    value: np.ndarray
    n: np.ndarray
    not_applicable: np.ndarray | None = None


@dataclass(frozen=True)
class Freshness:
    """A signal is stale when its newest evidence (`table.column` on or before D) is older than `max_age_days`."""

    table: str
    column: str
    max_age_days: int


@dataclass(frozen=True)
class MetricCard:
    id: str
    dimension: str
    name_en: str
    name_nl: str
    question: str
    definition: str
    formula: str
    unit: Literal["share", "ratio", "count", "days", "hours", "score", "per_partner", "per_10_partners"]
    direction: Literal["higher", "lower"]
    window_days: int | None
    attribution: str
    min_n: int
    data_needed: tuple[str, ...]
    level: Literal["ecosystem", "partner"]
    not_applicable: str
    biases: str
    goalpost_reason: str
    compute: Callable[["SignalContext"], SignalResult] = field(repr=False, compare=False)
    freshness: Freshness | None = None
    # Partner level: what one partner's value means, and the function giving it per (as_of, partner) for the
    # partners in the programme on each date (columns as_of, partner_id, value, n). Set by `partner_values`.
    partner_value: str = ""
    partner_compute: Callable[["SignalContext"], "pd.DataFrame"] | None = field(default=None, repr=False,
                                                                               compare=False)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"
