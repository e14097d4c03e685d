"""Goalpost normalisation: a raw signal value to the model's 1..100 scale.

Fixed, versioned goalposts (HDI / COINr `n_goalposts`) instead of per-day min-max, so an organisation's score moves only
when its own data moves. With stage blending, a value is normalised under each stage's goalposts and the results are
mixed with the stage shares of that day, so crossing a stage boundary never makes a score jump.
"""

from __future__ import annotations

import numpy as np

from apex_model.model import ApexModel, Goalposts


def normalise(values: np.ndarray, goalposts: Goalposts, lo: float, hi: float) -> np.ndarray:
    """Map values to [lo, hi]: `floor` -> lo, `target` -> hi, linear between, clipped outside. NaN stays NaN.

    Works for both directions: with target < floor, smaller values score higher.
    """
    values = np.asarray(values, dtype=float)
    fraction = (values - goalposts.floor) / (goalposts.target - goalposts.floor)
    return lo + (hi - lo) * np.clip(fraction, 0.0, 1.0)


def normalise_blended(model: ApexModel, signal_id: str, values: np.ndarray, stage_shares: np.ndarray) -> np.ndarray:
    """Normalise one signal's values (one per date) under the stage mix of each date.

    `stage_shares` has one row per value and one column per model stage (rows sum to 1).
    """
    spec = model.signal(signal_id)
    values = np.asarray(values, dtype=float)
    shares = np.asarray(stage_shares, dtype=float)
    lo, hi = model.scale.min, model.scale.max
    out = np.zeros_like(values)
    for column, stage_id in enumerate(model.stage_ids):
        out += shares[:, column] * normalise(values, spec.goalposts[stage_id], lo, hi)
    out[np.isnan(values)] = np.nan
    return out
