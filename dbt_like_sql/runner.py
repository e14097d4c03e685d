"""Builds the SQL project on a warehouse, one organisation at a time, and runs the tests declared beside each model.

- Views (staging, intermediate) are created once and re-created when their SQL or YAML changes (checksum in
  `_dbt_like_models`).
- Tables (marts) are created from the declared column types, then refreshed per organisation: delete that
  organisation's rows, insert the model's rows for it, in one transaction. Other organisations are untouched, so
  organisations can be refreshed independently and in any order.
- Tests run per organisation after its refresh: grain unique and not null, declared not-null and accepted values,
  relationships that must resolve, and row expressions. Each returns a count and a few offending keys (never payload
  columns). `error` failures are for the caller to act on; `warn` failures are reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from dbt_like_sql.project import Model, Project, default_project
from dbt_like_sql.warehouse import dialect, ddl_lock

_STATE_TABLE = "_dbt_like_models"
_SAMPLE_KEYS = 5
_TYPES = {
    "text": sa.Text(),
    "integer": sa.BigInteger(),
    "float": sa.Float(),
    "boolean": sa.Boolean(),
    "date": sa.Date(),
    "timestamp": sa.DateTime(),
    "json": sa.JSON(),
}


@dataclass(frozen=True)
class TestResult:
    model: str
    test: str
    severity: str
    failing_rows: int
    sample_keys: list[dict]

    @property
    def passed(self) -> bool:
        return self.failing_rows == 0


@dataclass
class ModelBuild:
    model: str
    layer: str
    rows: int | None
    seconds: float
    tests: list[TestResult] = field(default_factory=list)


@dataclass
class BuildResult:
    org_id: str
    models: list[ModelBuild]

    @property
    def failures(self) -> list[TestResult]:
        return [t for m in self.models for t in m.tests if not t.passed]

    @property
    def errors(self) -> list[TestResult]:
        return [t for t in self.failures if t.severity == "error"]

    def rows(self, model: str) -> int | None:
        return next(m.rows for m in self.models if m.model == model)


def _state_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        _STATE_TABLE, metadata,
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("checksum", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
    )


def _table_for(model: Model, metadata: sa.MetaData) -> sa.Table:
    columns = [sa.Column(c.name, _TYPES[c.type]) for c in model.spec.columns]
    return sa.Table(model.name, metadata, *columns,
                    sa.Index(f"ix_{model.name}_grain", *model.spec.grain))


def _seed_table(name: str, frame: pd.DataFrame, metadata: sa.MetaData) -> sa.Table:
    cols = [sa.Column(c, sa.Float() if pd.api.types.is_numeric_dtype(frame[c]) else sa.Text()) for c in frame.columns]
    return sa.Table(name, metadata, *cols)


def prepare(engine: sa.Engine, project: Project | None = None) -> None:
    """Create or refresh seeds, views and empty tables whose definition changed. Safe to call before every build."""
    project = project or default_project()
    metadata = sa.MetaData()
    state = _state_table(metadata)
    with engine.begin() as conn, ddl_lock(conn, "dbt_like_sql.prepare"):
        state.create(conn, checkfirst=True)
        known = dict(conn.execute(sa.select(state.c.name, state.c.checksum)).all())
        for name, path in project.seeds.items():
            checksum = _checksum(path.read_bytes())
            if known.get(name) == checksum:
                continue
            frame = pd.read_csv(path)
            table = _seed_table(name, frame, metadata)
            table.drop(conn, checkfirst=True)
            table.create(conn)
            conn.execute(sa.insert(table), frame.to_dict("records"))
            _record(conn, state, name, checksum, "seed")
        # Views first in reverse order when anything changed, since a view cannot be dropped under its readers.
        changed = {m.name for m in project.models if known.get(m.name) != m.checksum}
        downstream_views = {m.name for m in project.downstream_of(changed) if m.spec.materialized == "view"}
        stale = [m for m in project.models if m.name in changed | downstream_views]
        for model in reversed([m for m in stale if m.spec.materialized == "view"]):
            conn.execute(sa.text(f'drop view if exists "{model.name}"'))
        for model in project.models:
            if model not in stale:
                continue
            if model.spec.materialized == "view":
                conn.execute(sa.text(f'create view "{model.name}" as {model.sql_for(dialect(conn))}'))
                _check_columns(conn, model)
            else:
                table = _table_for(model, metadata)
                table.drop(conn, checkfirst=True)
                table.create(conn)
            _record(conn, state, model.name, model.checksum, model.spec.materialized)


def _checksum(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:16]


def _record(conn: sa.Connection, state: sa.Table, name: str, checksum: str, kind: str) -> None:
    conn.execute(sa.delete(state).where(state.c.name == name))
    conn.execute(sa.insert(state).values(name=name, checksum=checksum, kind=kind))


def _check_columns(conn: sa.Connection, model: Model) -> None:
    got = list(conn.execute(sa.text(f'select * from "{model.name}" where 1 = 0')).keys())
    if got != model.column_names:
        raise ValueError(f"{model.path}: the SQL returns columns {got}, but {model.path.with_suffix('.yml').name} "
                         f"declares {model.column_names}")


def build(engine: sa.Engine, org_id: str, project: Project | None = None,
          only: set[str] | None = None) -> BuildResult:
    """Refresh every table model (or those in `only`) for one organisation, in dependency order, and test them."""
    project = project or default_project()
    prepare(engine, project)
    results: list[ModelBuild] = []
    selected = [m for m in project.models
                if m.spec.materialized == "table" and (only is None or m.name in only)]
    for model in selected:
        started = time.perf_counter()
        with engine.begin() as conn:
            rows = _refresh(conn, model, org_id)
        results.append(ModelBuild(model.name, model.layer, rows, time.perf_counter() - started))
    # Tests run once every table is refreshed, so a relationship never sees a half-built neighbour.
    for model, built in zip(selected, results):
        started = time.perf_counter()
        built.tests = run_tests(engine, model, org_id, project)
        built.seconds += time.perf_counter() - started
    return BuildResult(org_id=org_id, models=results)


def _refresh(conn: sa.Connection, model: Model, org_id: str) -> int:
    cols = ", ".join(f'"{c}"' for c in model.column_names)
    conn.execute(sa.text(f'delete from "{model.name}" where org_id = :org_id'), {"org_id": org_id})
    select = model.sql_for(dialect(conn))
    conn.execute(sa.text(f'insert into "{model.name}" ({cols}) select {cols} from ({select}) as m '
                         f'where m.org_id = :org_id'), {"org_id": org_id})
    return int(conn.execute(sa.text(f'select count(*) from "{model.name}" where org_id = :org_id'),
                            {"org_id": org_id}).scalar_one())


def _tests_sql(model: Model, project: Project) -> list[tuple[str, str, str]]:
    """(test name, severity, SQL selecting offending rows' grain keys) for one model."""
    grain = ", ".join(f'"{k}"' for k in model.spec.grain)
    name = f'"{model.name}"'
    out = [(
        "grain_unique", "error",
        f"select {grain} from {name} where org_id = :org_id group by {grain} having count(*) > 1",
    )]
    for col in model.spec.columns:
        if col.name in model.spec.grain or col.not_null:
            out.append((f"{col.name}_not_null", "error",
                        f'select {grain} from {name} where org_id = :org_id and "{col.name}" is null'))
        values = col.accepted_values
        if values:
            allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            out.append((f"{col.name}_accepted_values", "error",
                        f'select {grain} from {name} where org_id = :org_id and "{col.name}" is not null '
                        f'and "{col.name}" not in ({allowed})'))
    for test in model.spec.tests:
        if test.relationship is not None:
            rel = test.relationship
            target = project.by_name[rel.to] if rel.to in project.by_name else None
            if target is None:
                raise ValueError(f"{model.path.with_suffix('.yml')}: test {test.name} refers to unknown model {rel.to}")
            out.append((test.name, test.severity,
                        f'select {", ".join("m." + k for k in model.spec.grain)} from {name} m '
                        f'where m.org_id = :org_id and m."{rel.column}" is not null and not exists '
                        f'(select 1 from "{rel.to}" t where t.org_id = m.org_id and t."{rel.field}" = m."{rel.column}")'))
        else:
            out.append((test.name, test.severity,
                        f"select {grain} from {name} where org_id = :org_id and not ({test.expression})"))
    return out


def run_tests(engine: sa.Engine, model: Model, org_id: str, project: Project | None = None) -> list[TestResult]:
    project = project or default_project()
    results = []
    with engine.connect() as conn:
        for test_name, severity, sql in _tests_sql(model, project):
            count = int(conn.execute(sa.text(f"select count(*) from ({sql}) as failing"),
                                     {"org_id": org_id}).scalar_one())
            sample = []
            if count:
                rows = conn.execute(sa.text(f"{sql} limit {_SAMPLE_KEYS}"), {"org_id": org_id}).mappings().all()
                sample = [{k: (str(v) if v is not None else None) for k, v in row.items()} for row in rows]
            results.append(TestResult(model.name, test_name, severity, count, sample))
    return results


def read_table(engine: sa.Engine, model: str, org_id: str, project: Project | None = None) -> pd.DataFrame:
    """One organisation's rows of a canonical table, with declared dates and timestamps parsed."""
    project = project or default_project()
    spec = project.by_name[model].spec
    with engine.connect() as conn:
        frame = pd.read_sql(sa.text(f'select * from "{model}" where org_id = :org_id'), conn,
                            params={"org_id": org_id})
    for col in spec.columns:
        if col.type in ("date", "timestamp"):
            frame[col.name] = pd.to_datetime(frame[col.name], utc=False, errors="raise", format="ISO8601")
            if col.type == "date":
                frame[col.name] = frame[col.name].dt.normalize()
        elif col.type == "boolean":
            frame[col.name] = frame[col.name].astype("boolean")
        elif col.type in ("float", "integer"):
            frame[col.name] = pd.to_numeric(frame[col.name])
    return frame
