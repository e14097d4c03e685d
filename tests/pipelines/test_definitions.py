"""The Dagster definitions load, and the asset graph is the reviewed one."""

from __future__ import annotations

from datetime import datetime, timezone

from dagster import DagsterInstance, Definitions, build_schedule_context, build_sensor_context, instance_for_test

from pipelines.definitions import defs
from pipelines.partitions import ORGANISATIONS

# Reviewed list: renaming or dropping an asset is a change to what BI tools and the UI rely on.
EXPECTED_ASSET_KEYS = [
    "alerts/apex_alert_deliveries",
    "canonical/tables",
    "drift/apex_drift_events",
    "measure/apex_measure",
    "raw/raw_crossbeam",
    "raw/raw_file_export",
    "raw/raw_hubspot",
    "raw/raw_impartner",
    "raw/raw_partnerstack",
    "raw/raw_salesforce",
    "raw/raw_sandbox",
    "report/apex_report",
    "scores/apex_dimension_scores",
    "scores/apex_ecosystem_health",
    "scores/apex_score_changes",
    "signals/apex_partner_signal_values",
    "signals/apex_signal_values",
]


def test_definitions_load() -> None:
    Definitions.validate_loadable(defs)


def test_asset_keys_match_the_reviewed_list() -> None:
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == EXPECTED_ASSET_KEYS


def test_lineage_runs_raw_to_health() -> None:
    from dagster import AssetKey

    graph = defs.resolve_asset_graph()
    chain = [["raw", "raw_sandbox"], ["canonical", "tables"], ["signals", "apex_signal_values"],
             ["scores", "apex_dimension_scores"], ["scores", "apex_ecosystem_health"]]
    # The canonical tables are built from every source's raw table (the sandbox and each connector's).
    raw = {AssetKey(["raw", f"raw_{s}"]) for s in ("sandbox", "salesforce", "hubspot", "partnerstack", "impartner",
                                                    "crossbeam", "file_export")}
    assert graph.get(AssetKey(chain[1])).parent_keys == raw
    for parent, child in zip(chain[1:], chain[2:-1]):
        assert graph.get(AssetKey(child)).parent_keys == {AssetKey(parent)}
    # Health also reads why each dimension moved (its metadata), which is explained from the signal scores.
    assert graph.get(AssetKey(chain[-1])).parent_keys == {AssetKey(chain[-2]), AssetKey(["scores", "apex_score_changes"])}
    assert graph.get(AssetKey(["scores", "apex_score_changes"])).parent_keys == {AssetKey(chain[2])}
    assert graph.get(AssetKey(["signals", "apex_partner_signal_values"])).parent_keys == {AssetKey(chain[1])}


def test_canonical_asset_describes_every_table() -> None:
    from dagster import AssetKey

    from dbt_like_sql.project import default_project

    description = defs.resolve_asset_graph().get(AssetKey(["canonical", "tables"])).description
    for mart in default_project().marts:
        assert f"`{mart.name}`" in description


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
