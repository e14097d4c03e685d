"""Great Expectations suites generated from declared contracts, validated against the warehouse.

Grain: one `Batch` per (table, organisation[, days]) and one `RuleOutcome` per (batch, rule). Every rule of a table's
contract (`dbt_like_sql.contracts.rules`) becomes one expectation: the standard ones where GX has them (not null,
in set, between, unique), and an `UnexpectedRowsExpectation` running the rule's own SQL predicate otherwise (date
order, references, blanks), so GX and the runner judge a row by the same condition. Outcomes carry counts, the
expectation type and a few offending keys (id columns only: GX's sample values are dropped, since payload fields may
hold personal data).

GX 1.x the ephemeral way: a fresh in-memory context per validation, a SQL data source on the warehouse URL, one query
asset per batch, progress bars and analytics off, its logger at WARNING.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from dbt_like_sql.contracts import Rule, rules
from dbt_like_sql.quarantine import to_dialect
from dbt_like_sql.warehouse import redact_url

_SAMPLE = 5
_ALIAS = "subselect"   # GX names a query asset's batch `subselect` inside an unexpected-rows query
_ORG_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Batch:
    """The rows of one table to validate: `where` is a filter in the warehouse's dialect built by `batch_for`."""

    table: object                    # a dbt_like_sql Model or DeclaredTable
    where: str
    keys: tuple[str, ...]
    label: str                       # e.g. "opportunities" or "apex_signal_values"

    @property
    def query(self) -> str:
        return f'select * from "{self.table.name}" where {self.where}'


def batch_for(table, org_id: str, days: tuple[str, str] | None = None, day_column: str = "as_of",
              model_version: str | None = None) -> Batch:
    """One organisation's rows of a table (optionally days [first, last] of `day_column`, and one model version).

    GX query assets take no bound parameters, so the values are checked against strict patterns before they are
    written into the SQL: organisation ids follow the configuration's pattern, days are ISO dates.
    """
    if not _ORG_ID.match(org_id):
        raise ValueError(f"organisation id {org_id!r} does not match {_ORG_ID.pattern}")
    where = [f"org_id = '{org_id}'"]
    if days is not None:
        first, last = days
        if not (_DAY.match(first) and _DAY.match(last)):
            raise ValueError(f"days must be YYYY-MM-DD, got {days!r}")
        if day_column == "as_of":
            where.append(f"as_of >= '{first}' and as_of <= '{last}'")
        else:  # a timestamp column: from the start of the first day to the end of the last
            after = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
            where.append(f"{day_column} >= '{first}' and {day_column} < '{after}'")
    if model_version is not None:
        if not re.match(r"^[A-Za-z0-9._-]{1,32}$", model_version):
            raise ValueError(f"model version {model_version!r} is not a plain version string")
        where.append(f"model_version = '{model_version}'")
    keys = tuple(k for k in table.spec.grain if k != "org_id")
    return Batch(table, " and ".join(where), keys, table.name)


@dataclass(frozen=True)
class RuleOutcome:
    table: str
    rule: str
    kind: str
    severity: str
    expectation: str
    passed: bool
    failing_rows: int
    checked_rows: int | None
    sample_keys: list[dict] = field(default_factory=list)
    reason: str = ""
    error: str | None = None

    def as_dict(self) -> dict:
        return {"table": self.table, "rule": self.rule, "severity": self.severity, "expectation": self.expectation,
                "passed": self.passed, "failing_rows": self.failing_rows, "checked_rows": self.checked_rows,
                "sample_keys": self.sample_keys, "reason": self.reason, **({"error": self.error} if self.error else {})}


def _sqlite_type_predicate(table, alias: str) -> str | None:
    """SQLite keeps whatever it is given; a value of the wrong storage class breaks the declared type."""
    tests = {
        "integer": "typeof({c}) <> 'integer'",
        "float": "typeof({c}) not in ('integer', 'real')",
        "boolean": "{c} not in (0, 1)",
        "date": "date({c}) is null or date({c}) <> {c}",
        "timestamp": "datetime({c}) is null",
        "text": "typeof({c}) <> 'text'",
    }
    parts = []
    for column in table.spec.columns:
        if column.type in tests:
            ref = f'{alias}."{column.name}"'
            parts.append(f"({ref} is not null and ({tests[column.type].format(c=ref)}))")
    return " or ".join(parts) or None


