"""Raw layer: each source's record versions landed with their provenance envelope."""


import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

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


def _api_raw_asset(source: str):
    @asset(
        name=f"raw_{source}",
        key_prefix=["raw"],
        group_name="raw",
        partitions_def=DAY_BY_ORG,
        backfill_policy=SINGLE_RUN,
        kinds={"python", "sql"},
    )
    def _raw(context: AssetExecutionContext, warehouse: WarehouseResource,
             apex_config: ApexConfigResource) -> MaterializeResult:
        deployment = apex_config.deployment()
        engine = warehouse.engine()
        landed: dict[str, int] = {}
        for org, dates in organisations_in_run(context, deployment):
            if not any(s.type == source for s in org.sources):
                continue
            for result in layers.ingest(engine, org, dates[-1].date(), only=source):
                landed[org.id] = landed.get(org.id, 0) + result.total
                context.log.info(f"{org.id}: landed {result.total} new {source} versions "
                                 f"({', '.join(f'{k} {v}' for k, v in result.new_versions.items() if v) or 'none'})")
        return MaterializeResult(metadata={"new_versions": sum(landed.values()),
                                           "organisations": ", ".join(sorted(landed)) or f"none with a {source} source"})

    _raw.__doc__ = (f"{source} record versions synced over HTTP by the {source} connector (connectors/{source}/), one "
                    f"row per version; the cursor per organisation and stream lives in connector_cursors.")
    return _raw


API_RAW_SOURCES = ("salesforce",)
API_RAW_ASSETS = [_api_raw_asset(s) for s in API_RAW_SOURCES]
