"""The daily job end to end on sandbox organisations: raw -> canonical -> signals -> dimensions -> health."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa
from dagster import AssetKey, DagsterInstance, materialize

from apex_model.model import DIMENSION_IDS, load_model
from dbt_like_sql.warehouse import make_engine
from pipelines.assets.canonical import canonical_tables
from pipelines.assets.raw import raw_sandbox
from pipelines.assets.scores import (
    apex_dimension_scores,
    apex_ecosystem_health,
    apex_partner_signal_values,
    apex_score_changes,
    apex_signal_values,
)
from pipelines.partitions import ORGANISATIONS, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource

ASSETS = [raw_sandbox, canonical_tables, apex_signal_values, apex_partner_signal_values, apex_score_changes,
          apex_dimension_scores, apex_ecosystem_health]
HEALTH = AssetKey(["scores", "apex_ecosystem_health"])


def run(instance, url: str, config: str, start: str, end: str, org: str = "tiny", end_org: str | None = None,
        raise_on_error: bool = True):
    resources = {"warehouse": WarehouseResource(url=url), "apex_config": ApexConfigResource(deployment_path=config)}
    tags = {"dagster/asset_partition_range_start": str(partition_key(start, org)),
            "dagster/asset_partition_range_end": str(partition_key(end, end_org or org))}
    return materialize(ASSETS, instance=instance, resources=resources, tags=tags, raise_on_error=raise_on_error)


def frame(url: str, table: str, org: str = "tiny") -> pd.DataFrame:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = pd.read_sql(sa.text(f"select * from {table} where org_id = :org order by as_of"), conn,
                          params={"org": org})
    engine.dispose()
    return out


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        inst.add_dynamic_partitions(ORGANISATIONS.name, ["tiny", "second"])
        yield inst


def test_backfill_is_one_run_writing_every_day(instance, sqlite_url, small_config) -> None:
    result = run(instance, sqlite_url, small_config, "2026-03-01", "2026-03-21")
    assert result.success
    health = frame(sqlite_url, "apex_ecosystem_health")
    dims = frame(sqlite_url, "apex_dimension_scores")
    signals = frame(sqlite_url, "apex_signal_values")
    assert len(health) == 21 and health["as_of"].nunique() == 21
    assert len(dims) == 21 * 8
    assert signals["signal_id"].nunique() == len(load_model().signals)
    assert set(health["model_version"]) == {load_model().version}
    assert health["overall_score"].notna().all()
    assert ((health["overall_low"] <= health["overall_score"]) & (health["overall_score"] <= health["overall_high"])).all()
    assert health["maturity_level"].between(1, 5).all()
    # Each partition of the health asset carries its own numbers as metadata, for the UI's plots.
    events = {e.partition: e.materialization.metadata for e in result.get_asset_materialization_events()
              if e.asset_key == HEALTH}
    assert len(events) == 21
    last = events[str(partition_key("2026-03-21", "tiny"))]
    row = health.iloc[-1]
    assert last["overall_score"].value == pytest.approx(round(row["overall_score"], 2))
    assert last["maturity_level"].value == row["maturity_level"]
    for dim in DIMENSION_IDS:
        assert f"{dim}_score" in last or dims[(dims.as_of == row.as_of) & (dims.dimension == dim)]["score"].isna().all()


def test_partner_rows_on_snapshot_days_and_changes_that_add_up(instance, sqlite_url, small_config) -> None:
    result = run(instance, sqlite_url, small_config, "2026-02-20", "2026-03-05")
    assert result.success
    health_events = {e.partition: e.materialization.metadata for e in result.get_asset_materialization_events()
                     if e.asset_key == HEALTH}
    partners = frame(sqlite_url, "apex_partner_signal_values")
    # Snapshot days: the month-end inside the run and its last day, nothing in between.
    assert sorted(partners["as_of"].astype(str).unique()) == ["2026-02-28", "2026-03-05"]
    signals = frame(sqlite_url, "apex_signal_values")
    last = signals[signals["as_of"].astype(str) == "2026-03-05"].set_index("signal_id")
    day = partners[partners["as_of"].astype(str) == "2026-03-05"]
    # Coverage-type signals roll up as the mean of the partners' 0/1 values: the ecosystem value exactly.
    cert = day[day["signal_id"] == "d4_certification_coverage"]
    assert cert["value"].mean() == pytest.approx(last.loc["d4_certification_coverage", "value"], abs=1e-12)
    assert len(cert) == last.loc["d4_certification_coverage", "n"]
    # Shares of bookings of the partners still in the programme add up to at most the ecosystem share (the rest was
    # won with partners who have left since).
    share = day[day["signal_id"] == "d1_partner_share_of_bookings"]
    assert 0 < share["value"].sum() <= last.loc["d1_partner_share_of_bookings", "value"] + 1e-12
    # A later run prunes the earlier last day but keeps the month-end.
    assert run(instance, sqlite_url, small_config, "2026-03-06", "2026-03-06").success
    kept = sorted(frame(sqlite_url, "apex_partner_signal_values")["as_of"].astype(str).unique())
    assert kept == ["2026-02-28", "2026-03-06"]

    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        changes = pd.read_sql(sa.text("select * from apex_score_changes where org_id = 'tiny'"), conn)
    engine.dispose()
    changes = changes[changes["to_date"].astype(str) == "2026-03-05"]
    dims = frame(sqlite_url, "apex_dimension_scores")
    dims["as_of"] = dims["as_of"].astype(str)
    for dim, rows in changes.groupby("dimension"):
        total = rows[rows["effect"] == "total"]["contribution"].iloc[0]
        assert rows[rows["effect"] != "total"]["contribution"].sum() == pytest.approx(total, abs=1e-9)
        published = dims[dims["dimension"] == dim].set_index("as_of")
        if published.loc[["2026-03-04", "2026-03-05"], "status"].eq("ok").all():
            assert total == pytest.approx(published.loc["2026-03-05", "score"] - published.loc["2026-03-04", "score"])
    # The health asset says why each dimension moved since the day before (those that moved by 0.05 points or more).
    last = health_events[str(partition_key("2026-03-05", "tiny"))]
    moved = changes[(changes["effect"] == "total") & (changes["contribution"].abs() >= 0.05)]["dimension"]
    for dim in moved:
        assert f"{dim}_change" in last and "points" in last[f"{dim}_change"].value


def test_one_day_alone_equals_that_day_inside_a_range(instance, sqlite_url, small_config, tmp_path) -> None:
    assert run(instance, sqlite_url, small_config, "2026-03-01", "2026-03-21").success
    in_range = frame(sqlite_url, "apex_ecosystem_health").set_index("as_of")
    other_url = f"sqlite:///{tmp_path}/other.sqlite"
    assert run(instance, other_url, small_config, "2026-03-01", "2026-03-20").success
    assert run(instance, other_url, small_config, "2026-03-21", "2026-03-21").success
    alone = frame(other_url, "apex_ecosystem_health").set_index("as_of")
    numbers = ["overall_score", "overall_low", "overall_high", "coverage", "stage_position"]
    exact = ["maturity_level", "maturity_level_raw", "stage", "next_level_en"]
    # Sums over a window are the same up to the last bit of a float, whatever range they were computed in.
    assert alone.loc["2026-03-21", numbers].tolist() == pytest.approx(in_range.loc["2026-03-21", numbers].tolist(),
                                                                       rel=1e-12)
    assert alone.loc["2026-03-21", exact].tolist() == in_range.loc["2026-03-21", exact].tolist()


def test_rerun_replaces_rows_and_lands_nothing_twice(instance, sqlite_url, small_config) -> None:
    assert run(instance, sqlite_url, small_config, "2026-03-01", "2026-03-07").success
    raw_before = frame_count(sqlite_url, "raw_sandbox")
    first = frame(sqlite_url, "apex_dimension_scores")
    assert run(instance, sqlite_url, small_config, "2026-03-01", "2026-03-07").success
    assert frame_count(sqlite_url, "raw_sandbox") == raw_before
    again = frame(sqlite_url, "apex_dimension_scores")
    assert len(again) == len(first)
    pd.testing.assert_series_equal(first["score"], again["score"])


def frame_count(url: str, table: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()
    engine.dispose()
    return n


def test_rectangle_of_days_and_organisations_in_one_run(instance, sqlite_url, small_config) -> None:
    # The UI's backfill over several organisations: one run covering the rectangle.
    # Organisation partitions are ordered as registered (tiny, then second).
    result = run(instance, sqlite_url, small_config, "2026-03-01", "2026-03-05", org="tiny", end_org="second")
    assert result.success
    assert len(frame(sqlite_url, "apex_ecosystem_health", "tiny")) == 5
    assert len(frame(sqlite_url, "apex_ecosystem_health", "second")) == 5
    # Organisations never mix: each one's canonical rows come only from its own source.
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        per_org = dict(conn.execute(sa.text("select org_id, count(*) from partners group by org_id")).all())
    engine.dispose()
    assert set(per_org) == {"tiny", "second"}


def test_unknown_organisation_fails_with_one_clear_message(instance, sqlite_url, small_config) -> None:
    instance.add_dynamic_partitions(ORGANISATIONS.name, ["ghost"])
    result = run(instance, sqlite_url, small_config, "2026-03-01", "2026-03-01", org="ghost", raise_on_error=False)
    assert not result.success
    message = _failure_message(result)
    assert "unknown organisation 'ghost'" in message and "tiny, second" in message


def test_future_date_fails_naming_organisation_and_date(instance, sqlite_url, small_config) -> None:
    day = (pd.Timestamp.now(tz="Europe/Amsterdam") + pd.Timedelta(days=2)).strftime("%Y-%m-%d")
    result = run(instance, sqlite_url, small_config, day, day, raise_on_error=False)
    assert not result.success
    message = _failure_message(result)
    assert "'tiny'" in message and day in message and "after today" in message
    assert not _has_table(sqlite_url, "raw_sandbox") or frame_count(sqlite_url, "raw_sandbox") == 0


def test_date_before_the_first_record_fails(instance, sqlite_url, small_config) -> None:
    result = run(instance, sqlite_url, small_config, "2023-01-02", "2023-01-02", raise_on_error=False)
    assert not result.success
    assert "before its first record" in _failure_message(result)
    assert not _has_table(sqlite_url, "apex_ecosystem_health") or frame(sqlite_url, "apex_ecosystem_health").empty


def _has_table(url: str, table: str) -> bool:
    engine = make_engine(url)
    try:
        return sa.inspect(engine).has_table(table)
    finally:
        engine.dispose()


def _failure_message(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "expected a failed step"
    error = failures[0].step_failure_data.error
    parts = []
    while error is not None:
        parts.append(error.message)
        error = error.cause
    return "\n".join(parts)


def test_invalid_configuration_fails_naming_the_field(instance, sqlite_url, tmp_path) -> None:
    from tests.pipelines.conftest import SMALL_ORG, write_config

    bad = write_config(tmp_path / "bad.yaml", [SMALL_ORG | {"timezone": "Europe/Amsterdm"}])
    result = run(instance, sqlite_url, bad, "2026-03-01", "2026-03-01", raise_on_error=False)
    message = _failure_message(result)
    assert "bad.yaml: organisations[0] (tiny).timezone: unknown time zone 'Europe/Amsterdm'" in message


def test_organisation_without_data_gets_insufficient_scores_not_a_crash(sqlite_url, tmp_path) -> None:
    from pipelines import layers
    from pipelines.deployment import load_deployment
    from tests.pipelines.conftest import SMALL_ORG, write_config

    model = load_model()
    org = load_deployment(write_config(tmp_path / "a.yaml", [SMALL_ORG])).organisation("tiny")
    engine = make_engine(sqlite_url)
    from dbt_like_sql.schema import ensure_tables

    ensure_tables(engine)                      # nothing landed: no partners, no deals
    assert layers.build_canonical(engine, org.id).errors == []
    days = pd.date_range("2026-03-01", "2026-03-03")
    values = layers.compute_signal_layer(engine, model, org, days)
    assert set(values["status"]) <= {"missing", "not_applicable"}
    dims = layers.compute_dimension_layer(engine, model, org, days)
    assert set(dims["status"]) == {"insufficient_data"} and dims["score"].isna().all()
    health = layers.compute_health_layer(engine, model, org, days)
    assert set(health["status"]) == {"insufficient_data"}
    assert all(math.isnan(x) for x in health["overall_score"])
    assert set(health["maturity_level"]) == {1} and health["maturity_provisional"].all()
    engine.dispose()
