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

PROJECT_DIR = Path(__file__).parent
LAYERS = ("staging", "intermediate", "marts")
ColumnType = Literal["text", "integer", "float", "boolean", "date", "timestamp", "json"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AcceptedValues(_Strict):
    accepted_values: tuple[str, ...]


class ColumnSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: ColumnType
    description: str = ""
    tests: tuple[Literal["not_null"] | AcceptedValues, ...] = ()

    @property
    def accepted_values(self) -> tuple[str, ...] | None:
        for test in self.tests:
            if isinstance(test, AcceptedValues):
                return test.accepted_values
        return None

    @property
    def not_null(self) -> bool:
        return "not_null" in self.tests


class Relationship(_Strict):
    column: str
    to: str
    field: str


class ModelTest(_Strict):
    """A model-level test: a reference that must resolve, or a row condition that must hold."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    relationship: Relationship | None = None
    expression: str | None = None
    severity: Literal["error", "warn"] = "error"

    @model_validator(mode="after")
    def _one_kind(self) -> "ModelTest":
        if (self.relationship is None) == (self.expression is None):
            raise ValueError("a test has exactly one of 'relationship' or 'expression'")
        return self


class ModelSpec(_Strict):
    name: str
    description: str = Field(min_length=1)
    grain: tuple[str, ...] = Field(min_length=1)
    materialized: Literal["view", "table"]
    columns: tuple[ColumnSpec, ...] = Field(min_length=1)
    tests: tuple[ModelTest, ...] = ()

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

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.spec.columns]

    def sql_for(self, dialect: str) -> str:
        """The model's SELECT in the warehouse's dialect (written once, in PostgreSQL's)."""
        if dialect == "postgresql":
            return self.sql
        return sqlglot.transpile(self.sql, read="postgres", write=dialect)[0]

    def __repr__(self) -> str:
        return f"Model({self.layer}/{self.name})"


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
        sorter = graphlib.TopologicalSorter({m.name: [t for t in m.reads if t in models] for m in models.values()})
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
