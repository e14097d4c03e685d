"""Measure layer and report: survey signals, perception gaps, cycle progress, peer benchmark, and the HTML report."""


from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines import measure, report
from pipelines.assets.common import organisations_in_run, window_text
from pipelines.assets.drift import apex_drift_events
from pipelines.assets.scores import apex_partner_signal_values, scorable_days
from pipelines.partitions import DAY_BY_ORG, SINGLE_RUN, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource


@asset(key=["measure", "apex_measure"], deps=[apex_drift_events], group_name="measure",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_measure(context: AssetExecutionContext, warehouse: WarehouseResource,
                 apex_config: ApexConfigResource) -> MaterializeResult:
    """The Measure phase per organisation and day: imports the configured survey files (`survey_imports`,
    `survey_answers`, `survey_held_back`), then writes `apex_survey_signals` (survey score per dimension and
    respondent group, with age and confidence), `apex_perception_gaps` (self vs measured, leadership vs operations),
    `apex_measure` (focus-dimension progress against the cycle's targets, and surprises), `apex_cycles` (the cycle
    history) and `apex_peer_benchmark` (percentile within the stage cohort, from five organisations)."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    config_dir = Path(apex_config.deployment_path).resolve().parent
    imported, failed, held, gaps, focus_rows, bench_rows = 0, [], 0, 0, 0, 0
    for org, dates in organisations_in_run(context, deployment):
        for outcome in measure.import_configured_surveys(engine, org, config_dir):
            if outcome.status == "failed":
                failed.append(f"{org.id}: {outcome.reason}")
                context.log.error(f"survey import failed: {outcome.reason}")
            else:
                imported += outcome.answers
                held += outcome.held_back
                if outcome.held_back:
                    context.log.warning(f"{org.id} {outcome.file_name}: {outcome.reason}")
        dates = scorable_days(context, engine, model, org, dates)
        if not len(dates):
            continue
        result = measure.compute_measure_layer(engine, model, deployment, org, dates)
        gaps += int(result.gaps["notable"].sum()) if not result.gaps.empty else 0
        focus_rows += int(result.measure["is_focus"].sum()) if not result.measure.empty else 0
        bench_rows += len(result.benchmark)
        context.log.info(f"{org.id}: measure over {window_text(dates)}")
    return MaterializeResult(metadata={
        "survey_answers_imported": imported, "survey_answers_held_back": held,
        "survey_files_failed": MetadataValue.md("\n".join(f"- {f}" for f in failed) or "none"),
        "notable_perception_gaps": gaps, "focus_rows": focus_rows, "benchmark_rows": bench_rows})


@asset(key=["report", "apex_report"], deps=[apex_measure, apex_partner_signal_values], group_name="measure",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"html"})
def apex_report(context: AssetExecutionContext, warehouse: WarehouseResource,
                apex_config: ApexConfigResource) -> MaterializeResult:
    """The HTML report (one self-contained file per organisation, day and language, nl and en; PDF when configured),
    for the last day of each organisation in the run. Its path is in the partition's metadata (`report_path`), and
    every file written is listed in `apex_reports`."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    paths = []
    for org, dates in organisations_in_run(context, deployment):
        dates = scorable_days(context, engine, model, org, dates)
        if not len(dates):
            continue
        day = dates[-1].date()
        written = report.write_reports(engine, model, deployment, org, day)
        main = written[0]
        meta = {"report_path": MetadataValue.path(main["path"]),
                "report_link": MetadataValue.url(Path(main["path"]).as_uri()),
                "languages": ", ".join(w["language"] for w in written), "bytes": main["bytes"]}
        if main["pdf_path"]:
            meta["pdf_path"] = MetadataValue.path(main["pdf_path"])
        for w in written[1:]:
            meta[f"report_path_{w['language']}"] = MetadataValue.path(w["path"])
        context.add_asset_metadata(meta, partition_key=partition_key(day.isoformat(), org.id))
        paths.extend(w["path"] for w in written)
        context.log.info(f"{org.id}: report for {day} at {main['path']}")
    return MaterializeResult(metadata={"reports": MetadataValue.md("\n".join(f"- {p}" for p in paths) or "none")})
