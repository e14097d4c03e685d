"""Landing raw versions: the count of new versions comes from the insert itself (no `count(*)`), and a payload
serialised once to hash it is stored as that text and reads back as the same JSON, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors.envelope import envelope
from dbt_like_sql.landing import land
from dbt_like_sql.schema import ensure_tables, raw_table
from dbt_like_sql.warehouse import insert_ignoring_duplicates, make_engine

FETCHED = datetime(2026, 3, 1, 6, 0)
PAYLOADS = {
    "A": {"name": "Zürich Ökosystem ✓", "amount": 1234.5, "nested": {"z": [1, None, "x"], "a": True}, "none": None},
    "B": {"name": "plain", "amount": 0, "list": []},
    "C": {"text": "quote \" and backslash \\ and newline \n", "big": 12345678901234567890},
}


def _versions(ids: list[str], when: str = "2025-01-10T09:00:00Z", deleted: bool = False) -> pd.DataFrame:
    return pd.DataFrame([{"source_id": i, "source_updated_at": pd.Timestamp(when), "is_deleted": deleted,
                          "payload": PAYLOADS[i]} for i in ids])


def _land(engine, ids, **kw) -> int:
    return land(engine, "crossbeam", envelope("acme", "overlaps", _versions(ids, **kw), fetched_at=FETCHED,
                                              connector_version="test/1"))


def _stored(engine) -> dict[str, object]:
    table = raw_table("crossbeam")
    with engine.connect() as conn:
        return {sid: payload for sid, payload in conn.execute(sa.select(table.c.source_id, table.c.payload))}


def test_counts_only_new_versions_and_payloads_read_back_equal(engine) -> None:
    ensure_tables(engine)
    assert _land(engine, ["A", "B"]) == 2
    assert _land(engine, ["A", "B", "C"]) == 1            # two already there
    assert _land(engine, ["A", "B", "C"]) == 0
    assert _land(engine, ["C"], deleted=True) == 1         # a deletion is a new version (its hash differs)
    assert _land(engine, ["C"], when="2025-02-01T00:00:00Z") == 1
    assert _stored(engine) == PAYLOADS
    table = raw_table("crossbeam")
    extract = table.c.payload["name"].as_string()   # SQL reads the stored text as JSON (json_extract / ->>)
    with engine.connect() as conn:
        assert conn.execute(sa.select(extract).where(table.c.source_id == "A")).scalar_one() == PAYLOADS["A"]["name"]
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 5


def test_a_key_twice_in_one_batch_counts_once(engine) -> None:
    ensure_tables(engine)
    records = envelope("acme", "overlaps", _versions(["A", "A", "B"]), fetched_at=FETCHED, connector_version="t/1")
    assert land(engine, "crossbeam", records) == 2


def test_count_without_prepared_json_and_with_rows_already_there(engine) -> None:
    """The generic insert (no JSON text) inside one transaction that already holds rows."""
    ensure_tables(engine)
    table = raw_table("crossbeam")
    row = {"org_id": "acme", "stream": "s", "source_updated_at": FETCHED, "fetched_at": FETCHED,
           "connector_version": "v", "is_deleted": False, "payload": {"k": 1}}
    with engine.begin() as conn:
        assert insert_ignoring_duplicates(conn, table, [row | {"source_id": str(i), "payload_hash": "h"}
                                                        for i in range(3)]) == 3
        assert insert_ignoring_duplicates(conn, table, [row | {"source_id": str(i), "payload_hash": "h"}
                                                        for i in range(1, 6)]) == 3
        assert insert_ignoring_duplicates(conn, table, []) == 0
    assert _stored(engine)["4"] == {"k": 1}


@pytest.mark.postgres
def test_driver_without_summed_rowcount_counts_returned_rows(pg_schema_url) -> None:
    """psycopg2 (not the driver we configure, but installed): the count comes from RETURNING."""
    engine = make_engine(pg_schema_url.replace("postgresql+psycopg://", "postgresql+psycopg2://"))
    try:
        assert engine.dialect.driver == "psycopg2"
        ensure_tables(engine)
        assert _land(engine, ["A", "B"]) == 2
        assert _land(engine, ["A", "B", "C"]) == 1
        assert _stored(engine) == PAYLOADS
    finally:
        engine.dispose()