def _expectations(batch: Batch, dialect: str, wanted):
    """(rule, GX expectation) pairs for a batch: each selected rule, the declared column set, and on SQLite the
    declared column types."""
    import great_expectations.expectations as gxe

    table = batch.table
    keys = ", ".join(f'{_ALIAS}."{k}"' for k in batch.keys)
    pairs = []

    def unexpected_rows(rule: Rule, predicate: str):
        sql = f"select {keys} from {{batch}} where {to_dialect(predicate, dialect)}"
        return gxe.UnexpectedRowsExpectation(unexpected_rows_query=sql, description=rule.reason)

    columns = [c.name for c in table.spec.columns]
    shape = Rule(table.name, "declared_columns", "columns", "error", tuple(columns),
                 "the table's columns differ from its declared contract")
    pairs.append((shape, gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True)))
    if dialect == "sqlite":
        predicate = _sqlite_type_predicate(table, _ALIAS)
        if predicate:
            rule = Rule(table.name, "declared_types", "types", "error", (),
                        "a value is not of its column's declared type")
            sql = f"select {keys} from {{batch}} where {predicate}"
            pairs.append((rule, gxe.UnexpectedRowsExpectation(unexpected_rows_query=sql, description=rule.reason)))
    for rule in rules(table):
        if not wanted(rule):
            continue
        col = rule.columns[0] if rule.columns else None
        if rule.kind == "grain_unique":
            exp = (gxe.ExpectColumnValuesToBeUnique(column=col) if len(rule.columns) == 1
                   else gxe.ExpectCompoundColumnsToBeUnique(column_list=list(rule.columns)))
        elif rule.kind == "not_null":
            exp = gxe.ExpectColumnValuesToNotBeNull(column=col)
        elif rule.kind == "accepted_values":
            exp = gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(rule.values))
        elif rule.kind == "accepted_range":
            exp = gxe.ExpectColumnValuesToBeBetween(column=col, min_value=rule.min_value, max_value=rule.max_value)
        else:
            exp = unexpected_rows(rule, rule.predicate(_ALIAS))
        pairs.append((rule, exp))
    for i, (_rule, exp) in enumerate(pairs):
        exp.meta = {"apex_rule_index": i}
    return pairs


def _keys_only(rows, keys: tuple[str, ...]) -> list[dict]:
    out = []
    for row in rows or []:
        if isinstance(row, dict):
            out.append({k: (None if row.get(k) is None else str(row.get(k))) for k in keys if k in row})
    return [r for r in out if r][:_SAMPLE]


def _outcome(rule: Rule, batch: Batch, result) -> RuleOutcome:
    res = result.result or {}
    exp_type = result.expectation_config.type
    if result.exception_info and result.exception_info.get("raised_exception"):
        message = str(result.exception_info.get("exception_message") or "")[:300]
        return RuleOutcome(batch.label, rule.name, rule.kind, rule.severity, exp_type, False, 0, None, [],
                           rule.reason, error=message)
    if exp_type == "unexpected_rows_expectation":
        failing = int(res.get("observed_value") or 0)
        sample = _keys_only((res.get("details") or {}).get("unexpected_rows"), batch.keys)
        checked = None
    elif exp_type == "expect_table_columns_to_match_set":
        failing, sample, checked = (0 if result.success else 1), [], None
    else:
        failing = int(res.get("unexpected_count") or 0)
        checked = res.get("element_count")
        index = res.get("partial_unexpected_index_list") or []
        sample = _keys_only(index, batch.keys)
        if not sample and set(rule.columns) <= set(batch.keys):   # the offending values are themselves ids
            sample = [dict(zip(rule.columns, v if isinstance(v, (list, tuple)) else [v]))
                      for v in (res.get("partial_unexpected_list") or [])][:_SAMPLE]
            sample = [{k: str(v) for k, v in row.items()} for row in sample]
    return RuleOutcome(batch.label, rule.name, rule.kind, rule.severity, exp_type, bool(result.success), failing,
                       checked, sample, rule.reason)


def validate(url: str, batches: list[Batch], wanted=lambda rule: rule.severity in ("error", "warn")
             ) -> list[RuleOutcome]:
    """Run each batch's generated suite on the warehouse at `url`; one outcome per rule and batch."""
    if not batches:
        return []
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False)))
    try:
        source = context.data_sources.add_sql("warehouse", connection_string=url)
    except Exception as err:  # never let a URL with a password reach a message
        raise RuntimeError(f"Great Expectations could not open the warehouse {redact_url(url)}: "
                           f"{type(err).__name__}") from None
    outcomes: list[RuleOutcome] = []
    try:
        for i, batch in enumerate(batches):
            pairs = _expectations(batch, dialect, wanted)
            asset = source.add_query_asset(f"{batch.label}_{i}", query=batch.query)
            gx_batch = asset.add_batch_definition_whole_table("all").get_batch()
            # Unexpected-rows expectations return their (key-only) rows in COMPLETE format; the others in SUMMARY,
            # which caps the sample instead of listing every unexpected value.
            for complete in (False, True):
                chosen = [e for _r, e in pairs if (e.expectation_type == "unexpected_rows_expectation") == complete]
                if not chosen:
                    continue
                suite = gx.ExpectationSuite(name=f"{batch.label}_{i}_{int(complete)}", expectations=chosen)
                result = gx_batch.validate(suite, result_format={"result_format": "COMPLETE"} if complete else {
                    "result_format": "SUMMARY", "unexpected_index_column_names": list(batch.keys),
                    "partial_unexpected_count": _SAMPLE, "return_unexpected_index_query": False})
                for res in result.results:
                    rule = pairs[int(res.expectation_config.meta["apex_rule_index"])][0]
                    outcomes.append(_outcome(rule, batch, res))
    finally:
        source.get_execution_engine().close()   # its connections, now rather than at garbage collection
    return outcomes
