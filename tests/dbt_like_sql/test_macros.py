"""Safe casts give the same typed value or NULL on SQLite and PostgreSQL, and never raise on bad text."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
import sqlglot

from dbt_like_sql.macros import add_raw_projections, expand, sqlglot_dialect

# (raw JSON value, safe_date, safe_timestamp, safe_number, safe_integer, safe_boolean); None = NULL.
CASES = [
    ("2024-02-29", "2024-02-29", "2024-02-29 00:00:00", None, None, None),
    ("2023-02-29", None, None, None, None, None),            # no leap day in 2023
    ("2024-02-30", None, None, None, None, None),
    ("2024-13-01", None, None, None, None, None),
    ("2024-1-5", None, None, None, None, None),
    ("0999-01-01", None, None, None, None, None),
    (" 2024-01-05 ", "2024-01-05", "2024-01-05 00:00:00", None, None, None),
    ("2024-01-05T10:00:00Z", None, "2024-01-05 10:00:00", None, None, None),
    ("2024-01-05 10:00", None, "2024-01-05 10:00:00", None, None, None),
    ("2024-01-05T10:00:00+02:00", None, "2024-01-05 08:00:00", None, None, None),
    ("2024-01-05T10:00:00.123456Z", None, "2024-01-05 10:00:00", None, None, None),
    ("2024-01-05T24:00:00Z", None, None, None, None, None),
    ("2024-01-05T10:00:61", None, None, None, None, None),
    ("2024-01-05T10:00:00+0200", None, None, None, None, None),
    ("2024-01-05T10:00:00 Z", None, None, None, None, None),
    ("10:00", None, None, None, None, None),
    ("garbage", None, None, None, None, None),
    ("", None, None, None, None, None),
    ("1000", None, None, 1000.0, 1000, None),
    ("1", None, None, 1.0, 1, True),
    ("-12.5", None, None, -12.5, None, None),
    ("1e6", None, None, 1e6, None, None),
    ("1e400", None, None, None, None, None),
    ("1,000.50", None, None, None, None, None),
    ("007", None, None, None, None, None),
    (".5", None, None, None, None, None),
    ("NaN", None, None, None, None, None),
    ("12abc", None, None, None, None, None),
    ("1234567890123456789", None, None, 1234567890123456789.0, None, None),
    ("FALSE", None, None, None, None, False),
    ("yes", None, None, None, None, True),
    (1000.5, None, None, 1000.5, None, None),               # a JSON number, not text
    (5, None, None, 5.0, 5, None),
    (None, None, None, None, None, None),
]
CASTS = ("safe_date", "safe_timestamp", "safe_number", "safe_integer", "safe_boolean")


def _run(engine, sql_pg: str, rows: list[dict]) -> pd.DataFrame:
    d = engine.dialect.name
    sql = expand(sqlglot.parse_one(sql_pg, read="postgres"), d).sql(dialect=sqlglot_dialect(d))
    payload_type = "jsonb" if d == "postgresql" else "text"
    with engine.begin() as conn:
        conn.execute(sa.text(f"create table macro_input (i integer, payload {payload_type})"))
        conn.execute(sa.text("insert into macro_input values (:i, :p)"), rows)
        return pd.DataFrame(conn.execute(sa.text(sql)).mappings().all())


def test_safe_casts_agree_on_both_warehouses(engine) -> None:
    rows = [{"i": i, "p": json.dumps({"v": case[0]})} for i, case in enumerate(CASES)]
    columns = ", ".join(f"{c}(payload ->> 'v') as {c}" for c in CASTS)
    got = _run(engine, f"select i, {columns} from macro_input order by i", rows)
    for i, (raw, *expected) in enumerate(CASES):
        row = got.iloc[i]
        date_, ts, number, integer, boolean = (None if pd.isna(row[c]) else row[c] for c in CASTS)
        assert (None if date_ is None else str(date_)[:10]) == expected[0], (raw, "date")
        assert (None if ts is None else str(pd.Timestamp(ts))) == expected[1], (raw, "timestamp")
        assert number == (None if expected[2] is None else pytest.approx(expected[2])), (raw, "number")
        assert integer == expected[3], (raw, "integer")
        assert (None if boolean is None else bool(boolean)) == expected[4], (raw, "boolean")


def test_raw_projection_sits_beside_each_safe_cast() -> None:
    tree = sqlglot.parse_one("with r as (select safe_date(payload ->> 'd') as d, safe_text(payload ->> 't') as t "
                             "from x) select * from r", read="postgres")
    audited, casts = add_raw_projections(tree)
    assert casts == {"d": "date"}   # text always parses, so it needs no raw twin
    assert '"__raw__d"' in audited.sql(dialect="postgres")
