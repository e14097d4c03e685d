"""Shared fixtures: warehouses on SQLite and on the local PostgreSQL server.

PostgreSQL tests are never skipped: `make test` starts the server and creates the role and database
(scripts/ensure_postgres.sh). Each test gets its own schema, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from dbt_like_sql.warehouse import make_engine

DEFAULT_TEST_PG_URL = "postgresql+psycopg://apex_test:apex_test@127.0.0.1:5432/apex_test"


def pg_url() -> str:
    return os.environ.get("TEST_PG_URL", DEFAULT_TEST_PG_URL)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/warehouse.sqlite"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url())
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = f"{pg_url()}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request) -> str:
    """The same test on both warehouses."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def engine(warehouse_url) -> Iterator[sa.Engine]:
    eng = make_engine(warehouse_url)
    yield eng
    eng.dispose()
