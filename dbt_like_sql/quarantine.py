"""Quarantine: rows that break a row-level contract are held back, recorded with their reason, and released when fixed.

A rule with `severity: quarantine` (column tests, model tests, and the automatic `<column>_parseable` rule of every
safe cast) is judged by the runner on each build of an organisation:

- **Staging views** (one row per record version): the versions that break a rule and are not older than the
  record's newest good version are held back; the view itself leaves them out, so every model built on it sees the
  record's last good version (or nothing, for a record that never had one). A version superseded by a newer good one
  is history and is not held.
- **Tables (marts)**: the rows that break a rule (an orphan reference, a duplicated id) are deleted from the table
  after its refresh, before the models that read it are refreshed.

`quarantined_records` keeps one row per (organisation, model, record key, rule): when it was first and last detected
and, once the record passes (fixed at the source, a newer good version, or a corrected rule), when it was released.
Rebuilding is idempotent, and a rebuild is the replay: released rows flow on with the next build.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa
import sqlglot

from dbt_like_sql.contracts import Rule, quarantine_rules
from dbt_like_sql import macros
from dbt_like_sql.project import ENVELOPE_KEYS, Model
from dbt_like_sql.schema import metadata
from dbt_like_sql.warehouse import dialect

quarantined_records = sa.Table(
    "quarantined_records",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("model", sa.String(128), primary_key=True),
    sa.Column("record_key", sa.String(512), primary_key=True),
    sa.Column("rule", sa.String(128), primary_key=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("stream", sa.String(64)),
    sa.Column("source_id", sa.String(255), nullable=False),
    sa.Column("source_updated_at", sa.DateTime()),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False, default="quarantine"),
    sa.Column("first_detected_at", sa.DateTime(), nullable=False),
    sa.Column("last_detected_at", sa.DateTime(), nullable=False),
    sa.Column("released_at", sa.DateTime()),
    sa.Index("ix_quarantined_records_open", "org_id", "model", "record_key", "released_at"),
)

_SEP = "|"


def key_expression(model: Model, alias: str | None = "m") -> str:
    """SQL (PostgreSQL dialect) for a row's record key: its grain without org_id, as text joined by '|'."""
    prefix = f"{alias}." if alias else ""
    keys = [k for k in model.spec.grain if k != "org_id"] or list(model.spec.grain)
    return f" || '{_SEP}' || ".join(f"coalesce(cast({prefix}\"{k}\" as text), '')" for k in keys)


def view_filter(model: Model, select_sql: str, conn_dialect: str) -> str:
    """The view's SELECT without its held-back versions (the models built on it never see them)."""
    if not quarantine_rules(model):
        return select_sql
    wrapped = (f"select * from __model__ as m where not exists (select 1 from quarantined_records q "
               f"where q.org_id = m.org_id and q.model = '{model.name}' and q.record_key = {key_expression(model)} "
               f"and q.released_at is null)")
    sql = to_dialect(wrapped, conn_dialect)
    return sql.replace("__model__", f"({select_sql})", 1)


_BIND = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_BOUND = re.compile(r"'__bind_([a-z0-9_]+)__'")


def to_dialect(sql: str, conn_dialect: str) -> str:
    """PostgreSQL-dialect SQL (macros allowed, e.g. in rule expressions) for the warehouse's dialect.

    Bound parameters (`:org_id`) pass through as SQLAlchemy `text()` parameters, whatever sqlglot would make of them.
    """
    shielded = _BIND.sub(r"'__bind_\1__'", sql)
    out = macros.expand(sqlglot.parse_one(shielded, read="postgres"), conn_dialect).sql(
        dialect=macros.sqlglot_dialect(conn_dialect))
    return _BOUND.sub(r":\1", out)


@dataclass(frozen=True)
class Detection:
    """The rows a model's quarantine rules hold back on this build, one entry per (record key, rule)."""

    model: str
    rows: pd.DataFrame        # record_key, rule, source, stream, source_id, source_updated_at, reason

    def counts(self) -> dict[str, int]:
        return dict(Counter(self.rows["rule"])) if len(self.rows) else {}


