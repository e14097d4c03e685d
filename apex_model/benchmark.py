"""Peer benchmark: each dimension's percentile within the organisation's stage cohort, anonymised.

Only in a deployment where at least `min_organisations` (default 5) organisations have scores on the day. The cohort
is the organisations whose dominant stage that day is the same; when that cohort has fewer than `min_cohort` members,
every scored organisation of the deployment is the cohort (`cohort` = "all"). The percentile is the mid-rank
percentile: 100 · (peers below + ½ · peers tied) / (cohort size − 1), over the other members only, so the lowest of
the cohort is 0, the highest 100, and one exactly in the middle 50. Nothing of another organisation leaves this
function except the cohort size: no id, no score.

Grain of the output: one row per (org_id, as_of, dimension) (and `overall`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_ORGANISATIONS = 5
MIN_COHORT = 5
COLUMNS = ["org_id", "as_of", "dimension", "cohort", "cohort_size", "percentile"]


def percentile_among(value: float, peers: np.ndarray) -> float:
    """Mid-rank percentile of `value` among `peers` (the other members of the cohort)."""
    peers = np.asarray(peers, dtype=float)
    if not len(peers):
        return float("nan")
    below = float(np.sum(peers < value - 1e-9))
    tied = float(np.sum(np.abs(peers - value) <= 1e-9))
    return 100.0 * (below + 0.5 * tied) / len(peers)


def peer_percentiles(scores: pd.DataFrame, stages: pd.DataFrame, min_organisations: int = MIN_ORGANISATIONS,
                     min_cohort: int = MIN_COHORT) -> pd.DataFrame:
    """Percentile per organisation, day and series.

    `scores`: org_id, as_of, dimension (D1..D8 or overall), score (NaN when insufficient: left out of the cohort).
    `stages`: org_id, as_of, stage (the day's dominant stage).
    """
    scored = scores.dropna(subset=["score"]).merge(stages, on=["org_id", "as_of"], how="inner")
    rows = []
    for (day, dim), part in scored.groupby(["as_of", "dimension"], sort=True):
        if part["org_id"].nunique() < min_organisations:
            continue
        for row in part.itertuples(index=False):
            same = part[part["stage"] == row.stage]
            cohort, label = (same, row.stage) if len(same) >= min_cohort else (part, "all")
            peers = cohort[cohort["org_id"] != row.org_id]["score"].to_numpy(float)
            rows.append({"org_id": row.org_id, "as_of": day, "dimension": dim, "cohort": label,
                         "cohort_size": int(len(cohort)), "percentile": round(percentile_among(row.score, peers), 2)})
    return pd.DataFrame(rows, columns=COLUMNS)
