"""Writing enveloped records into `raw_<source>` and reading back how far each stream has landed."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dbt_like_sql.schema import raw_table
from dbt_like_sql.warehouse import insert_ignoring_duplicates

_BATCH = 20_000


def land(engine: sa.Engine, source: str, records: pd.DataFrame) -> int:
    """Insert enveloped record versions; versions already landed are skipped. Returns the number of new versions."""
    if records.empty:
        return 0
    table = raw_table(source)
    rows = records.to_dict("records")
    inserted = 0
    with engine.begin() as conn:
        for start in range(0, len(rows), _BATCH):
            inserted += insert_ignoring_duplicates(conn, table, rows[start:start + _BATCH])
    return inserted


def landed_until(engine: sa.Engine, source: str, org_id: str) -> dict[str, pd.Timestamp]:
    """Per stream, the latest `source_updated_at` landed for an organisation (the sandbox's incremental cursor)."""
    table = raw_table(source)
    query = (sa.select(table.c.stream, sa.func.max(table.c.source_updated_at))
             .where(table.c.org_id == org_id).group_by(table.c.stream))
    with engine.connect() as conn:
        return {stream: pd.Timestamp(latest) for stream, latest in conn.execute(query).all()}


def raw_counts(engine: sa.Engine, source: str, org_id: str) -> dict[str, int]:
    table = raw_table(source)
    query = (sa.select(table.c.stream, sa.func.count()).where(table.c.org_id == org_id).group_by(table.c.stream))
    with engine.connect() as conn:
        return dict(conn.execute(query).all())