def _flags(rules: list[Rule], guard: str = "") -> str:
    return ", ".join(f"case when {guard}({r.predicate('m')}) then 1 else 0 end as \"__f{i}\""
                     for i, r in enumerate(rules))


def judge(conn: sa.Connection, model: Model, org_id: str) -> Detection:
    """Evaluate a model's quarantine rules for one organisation (nothing is written)."""
    rules = quarantine_rules(model)
    if not rules:
        return Detection(model.name, _empty())
    d = dialect(conn)
    origin = model.origin
    source_expr = "m.source" if "source" in model.column_names else f"'{origin.source if origin else model.name}'"
    total = " + ".join(f'"__f{i}"' for i in range(len(rules)))
    flag_cols = ", ".join(f'f."__f{i}"' for i in range(len(rules)))
    if model.spec.materialized == "view":
        guard = "not m.is_deleted and " if "is_deleted" in model.column_names else ""
        wanted = [*model.spec.grain, *ENVELOPE_KEYS, "is_deleted", "source",
                  *(c for r in rules for c in r.referenced_columns)]
        known = set(model.column_names) | {macros.RAW_PREFIX + c for c in model.safe_casts}
        needed = ", ".join(f'a."{c}"' for c in dict.fromkeys(wanted) if c in known)
        # Materialised: each rule mentions its columns, and every mention would re-run the column's safe cast.
        sql = (
            f"with audited as materialized (select {needed} from __audit__ as a where a.org_id = :org_id), "
            f"judged as (select m.source_id, m.source_updated_at, m.fetched_at, {source_expr} as source, "
            f"{key_expression(model)} as record_key, {_flags(rules, guard)} from audited as m), "
            f"flagged as (select j.*, ({total}) as n_failed from judged j), "
            f"last_good as (select source_id, max(source_updated_at) as good_at from flagged where n_failed = 0 "
            f"group by source_id) "
            f"select f.record_key, f.source, f.source_id, f.source_updated_at, {flag_cols} "
            f"from flagged f left join last_good g on g.source_id = f.source_id "
            f"where f.n_failed > 0 and (g.good_at is null or f.source_updated_at >= g.good_at)"
        )
        sql = to_dialect(sql, d).replace("__audit__", f"({model.sql_for(d, audit=True)})", 1)
    else:
        first_key = [k for k in model.spec.grain if k != "org_id"][0]
        updated = "m.source_updated_at" if "source_updated_at" in model.column_names else "null"
        sql = (f"select {key_expression(model)} as record_key, {source_expr} as source, "
               f"cast(m.\"{first_key}\" as text) as source_id, {updated} as source_updated_at, {_flags(rules)} "
               f"from \"{model.name}\" m where m.org_id = :org_id and ("
               + " or ".join(f"({r.predicate('m')})" for r in rules) + ")")
        sql = to_dialect(sql, d)
    frame = pd.read_sql(sa.text(sql), conn, params={"org_id": org_id})
    if frame.empty:
        return Detection(model.name, _empty())
    parts = []
    for i, rule in enumerate(rules):
        hit = frame[frame[f"__f{i}"].astype(int) == 1]
        if len(hit):
            parts.append(pd.DataFrame({"record_key": hit["record_key"].astype(str), "rule": rule.name,
                                       "source": hit["source"].astype(str), "source_id": hit["source_id"].astype(str),
                                       "source_updated_at": hit["source_updated_at"], "reason": rule.reason}))
    # Rows of a table that share a key (duplicated ids) are one held record: the key is what identifies it there.
    rows = pd.concat(parts, ignore_index=True).drop_duplicates(["record_key", "rule"]) if parts else _empty()
    rows["stream"] = origin.stream if (origin and model.spec.materialized == "view") else None
    return Detection(model.name, rows)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["record_key", "rule", "source", "stream", "source_id", "source_updated_at", "reason"])


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _timestamp(value) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    return pd.Timestamp(value).to_pydatetime()


