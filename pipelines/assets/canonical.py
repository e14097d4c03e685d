"""Staging and canonical layers: one asset per SQL model, built together per organisation by the runner.

The asset graph mirrors the SQL: each model's dependencies are parsed from its SQL, so lineage in the UI is the
lineage of the code. Staging models are views; canonical marts are tables refreshed per organisation.
"""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, multi_asset

from dbt_like_sql.project import default_project
from pipelines import layers
from pipelines.assets.common import organisations_in_run
from pipelines.partitions import DAY_BY_ORG, SINGLE_RUN
from pipelines.resources import ApexConfigResource, WarehouseResource

LAYER_PREFIX = {"staging": "staging", "intermediate": "intermediate", "marts": "canonical"}


def model_key(name: str) -> AssetKey:
    project = default_project()
    if name in project.by_name:
        return AssetKey([LAYER_PREFIX[project.by_name[name].layer], name])
    if name.startswith("raw_"):
        return AssetKey(["raw", name])
    return AssetKey(["seeds", name])


def _specs() -> list[AssetSpec]:
    project = default_project()
    specs = []
    for model in project.models:
        deps = [model_key(t) for t in model.reads if t not in project.seeds]
        specs.append(AssetSpec(
            key=model_key(model.name),
            deps=deps,
            description=model.spec.description + f"\n\nGrain: {', '.join(model.spec.grain)}. "
                                                 f"Materialised as a {model.spec.materialized}.",
            group_name=LAYER_PREFIX[model.layer],
            kinds={"sql"},
            metadata={"grain": ", ".join(model.spec.grain), "sql_file": str(model.path.name)},
        ))
    return specs


CANONICAL_KEYS = [model_key(m.name) for m in default_project().marts]


@multi_asset(specs=_specs(), partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, can_subset=False,
             name="sql_models")
def sql_models(context: AssetExecutionContext, warehouse: WarehouseResource, apex_config: ApexConfigResource):
    """Refresh staging views and canonical tables for every organisation in the run, then test them."""
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    project = default_project()
    rows: dict[str, int] = {}
    failures: list[str] = []
    for org, _dates in organisations_in_run(context, deployment):
        result = layers.build_canonical(engine, org.id)
        for built in result.models:
            rows[built.model] = rows.get(built.model, 0) + (built.rows or 0)
        for test in result.failures:
            line = (f"{org.id}: {test.model}.{test.test} failed for {test.failing_rows} row(s), "
                    f"e.g. {test.sample_keys[:3]}")
            (failures.append(line) if test.severity == "error" else context.log.warning(line))
    if failures:
        raise Failure(description="Canonical data breaks its declared contract:\n" + "\n".join(failures[:20]),
                      metadata={"failed_tests": len(failures)})
    for model in project.models:
        metadata = {"materialized_as": model.spec.materialized}
        if model.name in rows:
            metadata["rows"] = rows[model.name]
        yield MaterializeResult(asset_key=model_key(model.name), metadata=metadata)
