"""Which stage an organisation is in, per day, as a blend of the two nearest stages.

The position on the stage axis is log10(active partners) interpolated between the stages' anchors, then capped by
programme age: a programme younger than a stage's minimum age cannot sit in that stage, and the cap rises to the
next anchor over `stage_age_ramp_days`, so age never makes the weights jump either. A configured stage override
puts the whole weight on that stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from apex_model.model import DIMENSION_IDS, ApexModel


@dataclass(frozen=True)
class StageMix:
    """Per date: the position on the stage axis and each stage's share (rows sum to 1)."""

    dates: pd.DatetimeIndex
    position: np.ndarray          # 0 = first stage's anchor, 1 = second's, ...
    shares: pd.DataFrame          # index dates, one column per stage id

    @property
    def dominant(self) -> pd.Series:
        """The stage with the largest share on each date (ties go to the later stage)."""
        values = self.shares.to_numpy()
        reversed_argmax = values.shape[1] - 1 - np.argmax(values[:, ::-1], axis=1)
        return pd.Series(np.asarray(self.shares.columns)[reversed_argmax], index=self.dates)


def stage_position(model: ApexModel, active_partners: np.ndarray, programme_age_days: np.ndarray) -> np.ndarray:
    """Continuous stage position for each date (see the module docstring)."""
    anchors = np.log10([s.anchor_active_partners for s in model.stages])
    log_active = np.log10(np.maximum(np.asarray(active_partners, dtype=float), 1.0))
    position = np.interp(log_active, anchors, np.arange(len(anchors), dtype=float))
    age = np.asarray(programme_age_days, dtype=float)
    cap = np.zeros_like(age)
    for k, stage in enumerate(model.stages[1:], start=1):
        ramp = np.clip((age - stage.min_programme_age_days) / model.stage_age_ramp_days, 0.0, 1.0)
        cap = np.where(age >= stage.min_programme_age_days, np.maximum(cap, k - 1 + ramp), cap)
    return np.minimum(position, cap)


def stage_mix(
    model: ApexModel,
    dates: pd.DatetimeIndex,
    active_partners: np.ndarray,
    programme_age_days: np.ndarray,
    override: str | None = None,
) -> StageMix:
    """The stage blend per date, from the data or from a configured override."""
    n_stages = len(model.stages)
    if override is not None:
        index = model.stage_ids.index(model.stage(override).id)
        position = np.full(len(dates), float(index))
    else:
        position = stage_position(model, active_partners, programme_age_days)
    lower = np.clip(np.floor(position).astype(int), 0, n_stages - 1)
    upper = np.clip(lower + 1, 0, n_stages - 1)
    fraction = position - lower
    shares = np.zeros((len(dates), n_stages))
    rows = np.arange(len(dates))
    np.add.at(shares, (rows, lower), 1.0 - fraction)
    np.add.at(shares, (rows, upper), fraction)
    return StageMix(dates=dates, position=position, shares=pd.DataFrame(shares, index=dates, columns=model.stage_ids))


def dimension_weights(model: ApexModel, mix: StageMix) -> pd.DataFrame:
    """Per date, the eight dimension weights blended by stage share and normalised to sum to 1."""
    table = np.array([[stage.weights[d] for d in DIMENSION_IDS] for stage in model.stages])  # stages x dims
    blended = mix.shares.to_numpy() @ table
    blended = blended / blended.sum(axis=1, keepdims=True)
    return pd.DataFrame(blended, index=mix.dates, columns=list(DIMENSION_IDS))
