"""The SQL project builds the canonical tables from raw versions, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors.envelope import envelope
from dbt_like_sql.landing import land, landed_until
from dbt_like_sql.project import default_project
from dbt_like_sql.runner import build, read_table
from dbt_like_sql.schema import ensure_tables

FETCHED = datetime(2026, 3, 1, 6, 0)


def _partner(pid: str, **over) -> dict:
    base = {"partner_id": pid, "name": f"Partner {pid}", "domain": f"{pid.lower()}.example", "partner_type": "reseller",
            "tier": "silver", "region": "emea", "country": "NL", "onboarded_on": "2025-01-10", "churned_on": None,
            "owner_id": "M1", "exec_sponsor_id": None}
    return base | over


def _opportunity(oid: str, **over) -> dict:
    base = {"opportunity_id": oid, "partner_id": "P1", "attribution": "sourced", "created_on": "2025-03-01",
            "closed_on": None, "status": "open", "amount": 1000.0, "currency": "USD", "segment": "smb",
            "region": "emea", "customer_id": "C1", "is_new_logo": True, "campaign_id": None, "registration_id": None,
            "expected_close_on": "2025-04-01"}
    return base | over


def _versions(rows: list[tuple[str, str, dict, bool]]) -> pd.DataFrame:
    return pd.DataFrame([{"source_id": sid, "source_updated_at": pd.Timestamp(ts, tz="UTC"), "payload": p,
                          "is_deleted": deleted} for sid, ts, p, deleted in rows])


def _land(engine, org: str, stream: str, rows) -> int:
    return land(engine, "sandbox", envelope(org, stream, _versions(rows), fetched_at=FETCHED,
                                            connector_version="sandbox/test"))


def test_latest_versions_history_and_org_isolation(engine) -> None:
    ensure_tables(engine)
    partners = [
        ("P1", "2025-01-10T09:00:00Z", _partner("P1"), False),
        ("P1", "2025-06-01T09:00:00Z", _partner("P1", tier="gold"), False),
        ("P1", "2025-06-01T15:00:00Z", _partner("P1", tier="gold", owner_id="M2"), False),
        ("P2", "2025-02-01T09:00:00Z", _partner("P2", onboarded_on="2025-02-01"), False),
        ("P2", "2025-09-01T09:00:00Z", _partner("P2", onboarded_on="2025-02-01", churned_on="2025-09-01"), False),
        ("P3", "2025-02-01T09:00:00Z", _partner("P3"), False),
        ("P3", "2025-03-01T09:00:00Z", _partner("P3"), True),
    ]
    assert _land(engine, "acme", "partners", partners) == 7
    assert _land(engine, "acme", "partners", partners) == 0  # landing again writes nothing
    _land(engine, "other", "partners", [("P9", "2025-01-01T00:00:00Z", _partner("P9"), False)])
    _land(engine, "acme", "opportunities", [
        ("O1", "2025-03-01T10:00:00Z", _opportunity("O1"), False),
        ("O1", "2025-03-20T10:00:00Z", _opportunity("O1", status="won", closed_on="2025-03-20"), False),
    ])

    result = build(engine, "acme")
    assert result.errors == []
    assert result.rows("partners") == 2
    assert result.rows("opportunities") == 1

    partners_now = read_table(engine, "partners", "acme").set_index("partner_id")
    assert sorted(partners_now.index) == ["P1", "P2"]                      # P3 was deleted
    assert partners_now.loc["P1", "tier"] == "gold"
    assert partners_now.loc["P2", "churned_on"] == pd.Timestamp("2025-09-01")

    history = read_table(engine, "partner_versions", "acme").sort_values(["partner_id", "valid_from"])
    p1 = history[history.partner_id == "P1"]
    # Two versions on 2025-06-01 collapse to the day's last one (owner M2); the first is back-dated to onboarding.
    rows = [[None if pd.isna(v) else str(v)[:10] for v in row]
            for row in p1[["valid_from", "valid_to", "tier", "owner_id"]].itertuples(index=False)]
    assert rows == [
        ["2025-01-10", "2025-06-01", "silver", "M1"],
        ["2025-06-01", None, "gold", "M2"],
    ]
    assert history[history.partner_id == "P2"]["status"].tolist() == ["active", "churned"]

    opp = read_table(engine, "opportunities", "acme").iloc[0]
    assert (opp["status"], opp["closed_on"]) == ("won", pd.Timestamp("2025-03-20"))
    assert opp["amount_eur"] == pytest.approx(920.0)

    # Refreshing one organisation leaves the other's rows alone.
    build(engine, "other")
    build(engine, "acme")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from partners where org_id = 'other'")).scalar_one() == 1
    assert landed_until(engine, "sandbox", "acme")["opportunities"] == pd.Timestamp("2025-03-20 10:00:00")


def test_declared_tests_report_offending_keys_only(engine) -> None:
    ensure_tables(engine)
    _land(engine, "acme", "partners", [("P1", "2025-01-10T09:00:00Z", _partner("P1"), False)])
    _land(engine, "acme", "opportunities", [
        ("O1", "2025-03-01T10:00:00Z", _opportunity("O1", partner_id="P404"), False),
        ("O2", "2025-03-01T10:00:00Z", _opportunity("O2", status="won", closed_on="2025-02-01"), False),
        ("O3", "2025-03-01T10:00:00Z", _opportunity("O3", segment="galactic"), False),
        ("O4", "2025-03-01T10:00:00Z", _opportunity("O4", region="mars", segment="lunar"), False),
    ])
    result = build(engine, "acme", only={"partners", "opportunities"})
    # Row-level breaches are held back, not failed: an orphan at the mart, a close before creation at staging.
    assert result.quarantined == {("opportunities", "partner_exists"): 1,
                                  ("stg_sandbox__opportunities", "closed_after_created"): 1}
    assert result.errors == []
    assert sorted(read_table(engine, "opportunities", "acme")["opportunity_id"]) == ["O3", "O4"]
    # A vocabulary outside the declared set warns, naming the rows by their keys only.
    failed = {(t.model, t.test): t for t in result.failures}
    assert failed[("opportunities", "segment_accepted_values")].severity == "warn"
    assert failed[("opportunities", "segment_accepted_values")].failing_rows == 2
    assert failed[("opportunities", "region_accepted_values")].sample_keys == [{"org_id": "acme", "opportunity_id": "O4"}]
    for test in result.failures:  # ids only: no payload values leak into test results
        assert all(set(k) <= {"org_id", "opportunity_id"} for k in test.sample_keys)


def test_project_order_respects_dependencies() -> None:
    project = default_project()
    position = {m.name: i for i, m in enumerate(project.models)}
    for model in project.models:
        for upstream in model.reads:
            if upstream in position:
                assert position[upstream] < position[model.name]
    assert position["partners"] < position["partner_versions"]
