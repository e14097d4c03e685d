"""Raw layer: each source's record versions landed with their provenance envelope."""


import pandas as pd
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, asset, multi_asset

from pipelines import layers
from pipelines.assets.common import organisations_in_run, window_text
from pipelines.partitions import DAY_BY_ORG, SINGLE_RUN
from pipelines.resources import ApexConfigResource, WarehouseResource


@asset(
    key=["raw", "raw_sandbox"],
    group_name="raw",
    partitions_def=DAY_BY_ORG,
    backfill_policy=SINGLE_RUN,
    kinds={"python", "sql"},
)
def raw_sandbox(context: AssetExecutionContext, warehouse: WarehouseResource,
                apex_config: ApexConfigResource) -> MaterializeResult:
    """Sandbox PRM and CRM record versions, one row per version (org, stream, source id, updated-at, payload hash).

    Lands, for each organisation with a sandbox source, every version changed since the stream's cursor and on or
    before the end of the run's last day. Rerunning lands nothing twice.
    """
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    landed: dict[str, int] = {}
    for org, dates in organisations_in_run(context, deployment):
        start = org.data_start
        layers.check_dates(org, dates, first_day=pd.Timestamp(start) if start else None)
        for result in layers.ingest(engine, org, dates[-1].date(), only="sandbox"):
            if result.source == "sandbox":
                landed[org.id] = result.total
                context.log.info(f"{org.id}: landed {result.total} new sandbox versions up to "
                                 f"{dates[-1].date()} ({window_text(dates)})")
    return MaterializeResult(metadata={"new_versions": sum(landed.values()),
                                       "organisations": ", ".join(sorted(landed)) or "none with a sandbox source"})


API_RAW_SOURCES = ("salesforce", "hubspot", "partnerstack", "impartner", "crossbeam", "file_export")


@multi_asset(
    specs=[AssetSpec(["raw", f"raw_{source}"], group_name="raw", kinds={"python", "sql"},
                     description=f"{source} record versions synced by the {source} connector (connectors/{source}/), "
                                 f"one row per version; the cursor per organisation and stream lives in "
                                 f"connector_cursors.")
           for source in API_RAW_SOURCES],
    name="raw_api_sources",
    partitions_def=DAY_BY_ORG,
    backfill_policy=SINGLE_RUN,
    can_subset=True,
)
def raw_api_sources(context: AssetExecutionContext, warehouse: WarehouseResource,
                    apex_config: ApexConfigResource):
    """Every PRM/CRM connector's sync, one step for all API sources (each still its own asset and raw table): a
    step per source would cost more in run overhead than most syncs take."""
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    selected = {key.path[-1].removeprefix("raw_") for key in context.selected_asset_keys}
    landed: dict[str, dict[str, int]] = {source: {} for source in API_RAW_SOURCES if source in selected}
    for org, dates in organisations_in_run(context, deployment):
        for source in landed:
            if not any(s.type == source for s in org.sources):
                continue
            for result in layers.ingest(engine, org, dates[-1].date(), only=source):
                landed[source][org.id] = landed[source].get(org.id, 0) + result.total
                context.log.info(f"{org.id}: landed {result.total} new {source} versions "
                                 f"({', '.join(f'{k} {v}' for k, v in result.new_versions.items() if v) or 'none'})")
    for source, per_org in landed.items():
        yield MaterializeResult(asset_key=["raw", f"raw_{source}"],
                                metadata={"new_versions": sum(per_org.values()),
                                          "organisations": ", ".join(sorted(per_org)) or f"none with a {source} source"})


API_RAW_KEYS = [AssetKey(["raw", f"raw_{source}"]) for source in API_RAW_SOURCES]
