"""Writing enveloped records into `raw_<source>` and reading back how far each stream has landed."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from dbt_like_sql.schema import connector_cursors, raw_table
from dbt_like_sql.warehouse import insert_ignoring_duplicates

_BATCH = 20_000


def land(engine: sa.Engine, source: str, records: pd.DataFrame) -> int:
    """Insert enveloped record versions; versions already landed are skipped. Returns the number of new versions.

    The payload lands as the JSON text `connectors.envelope.envelope` serialised to hash it (`payload_json`), so no
    payload is serialised twice; a frame without that column has its payloads serialised here."""
    if records.empty:
        return 0
    table = raw_table(source)
    if "payload_json" in records.columns:
        records = records.drop(columns="payload").rename(columns={"payload_json": "payload"})
    else:
        records = records.assign(payload=[json.dumps(p, ensure_ascii=False) for p in records["payload"]])
    columns = list(records.columns)
    # plain Python values row by row (what `to_dict("records")` gives, without its per-cell boxing)
    values = [records[c].astype(object).where(records[c].notna(), None).tolist()
              if records[c].dtype.kind in "Mm" else records[c].tolist() for c in columns]
    rows = [dict(zip(columns, row)) for row in zip(*values)]
    inserted = 0
    with engine.begin() as conn:
        for start in range(0, len(rows), _BATCH):
            inserted += insert_ignoring_duplicates(conn, table, rows[start:start + _BATCH], json_text=("payload",))
    return inserted


def landed_until(engine: sa.Engine, source: str, org_id: str) -> dict[str, pd.Timestamp]:
    """Per stream, the latest `source_updated_at` landed for an organisation (the sandbox's incremental cursor)."""
    table = raw_table(source)
    query = (sa.select(table.c.stream, sa.func.max(table.c.source_updated_at))
             .where(table.c.org_id == org_id).group_by(table.c.stream))
    with engine.connect() as conn:
        return {stream: pd.Timestamp(latest) for stream, latest in conn.execute(query).all()}


def has_versions(engine: sa.Engine, source: str, org_id: str, stream: str) -> bool:
    """Whether any version of the stream has landed for the organisation."""
    table = raw_table(source)
    query = sa.select(table.c.source_id).where(table.c.org_id == org_id, table.c.stream == stream).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def raw_counts(engine: sa.Engine, source: str, org_id: str) -> dict[str, int]:
    table = raw_table(source)
    query = (sa.select(table.c.stream, sa.func.count()).where(table.c.org_id == org_id).group_by(table.c.stream))
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def read_cursor(engine: sa.Engine, org_id: str, source: str, stream: str) -> str | None:
    """The stream's incremental cursor (None before its first page landed)."""
    t = connector_cursors
    with engine.connect() as conn:
        return conn.execute(sa.select(t.c.cursor).where(t.c.org_id == org_id, t.c.source == source,
                                                        t.c.stream == stream)).scalar_one_or_none()


def save_cursor(engine: sa.Engine, org_id: str, source: str, stream: str, cursor: str) -> None:
    """Store the cursor; call only after the rows it covers are committed."""
    t = connector_cursors
    now = pd.Timestamp.now(tz="UTC").tz_convert(None).to_pydatetime()
    key = (t.c.org_id == org_id) & (t.c.source == source) & (t.c.stream == stream)
    with engine.begin() as conn:
        if conn.execute(sa.update(t).where(key).values(cursor=cursor, updated_at=now)).rowcount == 0:
            conn.execute(sa.insert(t).values(org_id=org_id, source=source, stream=stream, cursor=cursor,
                                             updated_at=now))


def cursors(engine: sa.Engine, org_id: str, source: str) -> dict[str, str]:
    t = connector_cursors
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(t.c.stream, t.c.cursor).where(t.c.org_id == org_id,
                                                                         t.c.source == source)).all())
