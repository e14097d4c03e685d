"""Asset checks generated from the declared contracts: one factory for every layer.

- `raw/raw_<source>` gets `envelope_contract`: the raw table's contract (`table_contracts/raw.yml`) on the versions
  stamped within the run's days. Not blocking: a bad record version is held back in staging anyway.
- `canonical/tables` gets `contracts` (every canonical table's declared rules as a Great Expectations suite),
  `quarantine` (rows held back; a stream with more than its limit held is a blocking failure), `source_freshness`,
  `source_volume` (a collapse of live records blocks) and `quality_status_contract`. The same step writes the
  per-dimension status (`apex_data_quality_status`) that the score layers read.
- Each score asset gets `output_contract`: its output table's contract on the rows the run wrote.

Every check runs per partition (organisation x day). In a run of one partition (the daily schedule) a failed blocking
check stops the downstream assets the Dagster way. In a run over many partitions (a backfill) Dagster could only stop
all of them, so the canonical checks stop the run only when every partition failed; otherwise the score layers skip
exactly the (organisation, day) partitions that failed (their status says `held_back`) and compute the rest.

A check's evaluation is recorded on each failing partition and on the run's last day of each organisation (a
backfill's passing days are counted in that last evaluation's metadata, and every day's detail is in
`apex_data_quality_status`): one instance event per evaluation costs about 70 ms on the SQLite instance.
"""

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    Output,
    multi_asset_check,
)

from pipelines.assets.common import organisations_in_run
from pipelines.partitions import DAY_BY_ORG, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource

_SAMPLE_RULES = 10


@dataclass
class Verdict:
    """One check's outcome for one organisation: per day (or once for the whole run when `org_level`)."""

    org_id: str
    days: pd.DatetimeIndex
    failed: np.ndarray                  # bool per day
    error: np.ndarray                   # bool per day: the failure is ERROR severity (else WARN)
    metadata: dict = field(default_factory=dict)
    day_metadata: dict = field(default_factory=dict)   # day -> extra metadata for that day's evaluation
    org_level: bool = False

    @classmethod
    def whole_run(cls, org_id: str, days: pd.DatetimeIndex, failed: bool, error: bool, metadata: dict) -> "Verdict":
        n = len(days)
        return cls(org_id, days, np.full(n, failed), np.full(n, failed and error), metadata, org_level=True)


def _output_name(context: AssetCheckExecutionContext, spec: AssetCheckSpec) -> str:
    return context.op_execution_context.assets_def.get_output_name_for_asset_check_key(spec.key)


def emit(context: AssetCheckExecutionContext, spec: AssetCheckSpec, verdicts: list[Verdict],
         gate_per_partition: bool):
    """Yield the check's evaluations (failing partitions and each organisation's last day) and its output.

    With `gate_per_partition`, a failure stops the run only when every partition of the run failed with ERROR;
    otherwise the downstream assets skip the failed partitions themselves (see the module docstring).
    """
    every_partition_failed = bool(verdicts) and all(v.error.all() for v in verdicts)
    stop_run = spec.blocking and (every_partition_failed or not gate_per_partition)
    for v in verdicts:
        last = v.days[-1]
        days = [last] if v.org_level else sorted(set(v.days[v.failed]) | {last})
        for day in days:
            i = v.days.get_loc(day)
            failed = bool(v.failed[i])
            metadata = dict(v.metadata)
            metadata.update(v.day_metadata.get(day, {}))
            if len(v.days) > 1:
                metadata["days_in_run"] = len(v.days)
                metadata["days_failing"] = int(v.failed.sum())
                if v.org_level:
                    metadata["applies_to"] = f"{v.days[0].date()} .. {last.date()} (the tables as built by this run)"
            yield AssetCheckEvaluation(
                asset_key=spec.asset_key, check_name=spec.name, passed=not failed,
                severity=AssetCheckSeverity.WARN if failed and not v.error[i] else AssetCheckSeverity.ERROR,
                blocking=stop_run and failed and bool(v.error[i]),
                partition=str(partition_key(day.strftime("%Y-%m-%d"), v.org_id)),
                metadata=metadata, description=summary if isinstance(summary := metadata.get("summary"), str) else None)
    yield Output(None, output_name=_output_name(context, spec))


def _rule_table(outcomes) -> MetadataValue:
    lines = ["| table | rule | severity | expectation | failing rows | sample keys |", "|---|---|---|---|---|---|"]
    for o in outcomes[:_SAMPLE_RULES]:
        keys = json.dumps(o.sample_keys[:3]) if o.sample_keys else ""
        lines.append(f"| {o.table} | {o.rule} | {o.severity} | {o.expectation} | {o.error or o.failing_rows} | "
                     f"{keys} |")
    return MetadataValue.md("\n".join(lines))


