"""Connecting to the warehouse (SQLite file by default, PostgreSQL in production) and dialect-aware writes.

Everything here takes an SQLAlchemy `Engine`; nothing reads the environment. URLs are written with an explicit driver
(`postgresql+psycopg://`), because SQLAlchemy 2.1 changes what plain `postgresql://` means (stack.md gotcha 2/3).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

_SQLITE_BUSY_TIMEOUT_S = 120


def make_engine(url: str) -> sa.Engine:
    """An engine for a warehouse URL; creates the folder of a SQLite file and sets pragmas for concurrent runs."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets the Dagster UI and BI tools read while a run writes.
            cursor.execute("pragma journal_mode=wal")
            cursor.execute("pragma synchronous=normal")
            # Checkpoint the WAL every ~40 MB instead of SQLite's ~4 MB: a sync landing 1,000-record pages hit a
            # checkpoint (with its fsyncs) every few pages, and repeated writes of the same index pages coalesce in a
            # larger WAL (landing 35 -> 25 ms per page of Crossbeam overlaps, the final checkpoint included).
            cursor.execute("pragma wal_autocheckpoint=10000")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def redact_url(url: str) -> str:
    """The URL with any password removed, for messages and metadata."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def dialect(engine_or_conn: sa.Engine | sa.Connection) -> str:
    return engine_or_conn.dialect.name


@contextmanager
def ddl_lock(conn: sa.Connection, name: str):
    """Serialise DDL between concurrent runs (two organisations refreshing at once)."""
    if dialect(conn) == "postgresql":
        conn.execute(sa.text("select pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
    yield


def insert_ignoring_duplicates(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping], *,
                               json_text: Collection[str] = ()) -> int:
    """Insert rows, skipping those whose primary key exists. Returns the number of rows actually inserted.

    `json_text` names JSON columns whose values in `rows` are already JSON text (the caller serialised them once, to
    hash them): they are bound as text and stored as they are, instead of being serialised a second time.

    The count is the driver's row count of the executemany (rows an `ON CONFLICT DO NOTHING` skipped are not counted;
    SQLite and psycopg both sum it over the batch; `preserve_rowcount` keeps it past SQLAlchemy's closing of the
    cursor), not a `count(*)` before and after, which scans the whole table twice per page.
    """
    if not rows:
        return 0
    if dialect(conn) == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect(conn) == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported warehouses are tested
        raise ValueError(f"unsupported warehouse dialect {dialect(conn)!r}")
    if json_text:
        stmt = stmt.values({c: _json_text_param(conn, c) for c in json_text})
        rows = [{(f"{k}{_JSON_TEXT}" if k in json_text else k): v for k, v in row.items()} for row in rows]
    stmt = stmt.on_conflict_do_nothing()
    if conn.dialect.driver not in _SUMMED_ROWCOUNT:   # e.g. psycopg2: count the rows RETURNING gives back
        return len(conn.execute(stmt.returning(*table.primary_key.columns), list(rows)).all())
    count = conn.execution_options(preserve_rowcount=True).execute(stmt, list(rows)).rowcount
    if count < 0:   # pragma: no cover - the drivers above always report it; never guess a count
        raise RuntimeError(f"driver {conn.dialect.driver!r} reported no row count for an insert")
    return count


_JSON_TEXT = "__json_text"
# drivers whose executemany row count is the sum over all parameter sets (psycopg 3 since 3.1, sqlite3 always)
_SUMMED_ROWCOUNT = ("pysqlite", "psycopg")


def _json_text_param(conn: sa.Connection, column: str):
    """A bind parameter for JSON text: SQLite stores the text (its JSON is text); PostgreSQL casts it to jsonb."""
    param = sa.bindparam(f"{column}{_JSON_TEXT}", type_=sa.Text())
    return sa.cast(param, postgresql.JSONB()) if dialect(conn) == "postgresql" else param


def upsert(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping], key: Iterable[str]) -> None:
    """Insert rows, updating every non-key column where the key exists (idempotent writes of state)."""
    if not rows:
        return
    key = list(key)
    module = postgresql if dialect(conn) == "postgresql" else sqlite
    stmt = module.insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key}
    conn.execute(stmt.on_conflict_do_update(index_elements=key, set_=updates), list(rows))


def replace_partition_rows(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, *, org_id: str,
                           dates: Sequence, model_version: str) -> int:
    """Delete the (org, dates, model version) rows of an output table, then insert `frame`: idempotent reruns."""
    as_of = table.c.as_of
    conn.execute(
        sa.delete(table).where(table.c.org_id == org_id, table.c.model_version == model_version,
                               as_of.in_(list(dates)))
        if len(dates) <= 1000 else
        sa.delete(table).where(table.c.org_id == org_id, table.c.model_version == model_version,
                               as_of >= min(dates), as_of <= max(dates))
    )
    if frame.empty:
        return 0
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    conn.execute(sa.insert(table), records)
    return len(records)
