"""The Dagster definitions load, and the asset graph is the reviewed one."""

from __future__ import annotations

from datetime import datetime, timezone

from dagster import DagsterInstance, Definitions, build_schedule_context, build_sensor_context, instance_for_test

from pipelines.definitions import defs
from pipelines.partitions import ORGANISATIONS

# Reviewed list: renaming or dropping an asset is a change to what BI tools and the UI rely on.
EXPECTED_ASSET_KEYS = sorted(
    ["raw/raw_sandbox"]
    + [f"staging/stg_sandbox__{e}" for e in (
        "activities", "campaigns", "certifications", "deal_registrations", "joint_business_plans", "mdf_allocations",
        "mdf_claims", "mdf_requests", "opportunities", "opportunity_partners", "partner_agreements",
        "partner_surveys", "partner_targets", "partners", "portal_logins", "support_tickets", "training_enrolments")]
    + [f"canonical/{e}" for e in (
        "activities", "campaigns", "certifications", "deal_registrations", "joint_business_plans", "mdf_allocations",
        "mdf_claims", "mdf_requests", "opportunities", "opportunity_partners", "partner_agreements",
        "partner_surveys", "partner_targets", "partner_versions", "partners", "portal_logins", "support_tickets",
        "training_enrolments")]
    + ["signals/apex_signal_values", "scores/apex_dimension_scores", "scores/apex_ecosystem_health"]
)


def test_definitions_load() -> None:
    Definitions.validate_loadable(defs)


def test_asset_keys_match_the_reviewed_list() -> None:
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == EXPECTED_ASSET_KEYS


def test_lineage_follows_the_sql() -> None:
    graph = defs.resolve_asset_graph()
    from dagster import AssetKey

    parents = graph.get(AssetKey(["canonical", "partner_versions"])).parent_keys
    assert parents == {AssetKey(["canonical", "partners"]), AssetKey(["staging", "stg_sandbox__partners"])}
    assert graph.get(AssetKey(["staging", "stg_sandbox__partners"])).parent_keys == {AssetKey(["raw", "raw_sandbox"])}
    health = graph.get(AssetKey(["scores", "apex_ecosystem_health"]))
    assert health.parent_keys == {AssetKey(["scores", "apex_dimension_scores"])}


def test_every_asset_backfills_in_a_single_run() -> None:
    for node in defs.resolve_asset_graph().asset_nodes:
        assert node.backfill_policy is not None and node.backfill_policy.max_partitions_per_run is None, node.key


def test_schedule_runs_each_organisation_for_its_own_yesterday(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("APEX_CONFIG", "config/demo.yaml")
    monkeypatch.setenv("WAREHOUSE_URL", f"sqlite:///{tmp_path}/wh.sqlite")
    schedule = defs.resolve_schedule_def("apex_daily_schedule")
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(ORGANISATIONS.name, ["northwind", "kiwi-labs"])
        # 01:05 UTC on 26 Nov = 02:05 in Amsterdam (CET): northwind runs for 25 Nov; Auckland is at 14:05.
        tick = datetime(2026, 11, 26, 1, 5, tzinfo=timezone.utc)
        context = build_schedule_context(instance=instance, scheduled_execution_time=tick,
                                         resources={"apex_config": defs.resources["apex_config"]},
                                         repository_def=defs.get_repository_def())
        requests = list(schedule.evaluate_tick(context).run_requests)
        assert [r.partition_key for r in requests] == ["2026-11-25|northwind"]
        assert requests[0].run_key == "daily|northwind|2026-11-25"
        # 13:05 UTC on 25 Nov = 02:05 on 26 Nov in Auckland (NZDT, UTC+13): kiwi-labs runs for 25 Nov.
        tick = datetime(2026, 11, 25, 13, 5, tzinfo=timezone.utc)
        context = build_schedule_context(instance=instance, scheduled_execution_time=tick,
                                         resources={"apex_config": defs.resources["apex_config"]},
                                         repository_def=defs.get_repository_def())
        assert [r.partition_key for r in schedule.evaluate_tick(context).run_requests] == ["2026-11-25|kiwi-labs"]


def test_registry_sensor_adds_new_organisations(monkeypatch) -> None:
    monkeypatch.setenv("APEX_CONFIG", "config/demo.yaml")
    sensor = defs.resolve_sensor_def("organisation_registry")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(ORGANISATIONS.name, ["northwind"])
        result = sensor(build_sensor_context(instance=instance, resources={"apex_config": defs.resources["apex_config"]}))
        (request,) = result.dynamic_partitions_requests
        assert list(request.partition_keys) == ["kiwi-labs"]
