"""Tiny canonical tables for hand-worked signal tests: every table, typed as `read_table` types it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbt_like_sql.project import default_project
from signals.card import SignalResult
from signals.compute import compute_signals
from signals.context import CANONICAL_TABLES, SignalContext
from signals.registry import catalogue

ORG = "tiny-org"


def frame(table: str, rows: list[dict] | None = None) -> pd.DataFrame:
    """A canonical table with its declared columns; missing columns are null; dates parsed like `read_table`."""
    spec = default_project().by_name[table].spec
    data = pd.DataFrame(rows or [], columns=[c.name for c in spec.columns])
    data["org_id"] = ORG
    for col in spec.columns:
        if col.type in ("date", "timestamp"):
            data[col.name] = pd.to_datetime(data[col.name])
            if col.type == "date":
                data[col.name] = data[col.name].dt.normalize()
        elif col.type == "boolean":
            data[col.name] = data[col.name].astype("boolean")
        elif col.type in ("float", "integer"):
            data[col.name] = pd.to_numeric(data[col.name]).astype(float)
        else:
            data[col.name] = data[col.name].astype(object)
    return data


def context(dates, **tables: list[dict]) -> SignalContext:
    """A context over `dates` with the given rows per table and every other canonical table empty."""
    loaded = {name: frame(name, tables.get(name)) for name in CANONICAL_TABLES}
    unknown = set(tables) - set(CANONICAL_TABLES)
    assert not unknown, unknown
    return SignalContext(ORG, np.array(dates if isinstance(dates, list) else [dates], dtype="datetime64[D]"),
                         tables=loaded)


def run(signal_id: str, ctx: SignalContext) -> SignalResult:
    return catalogue()[signal_id].compute(ctx)


def status(signal_id: str, ctx: SignalContext) -> list[str]:
    card = catalogue()[signal_id]
    return compute_signals(ctx, {signal_id: card})["status"].tolist()


def partners(*rows: tuple, tier: str | None = None) -> list[dict]:
    """Partner rows from (partner_id, onboarded_on[, churned_on]) tuples."""
    out = []
    for row in rows:
        pid, onboarded, *rest = row
        out.append({"partner_id": pid, "onboarded_on": onboarded, "churned_on": rest[0] if rest else None,
                    "partner_type": "reseller", "region": "emea", "tier": tier})
    return out


def versions(*rows: tuple) -> list[dict]:
    """partner_versions rows from (partner_id, valid_from, valid_to, tier, owner_id, exec_sponsor_id)."""
    return [{"partner_id": p, "valid_from": f, "valid_to": t, "tier": tier, "owner_id": owner,
             "exec_sponsor_id": sponsor, "status": "active"} for p, f, t, tier, owner, sponsor in rows]
