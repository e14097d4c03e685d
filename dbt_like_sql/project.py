"""The SQL project: models in layers, their declared contracts, and the order their dependencies impose.

A model is `models/<layer>/<name>.sql` (written in PostgreSQL's dialect, one SELECT) with `<name>.yml` beside it
declaring its grain, materialisation, columns with types, and tests. Dependencies are parsed from the SQL with
sqlglot (every table it reads that is not one of its own CTEs), so a model never lists them by hand.
"""

from __future__ import annotations

import functools
import graphlib
import hashlib
from pathlib import Path
from typing import Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlglot import exp

from apex_model.errors import ApexConfigError, from_validation_error
from apex_model.model import read_yaml
from dbt_like_sql import macros

PROJECT_DIR = Path(__file__).parent
LAYERS = ("staging", "intermediate", "marts")
ColumnType = Literal["text", "integer", "float", "boolean", "date", "timestamp", "json"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Severity = Literal["error", "warn", "quarantine"]


class ColumnTest(_Strict):
    """A test on one column. `error` fails the build's contract (blocking), `warn` is reported, `quarantine` holds
    back the offending rows (see `dbt_like_sql/quarantine.py`) and lets the rest flow on.

    YAML forms: `not_null`, `not_blank`, `{accepted_values: [a, b]}`, and with options
    `{not_null: {severity: quarantine}}`, `{accepted_values: {values: [a, b], severity: quarantine}}`,
    `{accepted_range: {min_value: 0, max_value: 1.0e9, severity: quarantine}}`.
    """

    kind: Literal["not_null", "not_blank", "accepted_values", "accepted_range"]
    severity: Severity = "error"
    values: tuple[str, ...] = ()
    min_value: float | str | None = None
    max_value: float | str | None = None

    @model_validator(mode="after")
    def _parameters_fit_the_kind(self) -> "ColumnTest":
        if self.kind == "accepted_values" and not self.values:
            raise ValueError("accepted_values needs a non-empty list of values")
        if self.kind != "accepted_values" and self.values:
            raise ValueError(f"{self.kind} takes no values")
        if self.kind == "accepted_range":
            if self.min_value is None and self.max_value is None:
                raise ValueError("accepted_range needs min_value, max_value or both")
        elif self.min_value is not None or self.max_value is not None:
            raise ValueError(f"{self.kind} takes no min_value or max_value")
        return self


def _column_test(entry) -> dict:
    if isinstance(entry, str):
        return {"kind": entry}
    if isinstance(entry, dict) and len(entry) == 1:
        (kind, options), = entry.items()
        if isinstance(options, list):
            return {"kind": kind, "values": options}
        if options is None:
            return {"kind": kind}
        if isinstance(options, dict):
            return {"kind": kind, **options}
    if isinstance(entry, ColumnTest):
        return entry.model_dump()
    raise ValueError(f"a column test is a name (not_null) or a one-key mapping ({{accepted_values: [...]}}), "
                     f"got {entry!r}")


class ColumnSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: ColumnType
    description: str = ""
    tests: tuple[ColumnTest, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _normalise_tests(cls, data):
        if isinstance(data, dict) and data.get("tests"):
            data = {**data, "tests": [_column_test(t) for t in data["tests"]]}
        return data

    @property
    def accepted_values(self) -> tuple[str, ...] | None:
        for test in self.tests:
            if test.kind == "accepted_values":
                return test.values
        return None

    @property
    def not_null(self) -> bool:
        return any(t.kind == "not_null" for t in self.tests)


class Relationship(_Strict):
    column: str
    to: str
    field: str


class ModelTest(_Strict):
    """A model-level test: a reference that must resolve, a row condition that must hold, or columns that must be
    unique together. `reason` is the one sentence a quarantined row carries (required for quarantine expressions)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    relationship: Relationship | None = None
    expression: str | None = None
    unique: tuple[str, ...] | None = None
    severity: Severity = "error"
    reason: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "ModelTest":
        kinds = [k for k in (self.relationship, self.expression, self.unique) if k is not None]
        if len(kinds) != 1:
            raise ValueError("a test has exactly one of 'relationship', 'expression' or 'unique'")
        if self.unique is not None and not self.unique:
            raise ValueError("'unique' lists at least one column")
        if self.severity == "quarantine" and self.expression is not None and not self.reason:
            raise ValueError(f"test {self.name}: a quarantine expression needs a 'reason' (one sentence naming the "
                             f"field and what is wrong with it)")
        return self


class Origin(_Strict):
    """Where a staging model's rows come from: the source system and its stream in `raw_<source>`."""

    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    stream: str = Field(min_length=1)


class Freshness(_Strict):
    """A stream is stale on day D when its newest record version is older than
    max(min_days, multiplier x the longest gap between record days in the `history_days` before D), or older than
    `max_days` when set. The gap rule judges a stream once it has a full `history_days` behind it with at least
    `min_history_days` days with records in that window (a rarer stream can only be judged by `max_days`).
    The defaults flag no day of clean sandbox data over 20 months for nine profiles (early stage to growth)."""

    multiplier: float = Field(default=2.5, ge=1.0)
    min_days: int = Field(default=3, ge=1)
    max_days: int | None = Field(default=None, ge=1)
    history_days: int = Field(default=365, ge=28)
    min_history_days: int = Field(default=20, ge=2)


class Volume(_Strict):
    """Against the stream's own history, per day D:
    - arrivals: versions in the 7 days up to D below `min_arrival_ratio` x the median week of the 8 weeks before
      (judged only when that median is at least `min_weekly_arrivals`) makes the stream not fresh;
    - live records: records alive on D below (1 - `max_drop`) x those alive 7 days earlier (judged from
      `min_live_records`) is a blocking failure."""

    min_arrival_ratio: float = Field(default=0.25, gt=0, le=1)
    min_weekly_arrivals: int = Field(default=20, ge=1)
    max_drop: float = Field(default=0.5, gt=0, lt=1)
    min_live_records: int = Field(default=20, ge=1)


class Quality(_Strict):
    """Stream-level data-quality limits of a staging model (defaults apply when the YAML has no `quality`).

    More than `max_quarantine_share` of the stream's records held back in quarantine (once at least
    `min_quarantined` are) means the source is broken rather than a few records: a blocking failure."""

    freshness: Freshness = Freshness()
    volume: Volume = Volume()
    max_quarantine_share: float = Field(default=0.1, gt=0, le=1)
    min_quarantined: int = Field(default=10, ge=1)


class ModelSpec(_Strict):
    name: str
    description: str = Field(min_length=1)
    grain: tuple[str, ...] = Field(min_length=1)
    materialized: Literal["view", "table"]
    columns: tuple[ColumnSpec, ...] = Field(min_length=1)
    tests: tuple[ModelTest, ...] = ()
    origin: Origin | None = None
    quality: Quality = Quality()

    @model_validator(mode="after")
    def _grain_columns_exist(self) -> "ModelSpec":
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("column names must be unique")
        for key in self.grain:
            if key not in names:
                raise ValueError(f"grain column {key!r} is not a declared column")
        if "org_id" not in names:
            raise ValueError("every model carries org_id")
        test_names = [t.name for t in self.tests]
        if len(set(test_names)) != len(test_names):
            raise ValueError("test names must be unique")
        for test in self.tests:
            used = (test.unique or ()) + ((test.relationship.column,) if test.relationship else ())
            for column in used:
                if column not in names:
                    raise ValueError(f"test {test.name}: {column!r} is not a declared column")
        return self


class Model:
    """One SQL model: its spec, its SQL, and the relations it reads."""

    def __init__(self, path: Path, layer: str) -> None:
        self.path = path
        self.layer = layer
        self.name = path.stem
        self.sql = path.read_text(encoding="utf-8").strip().rstrip(";")
        yml = path.with_suffix(".yml")
        data = read_yaml(yml)
        try:
            self.spec = ModelSpec.model_validate(data)
        except ValidationError as err:
            raise from_validation_error(yml, err, data) from None
        if self.spec.name != self.name:
            raise ApexConfigError(yml, "name", f"is {self.spec.name!r} but the SQL file is {self.name!r}")
        try:
            tree = sqlglot.parse_one(self.sql, read="postgres")
        except sqlglot.errors.ParseError as err:
            raise ApexConfigError(path, "", f"SQL does not parse: {err}") from None
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        self.reads = sorted({t.name for t in tree.find_all(exp.Table)} - ctes)
        self.checksum = hashlib.sha256((self.sql + yml.read_text()).encode()).hexdigest()[:16]
        self._tree = tree
        self._audit_tree, self.safe_casts = macros.add_raw_projections(tree)
        for column in self.safe_casts:
            if column not in self.column_names:
                raise ApexConfigError(path, "", f"safe cast into {column!r}, which {yml.name} does not declare")
        self.origin = self.spec.origin or _derived_origin(self.name, tree)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.spec.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.spec.columns if c.name == name)

    @property
    def is_versioned(self) -> bool:
        """A staging model over raw record versions: it carries the envelope's identity and version columns."""
        return set(ENVELOPE_KEYS) <= set(self.column_names)

    def sql_for(self, dialect: str, audit: bool = False) -> str:
        """The model's SELECT in the warehouse's dialect (written once, in PostgreSQL's), with the safe-cast macros
        expanded. `audit=True` also selects the raw text behind each safe cast as `__raw__<column>`."""
        tree = macros.expand(self._audit_tree if audit else self._tree, dialect)
        return tree.sql(dialect=macros.sqlglot_dialect(dialect))

    @property
    def relationship_targets(self) -> list[str]:
        return [t.relationship.to for t in self.spec.tests if t.relationship is not None]

    def __repr__(self) -> str:
        return f"Model({self.layer}/{self.name})"


def _check_tests(model: Model, models: dict[str, Model]) -> None:
    yml = model.path.with_suffix(".yml")
    for test in model.spec.tests:
        if test.relationship is not None:
            target = models.get(test.relationship.to)
            if target is None:
                raise ApexConfigError(yml, f"tests.{test.name}", f"refers to unknown model {test.relationship.to!r}")
            if test.relationship.field not in target.column_names:
                raise ApexConfigError(yml, f"tests.{test.name}", f"{test.relationship.to} has no column "
                                      f"{test.relationship.field!r}")
            if model.spec.materialized == "view":
                raise ApexConfigError(yml, f"tests.{test.name}", "relationships are tested on tables (marts), "
                                      "where the target holds each record's current version")
        if test.unique is not None and test.severity == "quarantine" and model.spec.materialized == "view":
            raise ApexConfigError(yml, f"tests.{test.name}", "quarantine of duplicates works on tables (marts), "
                                  "where each record has one row")
    quarantines = any(t.severity == "quarantine" for t in model.spec.tests) or any(
        t.severity == "quarantine" for c in model.spec.columns for t in c.tests) or bool(model.safe_casts)
    if quarantines and model.spec.materialized == "view" and not model.is_versioned:
        raise ApexConfigError(yml, "columns", f"a view with quarantine rules (or safe casts) carries the envelope "
                              f"columns {', '.join(ENVELOPE_KEYS)}, which identify each record version")


ENVELOPE_KEYS = ("source_id", "source_updated_at", "fetched_at")


def _derived_origin(name: str, tree: exp.Expression) -> Origin | None:
    """`stg_<source>__<entity>` reading `raw_<source> where stream = '<stream>'`: the source and stream it stages."""
    if not name.startswith("stg_") or "__" not in name:
        return None
    source = name[len("stg_"):].split("__", 1)[0]
    for eq in tree.find_all(exp.EQ):
        sides = (eq.this, eq.expression)
        for column, literal in (sides, sides[::-1]):
            if isinstance(column, exp.Column) and column.name == "stream" and isinstance(literal, exp.Literal):
                return Origin(source=source, stream=literal.this)
    return None


class Project:
    """All models of the project, in dependency order."""

    def __init__(self, root: Path = PROJECT_DIR / "models", seeds: Path = PROJECT_DIR / "seeds",
                 sources: tuple[str, ...] = ()) -> None:
        models: dict[str, Model] = {}
        for layer in LAYERS:
            for path in sorted((root / layer).glob("*.sql")):
                model = Model(path, layer)
                if model.name in models:
                    raise ApexConfigError(path, "", f"model name {model.name!r} is defined twice")
                models[model.name] = model
        self.seeds = {p.stem: p for p in sorted(seeds.glob("*.csv"))}
        known = set(models) | set(self.seeds) | set(sources)
        for model in models.values():
            for table in model.reads:
                if table not in known:
                    raise ApexConfigError(model.path, "", f"reads {table!r}, which is no model, seed or source")
            layer_index = LAYERS.index(model.layer)
            for table in model.reads:
                if table in models and LAYERS.index(models[table].layer) > layer_index:
                    raise ApexConfigError(model.path, "", f"a {model.layer} model cannot read the "
                                          f"{models[table].layer} model {table!r}")
            _check_tests(model, models)
        # A table's relationship targets are refreshed before it, so quarantining orphans sees the current target.
        sorter = graphlib.TopologicalSorter({m.name: [t for t in m.reads if t in models] + m.relationship_targets
                                             for m in models.values()})
        try:
            order = list(sorter.static_order())
        except graphlib.CycleError as err:
            raise ApexConfigError(root, "", f"models depend on each other in a cycle: {' -> '.join(err.args[1])}")
        self.models = [models[name] for name in order]
        self.by_name = models

    def downstream_of(self, names: set[str]) -> list[Model]:
        """Models that read (directly or not) any of `names`, in order."""
        hit = set(names)
        out = []
        for model in self.models:
            if hit.intersection(model.reads):
                hit.add(model.name)
                out.append(model)
        return out

    @property
    def marts(self) -> list[Model]:
        return [m for m in self.models if m.layer == "marts"]


@functools.cache
def default_project() -> Project:
    from dbt_like_sql.schema import SOURCES

    return Project(sources=tuple(f"raw_{s}" for s in SOURCES))