def record(conn: sa.Connection, org_id: str, detection: Detection, now: datetime | None = None) -> dict[str, int]:
    """Write a model's detections: new rows inserted, known rows re-confirmed, rows no longer detected released.

    Returns counts of new, still held and released rows.
    """
    now = now or _now()
    q = quarantined_records
    existing = pd.read_sql(sa.select(q.c.record_key, q.c.rule, q.c.released_at)
                           .where(q.c.org_id == org_id, q.c.model == detection.model), conn)
    known = {(k, r): released for k, r, released in existing.itertuples(index=False)}
    detected = detection.rows
    seen = set(zip(detected["record_key"], detected["rule"]))
    new_rows, again = [], []
    for row in detected.itertuples(index=False):
        values = {"source": row.source, "stream": row.stream, "source_id": row.source_id,
                  "source_updated_at": _timestamp(row.source_updated_at), "reason": row.reason}
        b_values = {f"b_{k}": v for k, v in values.items()}
        if (row.record_key, row.rule) in known:
            again.append({"b_key": row.record_key, "b_rule": row.rule, **b_values})
        else:
            new_rows.append({"org_id": org_id, "model": detection.model, "record_key": row.record_key,
                             "rule": row.rule, "severity": "quarantine", "first_detected_at": now,
                             "last_detected_at": now, "released_at": None, **values})
    if new_rows:
        conn.execute(sa.insert(q), new_rows)
    if again:
        conn.execute(q.update().where(q.c.org_id == org_id, q.c.model == detection.model,
                                      q.c.record_key == sa.bindparam("b_key"), q.c.rule == sa.bindparam("b_rule"))
                     .values(last_detected_at=now, released_at=None, source=sa.bindparam("b_source"),
                             stream=sa.bindparam("b_stream"), source_id=sa.bindparam("b_source_id"),
                             source_updated_at=sa.bindparam("b_source_updated_at"), reason=sa.bindparam("b_reason")),
                     again)
    released = [{"b_key": k, "b_rule": r} for (k, r), at in known.items() if (k, r) not in seen and pd.isna(at)]
    if released:
        conn.execute(q.update().where(q.c.org_id == org_id, q.c.model == detection.model,
                                      q.c.record_key == sa.bindparam("b_key"), q.c.rule == sa.bindparam("b_rule"))
                     .values(released_at=now), released)
    return {"new": len(new_rows), "held": len(seen), "released": len(released)}


def remove_from_table(conn: sa.Connection, model: Model, org_id: str) -> int:
    """Delete a table's rows that are held in quarantine (after `record`); returns how many were removed."""
    key = to_dialect(key_expression(model, alias=None), dialect(conn))
    result = conn.execute(sa.text(
        f'delete from "{model.name}" where org_id = :org_id and {key} in (select record_key from quarantined_records '
        f"where org_id = :org_id and model = :model and released_at is null)"), {"org_id": org_id, "model": model.name})
    return int(result.rowcount or 0)


def held(engine: sa.Engine, org_id: str | None = None, include_released: bool = False) -> pd.DataFrame:
    """Quarantined rows (open ones unless `include_released`), newest detection first."""
    q = quarantined_records
    query = sa.select(q)
    if org_id is not None:
        query = query.where(q.c.org_id == org_id)
    if not include_released:
        query = query.where(q.c.released_at.is_(None))
    with engine.connect() as conn:
        return pd.read_sql(query.order_by(q.c.org_id, q.c.model, q.c.rule, q.c.record_key), conn)


def summary(engine: sa.Engine, org_id: str | None = None) -> pd.DataFrame:
    """Open quarantined rows counted by organisation, source, model and rule, with the rule's reason."""
    q = quarantined_records
    query = (sa.select(q.c.org_id, q.c.source, q.c.model, q.c.rule, sa.func.min(q.c.reason).label("reason"),
                       sa.func.count().label("rows"), sa.func.min(q.c.first_detected_at).label("first_detected_at"))
             .where(q.c.released_at.is_(None)).group_by(q.c.org_id, q.c.source, q.c.model, q.c.rule)
             .order_by(q.c.org_id, q.c.model, q.c.rule))
    if org_id is not None:
        query = query.where(q.c.org_id == org_id)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