def contract_verdict(org_id: str, days: pd.DatetimeIndex, outcomes) -> Verdict:
    """A contract suite's outcomes as one verdict: counts, the failed expectations and a few offending keys."""
    failed = [o for o in outcomes if not o.passed]
    errors = [o for o in failed if o.severity == "error"]
    metadata = {
        "expectations": len(outcomes),
        "failed_expectations": len(failed),
        "failing_rows": sum(o.failing_rows for o in failed),
        "tables": len({o.table for o in outcomes}),
    }
    if failed:
        worst = (errors or failed)[0]
        metadata["summary"] = (f"{len(failed)} expectation(s) failed, e.g. {worst.table}.{worst.rule}: {worst.reason} "
                               f"({worst.error or worst.failing_rows} row(s))")
        metadata["failed"] = _rule_table(errors + [o for o in failed if o.severity != "error"])
    return Verdict.whole_run(org_id, days, bool(failed), bool(errors), metadata)


def _spec(name: str, asset: AssetKey, blocking: bool, description: str) -> AssetCheckSpec:
    return AssetCheckSpec(name, asset=asset, blocking=blocking, description=description, partitions_def=DAY_BY_ORG)


def raw_checks(asset_key: AssetKey, source: str):
    """The `envelope_contract` check of a raw asset: its declared contract on the versions of the run's days."""
    spec = _spec("envelope_contract", asset_key, False,
                 f"raw_{source} against its declared contract (keys present, streams staged, nothing stamped in the "
                 f"future), on the versions stamped within the partition's days.")

    @multi_asset_check(specs=[spec], name=f"raw_{source}_checks", can_subset=True, compute_kind="great_expectations")
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource, apex_config: ApexConfigResource):
        from data_quality.suites import batch_for, validate
        from dbt_like_sql.contracts import raw_contract
        from dbt_like_sql.project import default_project

        streams = tuple(sorted({m.origin.stream for m in default_project().models
                                if m.origin is not None and m.origin.source == source}))
        contract = raw_contract(source, streams)
        verdicts = []
        for org, dates in organisations_in_run(context, apex_config.deployment()):
            if not any(s.type == source and getattr(s, "streams", None) != () for s in org.sources):
                # The organisation lands nothing into this raw table: nothing to judge (and no suite to run).
                verdicts.append(contract_verdict(org.id, dates, []))
                continue
            window = (str(dates[0].date()), str(dates[-1].date()))
            batch = batch_for(contract, org.id, window, day_column="source_updated_at")
            verdicts.append(contract_verdict(org.id, dates, validate(warehouse.url, [batch])))
        yield from emit(context, spec, verdicts, gate_per_partition=False)

    return _check


CANONICAL = AssetKey(["canonical", "tables"])
CANONICAL_SPECS = {
    "contracts": _spec("contracts", CANONICAL, True,
                       "Every canonical table against its declared contract (keys not null and unique, allowed "
                       "values, ranges, date order, references), as a Great Expectations suite per table. An `error` "
                       "rule broken blocks; a `warn` rule warns."),
    "quarantine": _spec("quarantine", CANONICAL, True,
                        "Rows held back in quarantine, by model and rule (warns). More than a stream's declared share "
                        "of its records held back means the source is broken, not a few records: blocks."),
    "source_freshness": _spec("source_freshness", CANONICAL, False,
                              "Each source stream's newest record against the longest gap in its own history (warns: "
                              "the signals reading a stale stream count as stale, lowering coverage)."),
    "source_volume": _spec("source_volume", CANONICAL, True,
                           "Each source stream's volume against its own history: new versions in 7 days far below "
                           "the usual week warns; live records collapsing against 7 days earlier blocks."),
    "quality_status_contract": _spec("quality_status_contract", CANONICAL, True,
                                     "apex_data_quality_status, as written by these checks, against its declared "
                                     "contract."),
}


def _stream_verdict(org_id: str, report, column_error: str | None, column_warn: str | None, check: str) -> Verdict:
    """Per day: a stream flagged in `column_error` fails with ERROR, in `column_warn` with WARN."""
    days = report.dates
    present = report.streams[report.streams["present"]].copy()
    present["_error"] = present[column_error] if column_error else False
    present["_warn"] = present[column_warn] if column_warn else False
    present["_any"] = present["_error"] | present["_warn"]
    by_day = present.groupby("as_of")[["_error", "_any"]].any().reindex(days, fill_value=False)
    err, failed = by_day["_error"].to_numpy(bool), by_day["_any"].to_numpy(bool)
    day_metadata = {}
    for day in days[failed]:
        rows = present[(present["as_of"] == day) & present["_any"]]
        day_metadata[day] = {
            "summary": f"{check} on {day.date()}: {', '.join(sorted(rows['stream']))}",
            "streams": MetadataValue.json(json.loads(rows[[
                "source", "stream", "age_days", "max_age_days", "arrivals_7d", "usual_7d", "live_records",
                "live_7d_before"]].to_json(orient="records")))}
    last = present[present["as_of"] == days[-1]]
    metadata = {"streams_judged": int(last["stream"].nunique()), "stale_streams": int(last["stale"].sum()),
                "low_volume_streams": int(last["arrivals_low"].sum()),
                "collapsed_streams": int(last["collapsed"].sum())}
    return Verdict(org_id, days, failed, err, metadata, day_metadata)


