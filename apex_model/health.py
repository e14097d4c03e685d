"""Ecosystem health per date: overall score, stage, maturity with hysteresis, and what the next level needs.

Grain: one row per as-of date of one organisation. Pure: a function of the model, the dimension rows (including the
`maturity.history_days` before the first target, for hysteresis) and the stage mix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apex_model.aggregate import overall_scores
from apex_model.maturity import apply_hysteresis, capability_levels, describe_needs, diagnose, next_level_needs
from apex_model.model import DIMENSION_IDS, ApexModel
from apex_model.stages import StageMix, dimension_weights


def with_capability(model: ApexModel, dimensions: pd.DataFrame, mix: StageMix) -> pd.DataFrame:
    """Dimension rows with their capability level (0..4, null when insufficient) and stage-blended weight."""
    out = dimensions.copy()
    out["capability_level"] = pd.array(capability_levels(model, out["score"].to_numpy(float)), dtype="Float64") \
        .astype("Int64")
    weights = dimension_weights(model, mix).stack().rename("weight")
    weights.index = weights.index.set_names(["as_of", "dimension"])
    out = out.join(weights, on=["as_of", "dimension"])
    return out


def assess(model: ApexModel, dimensions: pd.DataFrame, mix: StageMix, targets: pd.DatetimeIndex, *,
           active_partners: np.ndarray, programme_age_days: np.ndarray, stage_source: str) -> pd.DataFrame:
    """Health rows for `targets`. `dimensions` covers the targets and any available history before them;
    `mix`, `active_partners` and `programme_age_days` are indexed like `targets`."""
    weights = dimension_weights(model, mix)
    target_dims = dimensions[dimensions["as_of"].isin(targets)]
    overall = overall_scores(model, target_dims, weights).set_index("as_of").reindex(targets)

    wide = dimensions.pivot(index="as_of", columns="dimension", values="score").reindex(columns=list(DIMENSION_IDS))
    wide = wide.sort_index()
    diagnosis = diagnose(model, wide.to_numpy(float))
    raw = pd.Series(diagnosis.raw_level.astype(float), index=wide.index)
    shortfall = pd.DataFrame(diagnosis.shortfall, index=wide.index)
    held = apply_hysteresis(model, raw, shortfall, targets)

    target_diagnosis = diagnosis.take(wide.index.get_indexer(targets))
    held_levels = held.to_numpy(dtype=int)
    needs = next_level_needs(model, target_diagnosis, held_levels)

    out = overall.reset_index()
    out["stage"] = mix.dominant.reindex(targets).to_numpy()
    out["stage_source"] = stage_source
    out["stage_position"] = np.asarray(mix.position)
    out["stage_shares"] = [{k: round(float(v), 4) for k, v in row.items()} for row in mix.shares.to_dict("records")]
    out["active_partners"] = np.asarray(active_partners, dtype=int)
    out["programme_age_days"] = np.asarray(programme_age_days, dtype=int)
    out["maturity_level"] = held_levels
    out["maturity_level_raw"] = target_diagnosis.raw_level
    out["maturity_provisional"] = target_diagnosis.provisional
    out["next_level_needs"] = needs
    out["next_level_en"] = [describe_needs(model, n, lv + 1, "en") for n, lv in zip(needs, held_levels)]
    out["next_level_nl"] = [describe_needs(model, n, lv + 1, "nl") for n, lv in zip(needs, held_levels)]
    return out
