"""A model's declared contract as a flat list of rules: what the runner tests, what quarantine holds back, and what
the Great Expectations suites are generated from (`data_quality/suites.py`). One source, three uses.

Grain: one `Rule` per (model, test). Each row-level rule can say, in SQL, whether a row breaks it (`predicate`), and
carries the one sentence a held-back row gets as its reason: it names the field and the problem, never the value.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from dbt_like_sql.macros import EXPECTED_FORMAT, RAW_PREFIX
from dbt_like_sql.project import Model, Relationship

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


def rules(model: Model) -> list[Rule]:
    """Every rule of a model: declared column and model tests, the grain, and one parseable rule per safe cast."""
    spec = model.spec
    out: list[Rule] = []
    if spec.materialized == "table":
        grain = tuple(k for k in spec.grain if k != "org_id") or spec.grain
        out.append(Rule(model.name, "grain_unique", "grain_unique", "error", grain,
                        f"{', '.join(grain)} is not unique"))
    for col in spec.columns:
        declared = {t.kind for t in col.tests}
        if spec.materialized == "table" and col.name in spec.grain and "not_null" not in declared:
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
