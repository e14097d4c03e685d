"""Quarantine: bad rows are held back with their reason, the rest flows on, and a fix releases them on the next build.

Every test runs on SQLite and PostgreSQL (PostgreSQL is where an unguarded cast would kill the whole build).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors.envelope import envelope
from dbt_like_sql import quarantine
from dbt_like_sql.landing import land
from dbt_like_sql.project import PROJECT_DIR, Project
from dbt_like_sql.runner import build, read_table
from dbt_like_sql.schema import SOURCES, ensure_tables

FETCHED = datetime(2026, 3, 1, 6, 0)


def _partner(pid: str, **over) -> dict:
    return {"partner_id": pid, "name": f"Partner {pid}", "domain": None, "partner_type": "reseller", "tier": "silver",
            "region": "emea", "country": "NL", "onboarded_on": "2025-01-10", "churned_on": None, "owner_id": "M1",
            "exec_sponsor_id": None} | over


def _opportunity(oid: str, **over) -> dict:
    return {"opportunity_id": oid, "partner_id": "P1", "attribution": "sourced", "created_on": "2025-03-01",
            "closed_on": None, "status": "open", "amount": 1000.0, "currency": "USD", "segment": "smb",
            "region": "emea", "customer_id": "C1", "is_new_logo": True, "campaign_id": None, "registration_id": None,
            "expected_close_on": "2025-04-01"} | over


def _land(engine, stream: str, rows, org: str = "acme", fetched: datetime = FETCHED) -> int:
    versions = pd.DataFrame([{"source_id": sid, "source_updated_at": pd.Timestamp(ts, tz="UTC"), "payload": p,
                              "is_deleted": False} for sid, ts, p in rows])
    return land(engine, "sandbox", envelope(org, stream, versions, fetched_at=fetched,
                                            connector_version="sandbox/test"))


def _held(engine, org: str = "acme") -> pd.DataFrame:
    return quarantine.held(engine, org).sort_values(["model", "rule", "source_id"]).reset_index(drop=True)


def test_bad_version_falls_back_to_the_last_good_one_and_a_fix_releases_it(engine) -> None:
    ensure_tables(engine)
    _land(engine, "partners", [("P1", "2025-01-10T09:00:00Z", _partner("P1"))])
    _land(engine, "opportunities", [
        ("O1", "2025-03-01T10:00:00Z", _opportunity("O1")),
        ("O1", "2025-03-20T10:00:00Z", _opportunity("O1", status="won", closed_on="2025-03-20", amount=-5.0)),
        ("O2", "2025-03-02T10:00:00Z", _opportunity("O2", amount=2500.0)),
    ])
    first = build(engine, "acme")
    assert first.quarantined == {("stg_sandbox__opportunities", "amount_accepted_range"): 1}
    assert first.errors == []
    held = _held(engine)
    assert held[["model", "stream", "source", "source_id", "rule"]].values.tolist() == [
        ["stg_sandbox__opportunities", "opportunities", "sandbox", "O1", "amount_accepted_range"]]
    assert held.loc[0, "reason"] == "amount is outside 0 .. 10,000,000,000"
    assert pd.Timestamp(held.loc[0, "source_updated_at"]) == pd.Timestamp("2025-03-20 10:00:00")
    # The rest flows on: O1 shows its last good version (open, 1000), O2 is untouched.
    opps = read_table(engine, "opportunities", "acme").set_index("opportunity_id")
    assert opps.loc["O1", "status"] == "open" and opps.loc["O1", "amount"] == 1000.0
    assert opps.loc["O2", "amount"] == 2500.0

    # Rebuilding is idempotent: the same single row, first detection kept.
    build(engine, "acme")
    again = _held(engine)
    assert len(again) == 1
    assert again.loc[0, "first_detected_at"] == held.loc[0, "first_detected_at"]
    assert again.loc[0, "last_detected_at"] >= held.loc[0, "last_detected_at"]

    # Fixed at the source: a newer version with a sane amount lands; the next build releases the held version.
    _land(engine, "opportunities", [
        ("O1", "2025-03-21T10:00:00Z", _opportunity("O1", status="won", closed_on="2025-03-20", amount=900.0))],
          fetched=datetime(2026, 3, 2, 6, 0))
    fixed = build(engine, "acme")
    assert fixed.quarantined == {}
    assert [m.released for m in fixed.models if m.model == "stg_sandbox__opportunities"] == [1]
    assert quarantine.held(engine, "acme").empty
    history = quarantine.held(engine, "acme", include_released=True)
    assert len(history) == 1 and history.loc[0, "released_at"] is not None and not pd.isna(history.loc[0, "released_at"])
    opps = read_table(engine, "opportunities", "acme").set_index("opportunity_id")
    assert (opps.loc["O1", "status"], opps.loc["O1", "amount"]) == ("won", 900.0)


def test_unparseable_text_is_quarantined_instead_of_crashing_the_build(engine) -> None:
    ensure_tables(engine)
    _land(engine, "partners", [("P1", "2025-01-10T09:00:00Z", _partner("P1"))])
    _land(engine, "opportunities", [
        ("O1", "2025-03-01T10:00:00Z", _opportunity("O1", created_on="first of March")),
        ("O2", "2025-03-01T10:00:00Z", _opportunity("O2", amount="1,000.50")),
        ("O3", "2025-03-01T10:00:00Z", _opportunity("O3", expected_close_on="2025-02-30")),
        ("O4", "2025-03-01T10:00:00Z", _opportunity("O4", is_new_logo="perhaps")),
        ("O5", "2025-03-01T10:00:00Z", _opportunity("O5", amount="1250.5", created_on=" 2025-02-28 ")),
    ])
    result = build(engine, "acme")
    assert result.quarantined == {
        ("stg_sandbox__opportunities", "amount_parseable"): 1,
        ("stg_sandbox__opportunities", "created_on_not_null"): 1,
        ("stg_sandbox__opportunities", "created_on_parseable"): 1,
        ("stg_sandbox__opportunities", "expected_close_on_parseable"): 1,
        ("stg_sandbox__opportunities", "is_new_logo_parseable"): 1,
    }
    reasons = dict(zip(_held(engine)["rule"], _held(engine)["reason"]))
    assert reasons["created_on_parseable"] == "created_on is not a calendar date written YYYY-MM-DD"
    assert reasons["amount_parseable"] == "amount is not a number such as 1250.5"
    # A number given as text and a date with blanks around it are fine.
    opps = read_table(engine, "opportunities", "acme").set_index("opportunity_id")
    assert list(opps.index) == ["O5"]
    assert opps.loc["O5", "amount"] == 1250.5 and opps.loc["O5", "created_on"] == pd.Timestamp("2025-02-28")
    for reason in _held(engine)["reason"]:  # the reason names the field, never the value
        assert "March" not in reason and "1,000.50" not in reason and "perhaps" not in reason


def test_orphans_and_duplicate_ids_are_held_at_the_canonical_table(engine) -> None:
    ensure_tables(engine)
    _land(engine, "partners", [("P1", "2025-01-10T09:00:00Z", _partner("P1"))])
    _land(engine, "opportunities", [
        ("O1", "2025-03-01T10:00:00Z", _opportunity("O1", partner_id="P404")),
        ("SF-1", "2025-03-01T10:00:00Z", _opportunity("O2")),
        ("SF-2", "2025-03-02T10:00:00Z", _opportunity("O2", amount=7.0)),
        ("O3", "2025-03-01T10:00:00Z", _opportunity("O3")),
    ])
    _land(engine, "opportunity_partners", [
        ("O3:P1", "2025-03-01T10:00:00Z", {"opportunity_id": "O3", "partner_id": "P1", "role": "sourced",
                                           "added_on": "2025-03-01"}),
        ("O1:P1", "2025-03-01T10:00:00Z", {"opportunity_id": "O1", "partner_id": "P1", "role": "sourced",
                                           "added_on": "2025-03-01"}),
    ])
    result = build(engine, "acme")
    assert result.errors == []
    assert result.quarantined == {("opportunities", "duplicate_ids"): 1, ("opportunities", "partner_exists"): 1,
                                  ("opportunity_partners", "opportunity_exists"): 1}
    held = _held(engine)
    # Both rows sharing O2 are out; the held record is the key they share.
    assert held[held.rule == "duplicate_ids"][["record_key", "source_id"]].values.tolist() == [["O2", "O2"]]
    # The link to the held-back deal is held too (it would dangle), with a reason naming the reference.
    link = held[held.model == "opportunity_partners"].iloc[0]
    assert link["reason"] == "opportunity_id refers to an opportunity that does not exist (or is held back)"
    assert link["record_key"] == "O1|P1"
    assert read_table(engine, "opportunities", "acme")["opportunity_id"].tolist() == ["O3"]
    assert read_table(engine, "opportunity_partners", "acme")["opportunity_id"].tolist() == ["O3"]


def test_a_corrected_rule_releases_what_it_held(engine, tmp_path) -> None:
    """An unknown currency is held until the reference rates know it; adding the rate releases the deal."""
    ensure_tables(engine)
    _land(engine, "partners", [("P1", "2025-01-10T09:00:00Z", _partner("P1"))])
    _land(engine, "opportunities", [("O1", "2025-03-01T10:00:00Z", _opportunity("O1", currency="NZD")),
                                    ("O2", "2025-03-01T10:00:00Z", _opportunity("O2"))])
    assert build(engine, "acme").quarantined == {("stg_sandbox__opportunities", "currency_known"): 1}
    assert _held(engine).loc[0, "reason"] == "currency has no reference rate in ref_fx_rates (an unknown currency)"

    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds", seeds)
    with (seeds / "ref_fx_rates.csv").open("a") as rates:
        rates.write("NZD,0.55\n")
    project = Project(seeds=seeds, sources=tuple(f"raw_{s}" for s in SOURCES))
    released = build(engine, "acme", project=project)
    assert released.quarantined == {}
    opps = read_table(engine, "opportunities", "acme", project).set_index("opportunity_id")
    assert opps.loc["O1", "amount_eur"] == pytest.approx(550.0)


def test_view_leaves_out_only_the_held_versions(engine) -> None:
    ensure_tables(engine)
    _land(engine, "partners", [("P1", "2025-01-10T09:00:00Z", _partner("P1")),
                               ("P2", "2025-01-10T09:00:00Z", _partner("P2", onboarded_on=None))])
    build(engine, "acme")
    with engine.connect() as conn:
        staged = conn.execute(sa.text("select source_id from stg_sandbox__partners where org_id = 'acme'")).all()
        raw = conn.execute(sa.text("select count(*) from raw_sandbox where org_id = 'acme'")).scalar_one()
    assert [r[0] for r in staged] == ["P1"] and raw == 2
    held = _held(engine)
    assert held[["source_id", "rule", "reason"]].values.tolist() == [
        ["P2", "onboarded_on_not_null", "onboarded_on is missing"]]
    # The raw version is still there, so the held record can be inspected and replayed.
    with engine.connect() as conn:
        payload = conn.execute(sa.text("select payload from raw_sandbox where source_id = 'P2'")).scalar_one()
    payload = payload if isinstance(payload, dict) else json.loads(payload)
    assert payload["partner_id"] == "P2"
