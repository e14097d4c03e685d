"""Score layers: signal values -> dimension scores -> ecosystem health and maturity (the output contract)."""


import math

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from apex_model.explain import top_movers
from apex_model.model import DIMENSION_IDS
from pipelines import layers
from pipelines.assets.canonical import canonical_tables
from pipelines.assets.common import organisations_in_run, window_text
from pipelines.partitions import DAY_BY_ORG, SINGLE_RUN, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource


def scorable_days(context: AssetExecutionContext, engine, model, org, dates):
    """The run's days of this organisation that are not held back by a blocking data-quality failure; the held ones
    get a note on their partition (see pipelines/checks.py for why a backfill gates per partition)."""
    dates, held = layers.scorable_dates(engine, model, org.id, dates)
    for day in held:
        context.add_asset_metadata({"held_back": "not scored: a blocking data-quality check failed on an input "
                                                 "(see apex_data_quality_status)"},
                                   partition_key=partition_key(day.strftime("%Y-%m-%d"), org.id))
    if len(held):
        context.log.warning(f"{org.id}: {len(held)} day(s) held back by a failed blocking data-quality check")
    return dates


@asset(key=["signals", "apex_signal_values"], deps=[canonical_tables], group_name="scores",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_signal_values(context: AssetExecutionContext, warehouse: WarehouseResource,
                       apex_config: ApexConfigResource) -> MaterializeResult:
    """One row per organisation, as-of date and signal: raw value, sample size n, status (present, stale, missing,
    not applicable) and the 1..100 score under the goalposts of the day's stage. Output contract table."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    total = 0
    present = 0
    for org, dates in organisations_in_run(context, deployment):
        layers.check_dates(org, dates, layers.first_record_day(engine, org.id))
        dates = scorable_days(context, engine, model, org, dates)
        if not len(dates):
            continue
        scored = layers.compute_signal_layer(engine, model, org, dates)
        total += len(scored)
        present += int(scored["status"].eq("present").sum())
        context.log.info(f"{org.id}: {scored['signal_id'].nunique()} signals over {window_text(dates)}")
    return MaterializeResult(metadata={"rows": total, "present_share": round(present / total, 4) if total else 0.0,
                                       "model_version": model.version})


@asset(key=["signals", "apex_partner_signal_values"], deps=[canonical_tables], group_name="scores",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_partner_signal_values(context: AssetExecutionContext, warehouse: WarehouseResource,
                               apex_config: ApexConfigResource) -> MaterializeResult:
    """Partner-level values of the per-partner signals: one row per organisation, snapshot day (the run's last day
    and every month-end in it), signal and partner in the programme, with value and n. Output contract table."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    rows = 0
    for org, dates in organisations_in_run(context, deployment):
        dates = scorable_days(context, engine, model, org, dates)
        if not len(dates):
            continue
        values = layers.compute_partner_layer(engine, model, org, dates)
        rows += len(values)
        context.log.info(f"{org.id}: {len(values)} partner-level rows on {len(layers.snapshot_days(dates))} "
                         f"snapshot day(s)")
    return MaterializeResult(metadata={"rows": rows, "model_version": model.version})


@asset(key=["scores", "apex_score_changes"], deps=[apex_signal_values], group_name="scores",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_score_changes(context: AssetExecutionContext, warehouse: WarehouseResource,
                       apex_config: ApexConfigResource) -> MaterializeResult:
    """Why each dimension moved since the day before: for every day of the run whose previous day is stored, one
    row per dimension and signal with its contribution in points (value change, or coverage: the signal appeared
    or dropped out), plus the dimension's total. Any two days: `apex explain`. Output contract table."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    rows = 0
    for org, dates in organisations_in_run(context, deployment):
        dates = scorable_days(context, engine, model, org, dates)
        if len(dates):
            rows += len(layers.compute_change_layer(engine, model, org, dates))
    return MaterializeResult(metadata={"rows": rows, "model_version": model.version})


@asset(key=["scores", "apex_dimension_scores"], deps=[apex_signal_values], group_name="scores",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_dimension_scores(context: AssetExecutionContext, warehouse: WarehouseResource,
                          apex_config: ApexConfigResource) -> MaterializeResult:
    """One row per organisation, as-of date and dimension (D1..D8): score (null when insufficient data),
    low-high range, weighted signal coverage, status, capability level and stage-blended weight. Output contract."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    rows = 0
    for org, dates in organisations_in_run(context, deployment):
        dates = scorable_days(context, engine, model, org, dates)
        if len(dates):
            rows += len(layers.compute_dimension_layer(engine, model, org, dates))
    return MaterializeResult(metadata={"rows": rows, "model_version": model.version})


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 2)


@asset(key=["scores", "apex_ecosystem_health"], deps=[apex_dimension_scores, apex_score_changes], group_name="scores",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_ecosystem_health(context: AssetExecutionContext, warehouse: WarehouseResource,
                          apex_config: ApexConfigResource) -> MaterializeResult:
    """One row per organisation and as-of date: overall health (weighted geometric mean) with its range, the
    arithmetic mean and weakest dimension beside it, coverage, stage, and the maturity level with what the next
    level needs. Each partition's materialisation carries its scores as numeric metadata, so the asset's plots
    show their history, and `Dn_change` says why a dimension moved since the day before (its largest signal
    contributions, from apex_score_changes). Output contract table."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    for org, dates in organisations_in_run(context, deployment):
        dates = scorable_days(context, engine, model, org, dates)
        if not len(dates):
            continue
        health = layers.compute_health_layer(engine, model, org, dates)
        dims = layers.stored_dimension_scores(engine, model, org.id, dates)
        changes = layers.stored_changes(engine, model, org.id, dates)
        for row in health.itertuples(index=False):
            day = row.as_of.strftime("%Y-%m-%d")
            metadata: dict = {
                "overall_score": _number(row.overall_score),
                "coverage": round(float(row.coverage), 4),
                "maturity_level": int(row.maturity_level),
                "maturity_provisional": bool(row.maturity_provisional),
                "stage": row.stage,
                "next_level": row.next_level_en,
            }
            day_dims = dims[dims["as_of"] == row.as_of].set_index("dimension")
            for dim in DIMENSION_IDS:
                metadata[f"{dim}_score"] = _number(day_dims["score"].get(dim))
            day_changes = changes[changes["to_date"] == row.as_of]
            for dim, text in top_movers(day_changes).items():
                metadata[f"{dim}_change"] = text
            clean = {k: v for k, v in metadata.items() if v is not None}
            clean["model_version"] = MetadataValue.text(model.version)
            context.add_asset_metadata(clean, partition_key=partition_key(day, org.id))
    return MaterializeResult()
