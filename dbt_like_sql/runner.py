"""Builds the SQL project on a warehouse, one organisation at a time, and runs the tests declared beside each model.

- Views (staging, intermediate) are created once and re-created when their SQL or YAML changes (checksum in
  `_dbt_like_models`).
- Tables (marts) are created from the declared column types, then refreshed per organisation: delete that
  organisation's rows, insert the model's rows for it, in one transaction. Other organisations are untouched, so
  organisations can be refreshed independently and in any order.
- Quarantine (`quarantine.py`): before the tables are refreshed, each staging view's quarantine rules are judged for
  the organisation and the offending record versions are held back (the view leaves them out); after a table's
  refresh, its own quarantine rules (orphans, duplicated ids) remove the offending rows. Every held row is recorded in
  `quarantined_records` with its rule and reason, and released on the build that finds it fixed.
- Tests run per organisation after its refresh: grain unique and not null, declared not-null and accepted values,
  relationships that must resolve, and row expressions (`contracts.py`). Each returns a count and a few offending
  keys (never payload columns). `error` failures are for the caller to act on; `warn` failures are reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from dbt_like_sql import quarantine
from dbt_like_sql.contracts import Rule, quarantine_rules, test_rules
from dbt_like_sql.macros import RAW_PREFIX
from dbt_like_sql.project import Model, Project, default_project
from dbt_like_sql.warehouse import dialect, ddl_lock

_STATE_TABLE = "_dbt_like_models"
# Part of every view's recorded checksum: bump it when the SQL the runner wraps around a model changes.
_VIEW_WRAPPER_VERSION = "quarantine-filter-1"
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
    quarantined: dict[str, int] = field(default_factory=dict)   # rule -> rows held back on this build
    released: int = 0


@dataclass
class BuildResult:
    org_id: str
    models: list[ModelBuild]

    @property
    def quarantined(self) -> dict[tuple[str, str], int]:
        """(model, rule) -> rows held back on this build, for every model with any."""
        return {(m.model, rule): n for m in self.models for rule, n in sorted(m.quarantined.items()) if n}

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

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
        quarantine.quarantined_records.create(conn, checkfirst=True)
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
        changed = {m.name for m in project.models if known.get(m.name) != _model_checksum(m)}
        downstream_views = {m.name for m in project.downstream_of(changed) if m.spec.materialized == "view"}
        stale = [m for m in project.models if m.name in changed | downstream_views]
        for model in reversed([m for m in stale if m.spec.materialized == "view"]):
            conn.execute(sa.text(f'drop view if exists "{model.name}"'))
        for model in project.models:
            if model not in stale:
                continue
            if model.spec.materialized == "view":
                select = quarantine.view_filter(model, model.sql_for(dialect(conn)), dialect(conn))
                conn.execute(sa.text(f'create view "{model.name}" as {select}'))
                _check_columns(conn, model)
                if model.safe_casts:
                    _check_audit_columns(conn, model)
            else:
                table = _table_for(model, metadata)
                table.drop(conn, checkfirst=True)
                table.create(conn)
            _record(conn, state, model.name, _model_checksum(model), model.spec.materialized)


def _model_checksum(model: Model) -> str:
    if model.spec.materialized == "view":
        return _checksum(f"{model.checksum}|{_VIEW_WRAPPER_VERSION}".encode())
    return model.checksum


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


def _check_audit_columns(conn: sa.Connection, model: Model) -> None:
    got = set(conn.execute(sa.text(f"select * from ({model.sql_for(dialect(conn), audit=True)}) as a where 1 = 0"))
              .keys())
    lost = [c for c in model.safe_casts if RAW_PREFIX + c not in got]
    if lost:
        raise ValueError(f"{model.path}: the safe casts of {', '.join(lost)} must sit in a CTE that the final SELECT "
                         f"reads with `select *` (the runner adds each cast's raw text beside it to find the values "
                         f"that did not parse)")


def _upstream_views(project: Project, tables: list[Model]) -> list[Model]:
    """The views the given tables read, directly or through other views, in dependency order."""
    wanted: set[str] = set()
    stack = [t for m in tables for t in m.reads]
    while stack:
        name = stack.pop()
        model = project.by_name.get(name)
        if model is not None and model.spec.materialized == "view" and name not in wanted:
            wanted.add(name)
            stack.extend(model.reads)
    return [m for m in project.models if m.name in wanted]


def build(engine: sa.Engine, org_id: str, project: Project | None = None,
          only: set[str] | None = None, tests: bool = True) -> BuildResult:
    """Refresh every table model (or those in `only`, with the tables they are built from, such as
    `partner_matches`) for one organisation, in dependency order, with quarantine, and (unless `tests=False`) run
    their declared error and warn tests."""
    project = project or default_project()
    prepare(engine, project)
    results: list[ModelBuild] = []
    if only is not None:
        by_name = {m.name: m for m in project.models}
        wanted, todo = set(only), list(only)
        while todo:
            model = by_name.get(todo.pop())
            for upstream in (model.reads if model is not None else ()):
                if upstream in by_name and upstream not in wanted:
                    wanted.add(upstream)
                    todo.append(upstream)
        only = {name for name in wanted if by_name[name].spec.materialized == "table"} | set(only)
    selected = [m for m in project.models
                if m.spec.materialized == "table" and (only is None or m.name in only)]
    # Staging versions are judged first: every table built on a view must see it without its held-back versions.
    for view in _upstream_views(project, selected):
        if not quarantine_rules(view):
            continue
        started = time.perf_counter()
        with engine.begin() as conn:
            detection = quarantine.judge(conn, view, org_id)
            outcome = quarantine.record(conn, org_id, detection)
        results.append(ModelBuild(view.name, view.layer, None, time.perf_counter() - started,
                                  quarantined=detection.counts(), released=outcome["released"]))
    built_tables = []
    for model in selected:
        started = time.perf_counter()
        with engine.begin() as conn:
            rows = _refresh(conn, model, org_id)
            counts, released = {}, 0
            if quarantine_rules(model):
                detection = quarantine.judge(conn, model, org_id)
                released = quarantine.record(conn, org_id, detection)["released"]
                rows -= quarantine.remove_from_table(conn, model, org_id)
                counts = detection.counts()
        built = ModelBuild(model.name, model.layer, rows, time.perf_counter() - started, quarantined=counts,
                           released=released)
        results.append(built)
        built_tables.append((model, built))
    if tests:
        # Tests run once every table is refreshed, so a relationship never sees a half-built neighbour.
        for model, built in built_tables:
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


def failing_rows_sql(model: Model, rule: Rule, conn_dialect: str) -> str:
    """SQL selecting the grain keys of an organisation's rows (`:org_id`) that break a rule of a table."""
    grain = ", ".join(f'm."{k}"' for k in model.spec.grain)
    if rule.kind == "grain_unique":
        sql = (f'select {grain} from "{model.name}" m where m.org_id = :org_id group by {grain} '
               f"having count(*) > 1")
    else:
        sql = f'select {grain} from "{model.name}" m where m.org_id = :org_id and {rule.predicate("m")}'
    return quarantine.to_dialect(sql, conn_dialect)


def run_tests(engine: sa.Engine, model: Model, org_id: str, project: Project | None = None) -> list[TestResult]:
    results = []
    with engine.connect() as conn:
        for rule in test_rules(model):
            sql = failing_rows_sql(model, rule, dialect(conn))
            count = int(conn.execute(sa.text(f"select count(*) from ({sql}) as failing"),
                                     {"org_id": org_id}).scalar_one())
            sample = []
            if count:
                rows = conn.execute(sa.text(f"{sql} limit {_SAMPLE_KEYS}"), {"org_id": org_id}).mappings().all()
                sample = [{k: (str(v) if v is not None else None) for k, v in row.items()} for row in rows]
            results.append(TestResult(model.name, rule.name, rule.severity, count, sample))
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