def _quarantine_verdict(org_id: str, report) -> Verdict:
    """ERROR on the days a stream holds more than its limit; otherwise a WARN on the run's last day when any row
    is held (held rows are current state, not a per-day event, so one evaluation carries them)."""
    days = report.dates
    present = report.streams[report.streams["present"]]
    overflow = present.groupby("as_of")["quarantine_overflow"].any().reindex(days, fill_value=False).to_numpy(bool)
    held = {**report.staging_held, **report.table_held}
    total = sum(sum(rules.values()) for rules in held.values())
    metadata = {"quarantined_rows": total}
    if held:
        metadata["by_rule"] = MetadataValue.md("| model | rule | rows |\n|---|---|---|\n" + "\n".join(
            f"| {m} | {r} | {n} |" for m, rules in sorted(held.items()) for r, n in sorted(rules.items())))
        metadata["summary"] = f"{total} row(s) held back in quarantine across {len(held)} model(s)"
    failed = overflow.copy()
    failed[-1] = failed[-1] or total > 0
    return Verdict(org_id, days, failed, overflow, metadata)


@multi_asset_check(specs=list(CANONICAL_SPECS.values()), name="canonical_quality_checks", can_subset=True,
                   compute_kind="great_expectations",
                   description="Data-quality checks of the canonical layer; writes apex_data_quality_status.")
def canonical_quality_checks(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
                             apex_config: ApexConfigResource):
    from data_quality.report import assess_organisation

    model = apex_config.model()
    engine = warehouse.engine()
    selected = {k.name for k in context.selected_asset_check_keys}
    verdicts: dict[str, list[Verdict]] = {name: [] for name in CANONICAL_SPECS}
    for org, dates in organisations_in_run(context, apex_config.deployment()):
        report = assess_organisation(engine, warehouse.url, model, org.id, dates,
                                     run_contracts="contracts" in selected,
                                     check_status_contract="quality_status_contract" in selected)
        if report.contracts is not None:
            verdicts["contracts"].append(contract_verdict(org.id, report.dates, report.contracts))
        verdicts["quarantine"].append(_quarantine_verdict(org.id, report))
        verdicts["source_freshness"].append(_stream_verdict(org.id, report, None, "stale", "stale"))
        verdicts["source_volume"].append(_stream_verdict(org.id, report, "collapsed", "arrivals_low",
                                                         "volume"))
        if report.status_contract is not None:
            verdicts["quality_status_contract"].append(contract_verdict(org.id, report.dates, report.status_contract))
        held = report.held_back_days
        if len(held):
            context.log.warning(f"{org.id}: scores held back for {len(held)} day(s) by a blocking data-quality "
                                f"failure ({held[0].date()} .. {held[-1].date()}); see apex_data_quality_status")
    for name, spec in CANONICAL_SPECS.items():
        if name in selected:
            yield from emit(context, spec, verdicts[name], gate_per_partition=True)


def output_checks(asset_key: AssetKey, table: str, *more_tables: str, day_column: str = "as_of"):
    """The `output_contract` check of an output asset: its output tables' contracts on the rows the run wrote (the
    rows whose `day_column` falls in the run's days). An asset writing several tables, like the Measure asset, names
    them all: one check judges them together."""
    tables = (table, *more_tables)
    spec = _spec("output_contract", asset_key, True,
                 f"{', '.join(tables)} against the declared output contract (keys, allowed values, 1..100 scores, "
                 f"ranges that contain their score), on the rows of the partition's days.")

    @multi_asset_check(specs=[spec], name=f"{table}_checks", can_subset=True, compute_kind="great_expectations")
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource, apex_config: ApexConfigResource):
        from data_quality.suites import batch_for, validate
        from dbt_like_sql.contracts import output_contract

        contracts = [output_contract(name) for name in tables]
        version = apex_config.model().version
        verdicts = []
        for org, dates in organisations_in_run(context, apex_config.deployment()):
            window = (str(dates[0].date()), str(dates[-1].date()))
            outcomes = validate(warehouse.url, [batch_for(contract, org.id, window, day_column=day_column,
                                                          model_version=version) for contract in contracts])
            verdicts.append(contract_verdict(org.id, dates, outcomes))
        yield from emit(context, spec, verdicts, gate_per_partition=False)

    return _check
