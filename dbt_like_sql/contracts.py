"""A model's declared contract as a flat list of rules: what the runner tests, what quarantine holds back, and what
the Great Expectations suites are generated from (`data_quality/suites.py`). One source, three uses.

Grain: one `Rule` per (model, test). Each row-level rule can say, in SQL, whether a row breaks it (`predicate`), and
carries the one sentence a held-back row gets as its reason: it names the field and the problem, never the value.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from pathlib import Path

from pydantic import ValidationError

from apex_model.errors import from_validation_error
from apex_model.model import read_yaml
from dbt_like_sql.macros import EXPECTED_FORMAT, RAW_PREFIX
from dbt_like_sql.project import PROJECT_DIR, Model, ModelSpec, Relationship

ROW_KINDS = ("not_null", "not_blank", "accepted_values", "accepted_range", "expression", "parseable")


def _q(name: str) -> str:
    return f'"{name}"'


def _literal(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


@dataclass(frozen=True)
class Rule:
    model: str
    name: str
    kind: str
    severity: str
    columns: tuple[str, ...]
    reason: str
    values: tuple[str, ...] = ()
    min_value: float | str | None = None
    max_value: float | str | None = None
    relationship: Relationship | None = None
    expression: str | None = None
    cast_type: str | None = None

    @property
    def key(self) -> str:
        return f"{self.model}.{self.name}"

    @property
    def referenced_columns(self) -> tuple[str, ...]:
        """The model's columns the rule reads (an expression's are parsed from it)."""
        if self.kind == "expression":
            tree = sqlglot.parse_one(self.expression, read="postgres")
            subquery_columns = {c for s in tree.find_all(exp.Subquery) for c in s.find_all(exp.Column)}
            return tuple(dict.fromkeys(c.name for c in tree.find_all(exp.Column) if c not in subquery_columns))
        if self.kind == "parseable":
            return (self.columns[0], RAW_PREFIX + self.columns[0])
        return self.columns

    def predicate(self, alias: str = "m") -> str:
        """SQL (PostgreSQL dialect) that is true for a row of `alias` breaking the rule."""
        a = f"{alias}."
        col = f"{a}{_q(self.columns[0])}" if self.columns else ""
        if self.kind == "not_null":
            return f"{col} is null"
        if self.kind == "not_blank":
            return f"({col} is null or trim(cast({col} as text)) = '')"
        if self.kind == "accepted_values":
            return f"({col} is not null and {col} not in ({', '.join(_literal(v) for v in self.values)}))"
        if self.kind == "accepted_range":
            bounds = []
            if self.min_value is not None:
                bounds.append(f"{col} < {_literal(self.min_value)}")
            if self.max_value is not None:
                bounds.append(f"{col} > {_literal(self.max_value)}")
            return f"({col} is not null and ({' or '.join(bounds)}))"
        if self.kind == "expression":
            return f"not ({self.expression})"
        if self.kind == "parseable":
            return f"({a}{_q(RAW_PREFIX + self.columns[0])} is not null and {col} is null)"
        if self.kind in ("unique", "grain_unique"):
            same = " and ".join(f"u.{_q(c)} = {a}{_q(c)}" for c in self.columns)
            return (f"((select count(*) from {_q(self.model)} u where u.org_id = {a}org_id and {same}) > 1)")
        if self.kind == "relationship":
            rel = self.relationship
            return (f"({a}{_q(rel.column)} is not null and not exists (select 1 from {_q(rel.to)} t "
                    f"where t.org_id = {a}org_id and t.{_q(rel.field)} = {a}{_q(rel.column)}))")
        raise ValueError(f"unknown rule kind {self.kind}")


def _bound(value) -> str:
    if isinstance(value, (int, float)) and float(value).is_integer():
        return f"{int(value):,}"
    return str(value)


def _range_text(low, high) -> str:
    if low is not None and high is not None:
        return f"outside {_bound(low)} .. {_bound(high)}"
    return f"below {_bound(low)}" if low is not None else f"above {_bound(high)}"


def rules(model: "Model | DeclaredTable") -> list[Rule]:
    """Every rule of a model: declared column and model tests, the grain, and one parseable rule per safe cast."""
    spec = model.spec
    out: list[Rule] = []
    if spec.materialized == "table":
        grain = tuple(k for k in spec.grain if k != "org_id") or spec.grain
        out.append(Rule(model.name, "grain_unique", "grain_unique", "error", grain,
                        f"{', '.join(grain)} is not unique"))
    for col in spec.columns:
        declared = {t.kind for t in col.tests}
        if spec.materialized == "table" and col.name in spec.grain and not declared & {"not_null", "not_blank"}:
            out.append(Rule(model.name, f"{col.name}_not_null", "not_null", "error", (col.name,),
                            f"{col.name} is missing"))
        for test in col.tests:
            name = f"{col.name}_{test.kind}"
            if test.kind == "not_null":
                reason = f"{col.name} is missing"
            elif test.kind == "not_blank":
                reason = f"{col.name} is missing or blank"
            elif test.kind == "accepted_values":
                reason = f"{col.name} is not one of the accepted values ({', '.join(test.values)})"
            else:
                reason = f"{col.name} is {_range_text(test.min_value, test.max_value)}"
            out.append(Rule(model.name, name, test.kind, test.severity, (col.name,), reason, values=test.values,
                            min_value=test.min_value, max_value=test.max_value))
    for column, cast_type in model.safe_casts.items():
        out.append(Rule(model.name, f"{column}_parseable", "parseable", "quarantine", (column,),
                        f"{column} is not {EXPECTED_FORMAT[cast_type]}", cast_type=cast_type))
    out.extend(getattr(model, "extra_rules", ()))
    for test in spec.tests:
        if test.relationship is not None:
            rel = test.relationship
            reason = test.reason or f"{rel.column} refers to a {rel.to} record that does not exist (or is held back)"
            out.append(Rule(model.name, test.name, "relationship", test.severity, (rel.column,), reason,
                            relationship=rel))
        elif test.unique is not None:
            reason = test.reason or f"{', '.join(test.unique)} is shared with another record"
            out.append(Rule(model.name, test.name, "unique", test.severity, tuple(test.unique), reason))
        else:
            reason = test.reason or f"breaks the rule {test.name} ({test.expression})"
            out.append(Rule(model.name, test.name, "expression", test.severity, (), reason,
                            expression=test.expression))
    return out


def quarantine_rules(model: Model) -> list[Rule]:
    return [r for r in rules(model) if r.severity == "quarantine"]


def test_rules(model: Model) -> list[Rule]:
    """The rules a build tests after the refresh: error (blocking) and warn."""
    return [r for r in rules(model) if r.severity in ("error", "warn")]


TABLE_CONTRACTS_DIR = PROJECT_DIR / "table_contracts"
OUTPUT_TABLES = ("apex_signal_values", "apex_dimension_scores", "apex_ecosystem_health", "apex_data_quality_status",
                 "apex_partner_signal_values", "apex_score_changes", "apex_measure", "apex_survey_signals",
                 "apex_perception_gaps", "apex_peer_benchmark")


class DeclaredTable:
    """A table the Python side writes (raw landing, output contract) with its contract declared in YAML
    (`table_contracts/`), in the same format as a SQL model's, so the same rules and checks apply."""

    safe_casts: dict[str, str] = {}
    origin = None

    def __init__(self, path: Path, name: str | None = None, layer: str = "output",
                 extra_rules: tuple[Rule, ...] = ()) -> None:
        data = read_yaml(path)
        if name is not None:
            data = {**data, "name": name}
        try:
            self.spec = ModelSpec.model_validate(data)
        except ValidationError as err:
            raise from_validation_error(path, err, data) from None
        self.path = path
        self.name = self.spec.name
        self.layer = layer
        self.extra_rules = extra_rules

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.spec.columns]

    def __repr__(self) -> str:
        return f"DeclaredTable({self.layer}/{self.name})"


def raw_contract(source: str, streams: tuple[str, ...]) -> DeclaredTable:
    """The contract of `raw_<source>`; `streams` are the source's streams some staging model reads."""
    name = f"raw_{source}"
    extra = (Rule(name, "stream_staged", "accepted_values", "warn", ("stream",),
                  f"stream is not one of the streams a staging model reads for {source} "
                  f"({', '.join(streams) or 'none'}), so its versions are landed but never used",
                  values=tuple(streams)),) if streams else ()
    return DeclaredTable(TABLE_CONTRACTS_DIR / "raw.yml", name=name, layer="raw", extra_rules=extra)


def output_contract(name: str) -> DeclaredTable:
    if name not in OUTPUT_TABLES:
        raise ValueError(f"no declared contract for {name!r}; output tables: {', '.join(OUTPUT_TABLES)}")
    return DeclaredTable(TABLE_CONTRACTS_DIR / f"{name}.yml")
