"""A blocking data-quality failure stops the downstream assets for that partition only.

Two sandbox organisations in one run; on 20 March 2026 the source of one ("second") deletes 80 % of its activities (a
truncated export read as deletions). Its live activity records collapse against 7 days earlier, a blocking
`source_volume` failure on the days 20..26 March: those (organisation, day) partitions are not scored, every other
partition of the run is, and the status says why. A run of one such partition alone is stopped by Dagster itself.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey, DagsterInstance, materialize

from connectors import sandbox_source
from connectors.envelope import envelope
from connectors.sandbox import SandboxProfile
from dbt_like_sql.landing import land
from dbt_like_sql.schema import ensure_tables
from dbt_like_sql.warehouse import make_engine
from pipelines.definitions import defs
from pipelines.partitions import ORGANISATIONS, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource

ORGS = {
    "tiny": {"stage": "early_stage", "maturity": 2, "seed": 11, "history_start": "2025-01-01"},
    "second": {"stage": "early_stage", "maturity": 4, "seed": 5, "history_start": "2025-01-01"},
}
END = date(2026, 3, 31)
DELETED_ON = pd.Timestamp("2026-03-20T12:00:00Z")
HELD = pd.date_range("2026-03-20", "2026-03-26")
FETCHED = datetime(2026, 4, 1, 6, 0)


def _prepare(url: str, tmp_path) -> str:
    engine = make_engine(url)
    ensure_tables(engine)
    for org, profile in ORGS.items():
        p = SandboxProfile(**{**profile, "history_start": date.fromisoformat(profile["history_start"])})
        for batch in sandbox_source.fetch(org, p, END, {}, fetched_at=FETCHED):
            land(engine, "sandbox", batch.records)
            if org == "second" and batch.stream == "activities":
                latest = batch.records.drop_duplicates("source_id", keep="last")
                doomed = latest.iloc[: int(len(latest) * 0.8)]
                deletions = pd.DataFrame({"source_id": doomed["source_id"], "source_updated_at": DELETED_ON,
                                          "payload": doomed["payload"], "is_deleted": True})
                land(engine, "sandbox", envelope(org, "activities", deletions, fetched_at=FETCHED,
                                                 connector_version="test/truncated-export"))
    engine.dispose()
    config = tmp_path / "apex.yaml"
    config.write_text(yaml.safe_dump({"organisations": [
        {"id": org, "name": org, "timezone": "UTC", "sources": [{"type": "sandbox", "profile": profile}]}
        for org, profile in ORGS.items()]}))
    return str(config)


def _run(instance, url: str, config: str, start: str, end: str, first_org: str, last_org: str):
    resources = {"warehouse": WarehouseResource(url=url), "apex_config": ApexConfigResource(deployment_path=config)}
    tags = {"dagster/asset_partition_range_start": str(partition_key(start, first_org)),
            "dagster/asset_partition_range_end": str(partition_key(end, last_org))}
    return materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=resources, tags=tags,
                       raise_on_error=False)


def _days(url: str, table: str, org: str) -> set[pd.Timestamp]:
    engine = make_engine(url)
    with engine.connect() as conn:
        days = pd.read_sql(sa.text(f"select distinct as_of from {table} where org_id = :org"), conn,
                           params={"org": org})["as_of"]
    engine.dispose()
    return set(pd.to_datetime(days))


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        inst.add_dynamic_partitions(ORGANISATIONS.name, list(ORGS))
        yield inst


def test_a_blocking_failure_holds_back_only_its_partitions(instance, warehouse_url, tmp_path) -> None:
    config = _prepare(warehouse_url, tmp_path)
    result = _run(instance, warehouse_url, config, "2026-03-10", "2026-03-31", "tiny", "second")
    assert result.success    # the run goes on for every partition that did not fail

    window = set(pd.date_range("2026-03-10", "2026-03-31"))
    assert _days(warehouse_url, "apex_ecosystem_health", "tiny") == window
    assert _days(warehouse_url, "apex_ecosystem_health", "second") == window - set(HELD)
    assert _days(warehouse_url, "apex_signal_values", "second") == window - set(HELD)

    engine = make_engine(warehouse_url)
    with engine.connect() as conn:
        status = pd.read_sql(sa.text("select * from apex_data_quality_status"), conn)
    engine.dispose()
    status["as_of"] = pd.to_datetime(status["as_of"])
    status["held_back"] = status["held_back"].astype(bool)
    held = status[status["held_back"]]
    assert set(held["org_id"]) == {"second"} and set(held["as_of"]) == set(HELD)
    on_the_day = status[(status["org_id"] == "second") & (status["as_of"] == HELD[0])].set_index("dimension")
    for dim in ("D2", "D6", "D8"):    # the dimensions reading activities (QBRs, reviews, contact) failed, and say why
        assert on_the_day.loc[dim, "status"] == "failed"
        assert "activities (sandbox):" in on_the_day.loc[dim, "reason"]
        assert "(a collapse in volume)" in on_the_day.loc[dim, "reason"]
    assert on_the_day.loc["D1", "status"] != "failed"   # D1 reads no activities

    checks = [e for e in result.get_asset_check_evaluations() if e.asset_check_key.name == "source_volume"]
    failing = {e.partition for e in checks if not e.passed}
    assert failing == {str(partition_key(d.strftime("%Y-%m-%d"), "second")) for d in HELD}
    assert all(e.severity.value == "ERROR" for e in checks if not e.passed)
    notes = [e for e in result.get_asset_materialization_events()
             if e.asset_key == AssetKey(["scores", "apex_ecosystem_health"])
             and e.partition == str(partition_key("2026-03-22", "second"))]
    assert notes and "held_back" in notes[0].materialization.metadata


def test_one_failing_partition_alone_is_stopped_by_dagster(instance, sqlite_url, tmp_path) -> None:
    config = _prepare(sqlite_url, tmp_path)
    result = _run(instance, sqlite_url, config, "2026-03-22", "2026-03-22", "second", "second")
    assert not result.success
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    # Every raw asset lands (an organisation without that source lands nothing), then the canonical step stops.
    assert {k for k in materialised if not k.startswith("raw/")} == {"canonical/tables"}
    assert "raw/raw_sandbox" in materialised
    volume = [e for e in result.get_asset_check_evaluations() if e.asset_check_key.name == "source_volume"]
    assert [(e.passed, e.partition) for e in volume] == [(False, str(partition_key("2026-03-22", "second")))]
    # The same day of the other organisation, alone, runs through.
    assert _run(instance, sqlite_url, config, "2026-03-22", "2026-03-22", "tiny", "tiny").success
