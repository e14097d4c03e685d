"""The simulation's shared state: the profile, its quality, the partner population and the append-only logs.

Generator modules read the world and append rows to its logs month by month; nothing is ever rewritten in place,
later decisions (a churn, an abandoned plan) are logged as their own rows and resolved when the streams are built.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from connectors.sandbox.anchors import ANCHORS, anchor
from connectors.sandbox.profile import SandboxProfile
from connectors.sandbox.quality import QualityModel
from connectors.sandbox.randomness import block_rng, to_day
from connectors.sandbox.stages import STAGES, StageParams


class Log:
    """Append-only columnar rows: each append is a dict of equal-length arrays."""

    def __init__(self) -> None:
        self._parts: list[dict[str, np.ndarray]] = []

    def append(self, **columns: Any) -> None:
        arrays = {k: np.asarray(v) for k, v in columns.items()}
        if arrays and len(next(iter(arrays.values()))):
            self._parts.append(arrays)

    def __len__(self) -> int:
        return sum(len(next(iter(p.values()))) for p in self._parts)

    def column(self, name: str, dtype: Any = None) -> np.ndarray:
        if not self._parts:
            return np.empty(0, dtype=dtype or object)
        return np.concatenate([p[name] for p in self._parts])

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where `mask` (over all rows, in append order) is true."""
        if self._parts:
            merged = {k: np.concatenate([p[k] for p in self._parts]) for k in self._parts[0]}
            self._parts = [{k: v[mask] for k, v in merged.items()}]

    def frame(self, columns: list[str]) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pd.DataFrame({c: np.concatenate([p[c] for p in self._parts]) for c in columns})


@dataclass
class World:
    profile: SandboxProfile
    stage: StageParams
    quality: QualityModel
    history_start: np.datetime64
    logs: defaultdict[str, Log] = field(default_factory=lambda: defaultdict(Log))
    state: dict[str, Any] = field(default_factory=dict)  # per-module state, keyed by module
    partners: Any = None                                  # population.Population

    @classmethod
    def create(cls, profile: SandboxProfile) -> World:
        return cls(profile, STAGES[profile.stage], QualityModel(profile), to_day(profile.history_start))

    def rng(self, component: str, block: int) -> np.random.Generator:
        return block_rng(self.profile.seed, component, block)

    def q(self, dimension: str, days) -> np.ndarray:
        return self.quality.dim(dimension, days)

    def behaviour(self, name: str, days) -> np.ndarray:
        """The anchored behaviour `name` at its dimension's quality on `days`."""
        return anchor(name, self.q(ANCHORS[name].dimension, days), self.stage.name)
