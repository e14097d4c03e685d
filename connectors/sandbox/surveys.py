"""Quick-scan survey answers for a sandbox organisation, so the demo shows perception gaps.

The APEX frame warns that organisations rate themselves higher than they are; leadership higher still than the
people who run the programme. The generated answers follow that: around the profile's maturity, leadership about one
point above it, operations about half a point above it, partners about at it, each answer rounded to the 1–5 scale.
Seeded: the same profile, day and seed give the same file. Writes the two formats `signals/survey_import.py` reads.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np

from connectors.sandbox.profile import SandboxProfile

DIMENSIONS = ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")
ROLE_BIAS = {"leadership": 1.0, "operations": 0.4, "partner": 0.0}
RESPONDENTS = {"leadership": 3, "operations": 5, "partner": 6}
ITEMS_PER_DIMENSION = 2


def survey_answers(org_id: str, profile: SandboxProfile, answered_on: date, seed_offset: int = 0) -> list[dict]:
    """One dict per answered item: respondent, role, date, item, value (1–5)."""
    rng = np.random.default_rng([profile.seed, 7919, seed_offset])
    base = 1.0 + 4.0 * (profile.maturity - 1) / 4.0      # maturity 1..5 on the 1–5 answer scale
    dim_offsets = rng.normal(0.0, 0.5, len(DIMENSIONS))
    rows = []
    for role, count in RESPONDENTS.items():
        for r in range(count):
            respondent = f"{org_id}-{role[0]}{r + 1:02d}"
            person = rng.normal(0.0, 0.3)
            for d, dim in enumerate(DIMENSIONS):
                for item in range(1, ITEMS_PER_DIMENSION + 1):
                    raw = base + ROLE_BIAS[role] + dim_offsets[d] + person + rng.normal(0.0, 0.5)
                    rows.append({"respondent": respondent, "role": role, "date": answered_on.isoformat(),
                                 "item": f"{dim}.{item}", "value": int(np.clip(np.rint(raw), 1, 5))})
    return rows


def write_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["respondent", "role", "date", "item", "value"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_form_json(path: Path, rows: list[dict]) -> Path:
    """The same answers as a form tool's JSON export (one response per respondent, role as a hidden field)."""
    responses: dict[str, dict] = {}
    for row in rows:
        resp = responses.setdefault(row["respondent"], {
            "respondent_id": row["respondent"], "submitted_at": f"{row['date']}T10:00:00Z",
            "hidden": {"role": row["role"]}, "answers": []})
        resp["answers"].append({"field": {"ref": row["item"]}, "type": "number", "number": row["value"]})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"form": {"id": "apex-quickscan", "scale": {"min": 1, "max": 5}},
                                "responses": list(responses.values())}, indent=1), encoding="utf-8")
    return path
