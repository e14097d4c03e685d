"""Staging and canonical layers as one asset: every SQL model, built together per organisation by the runner.

The SQL project (`dbt_like_sql/models/`) holds the lineage model by model (dependencies parsed from the SQL); the
asset carries each canonical table's row count and test results as metadata. One asset rather than one per model
keeps a 180-day backfill to a few thousand instance events instead of tens of thousands (see docs/operations.md).
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from dbt_like_sql.project import default_project
from pipelines import layers
from pipelines.assets.common import organisations_in_run
from pipelines.assets.raw import API_RAW_KEYS, raw_sandbox
from pipelines.partitions import DAY_BY_ORG, SINGLE_RUN
from pipelines.resources import ApexConfigResource, WarehouseResource


def _description() -> str:
    project = default_project()
    tables = "\n".join(f"- `{m.name}`: {m.spec.description} Grain: {', '.join(m.spec.grain)}."
                       for m in project.marts)
    return ("Canonical tables every signal reads, whatever the source: staging views rename and safe-cast each "
            "source's raw versions, marts keep the latest version of each record (and partner attribute history). "
            "Refreshed per organisation; rows breaking a row-level contract are held back in quarantine; the "
            f"declared contracts run as this asset's checks.\n\n{tables}")


@asset(key=["canonical", "tables"], deps=[raw_sandbox, *API_RAW_KEYS], group_name="canonical", partitions_def=DAY_BY_ORG,
       backfill_policy=SINGLE_RUN, kinds={"sql"}, description=_description())
def canonical_tables(context: AssetExecutionContext, warehouse: WarehouseResource,
                     apex_config: ApexConfigResource) -> MaterializeResult:
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    rows: dict[str, int] = {}
    held: dict[tuple[str, str, str], int] = {}
    released = 0
    for org, dates in organisations_in_run(context, deployment):
        # The declared contracts are judged by this asset's checks (pipelines/checks.py), not here.
        result = layers.build_canonical(engine, org.id, dates)
        for built in result.models:
            if built.rows is not None:
                rows[built.model] = rows.get(built.model, 0) + built.rows
            released += built.released
        for (model, rule), count in result.quarantined.items():
            held[(org.id, model, rule)] = count
        if result.quarantined_total:
            context.log.warning(f"{org.id}: {result.quarantined_total} row(s) held back in quarantine "
                                f"(apex quarantine list --org {org.id})")
    metadata = {f"rows_{name}": count for name, count in sorted(rows.items())}
    metadata["quarantined_rows"] = sum(held.values())
    metadata["released_rows"] = released
    if held:
        metadata["quarantined_by_rule"] = MetadataValue.md(
            "| organisation | model | rule | rows |\n|---|---|---|---|\n"
            + "\n".join(f"| {o} | {m} | {r} | {n} |" for (o, m, r), n in sorted(held.items())))
    metadata["models"] = MetadataValue.md(
        "| model | layer | materialised |\n|---|---|---|\n"
        + "\n".join(f"| {m.name} | {m.layer} | {m.spec.materialized} |" for m in default_project().models))
    return MaterializeResult(metadata=metadata)
