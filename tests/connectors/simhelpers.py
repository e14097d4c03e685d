"""Helpers for the connector tests: small sandbox tenants, env credentials, and reading back what landed."""

from __future__ import annotations

import time
from datetime import date

import pandas as pd
import sqlalchemy as sa

from connectors.sandbox import SandboxProfile
from connectors.simulator import Tenant
from dbt_like_sql.schema import raw_table

PROFILE = SandboxProfile(stage="early_stage", maturity=2, seed=3, history_start=date(2026, 4, 1))
CLOCK = pd.Timestamp("2026-09-01", tz="UTC")


def tenant(name: str = "acme", credentials: dict | None = None, profile: SandboxProfile = PROFILE,
           clock=CLOCK) -> Tenant:
    return Tenant(name, profile, clock, credentials=credentials or {})


def fast_sleep(seconds: float) -> None:
    """Backoff waits shortened (the retry logic is unchanged; tests need not wait seconds)."""
    time.sleep(min(seconds, 0.02))


def landed(engine: sa.Engine, source: str, org_id: str) -> pd.DataFrame:
    t = raw_table(source)
    with engine.connect() as conn:
        return pd.read_sql(sa.select(t.c.stream, t.c.source_id, t.c.source_updated_at, t.c.is_deleted,
                                     t.c.payload_hash, t.c.payload).where(t.c.org_id == org_id), conn)


def latest_landed(engine: sa.Engine, source: str, org_id: str) -> pd.DataFrame:
    """The latest landed version of each record (what the warehouse believes the system holds)."""
    frame = landed(engine, source, org_id).sort_values(["stream", "source_id", "source_updated_at"])
    return frame.drop_duplicates(["stream", "source_id"], keep="last")


def native_index(objects: dict[str, list[dict]], streams) -> set[tuple]:
    """(stream, id, last-modified to the second, deleted) of every record the simulator holds."""
    return {(obj, str(r["_id"]), pd.Timestamp(r["_updated"]).tz_convert(None).floor("s"), bool(r["_deleted"]))
            for obj in streams for r in objects[obj]}


def landed_index(frame: pd.DataFrame) -> set[tuple]:
    return {(s, i, pd.Timestamp(u).floor("s"), bool(d))
            for s, i, u, d in zip(frame["stream"], frame["source_id"], frame["source_updated_at"], frame["is_deleted"])}
