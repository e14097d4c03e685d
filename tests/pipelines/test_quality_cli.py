"""`apex quarantine list / replay` on a sandbox organisation with one bad record landed by hand."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from connectors.envelope import envelope
from dbt_like_sql.landing import land
from dbt_like_sql.schema import ensure_tables
from dbt_like_sql.warehouse import make_engine
from pipelines.cli import main

BAD = {"opportunity_id": "BAD-1", "partner_id": None, "attribution": "none", "created_on": "2026-02-10",
       "closed_on": "2026-02-20", "status": "won", "amount": -5.0, "currency": "EUR", "segment": "smb",
       "region": "emea", "customer_id": "C-BAD", "is_new_logo": False, "campaign_id": None, "registration_id": None,
       "expected_close_on": None}


def _land(url: str, updated: str, payload: dict) -> None:
    engine = make_engine(url)
    ensure_tables(engine)
    versions = pd.DataFrame([{"source_id": "BAD-1", "source_updated_at": pd.Timestamp(updated, tz="UTC"),
                              "payload": payload, "is_deleted": False}])
    land(engine, "sandbox", envelope("tiny", "opportunities", versions, fetched_at=datetime(2026, 3, 1, 5),
                                     connector_version="test"))
    engine.dispose()


def test_list_and_replay_release_a_fixed_record(monkeypatch, tmp_path, sqlite_url, small_config, capsys) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", sqlite_url)
    monkeypatch.setenv("APEX_CONFIG", small_config)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    assert main(["quarantine", "replay", "--org", "tiny", "--end", "2026-03-01"]) == 0
    assert "held before: 0  released now: 0  still held: 0" in capsys.readouterr().out   # clean sandbox data
    # Landed after the sandbox's own versions, so the stream's incremental cursor is not moved back.
    _land(sqlite_url, "2026-02-20T12:00:00Z", BAD)

    assert main(["quarantine", "replay", "--org", "tiny", "--end", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    assert "tiny: rebuilt and rescored 2026-03-01 .. 2026-03-01" in out
    assert "held before: 0  released now: 0  still held: 1" in out, out

    assert main(["quarantine", "list", "--org", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "stg_sandbox__opportunities" in out and "amount_accepted_range" in out
    assert "amount is outside 0 .. 10,000,000,000" in out

    assert main(["quarantine", "list", "--org", "tiny", "--rule", "amount_accepted_range"]) == 0
    out = capsys.readouterr().out
    assert "BAD-1" in out and "-5" not in out.replace("2026-", "")   # ids and reasons, never the value

    _land(sqlite_url, "2026-02-21T12:00:00Z", BAD | {"amount": 5000.0})
    assert main(["quarantine", "replay", "--org", "tiny", "--end", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    assert "held before: 1  released now: 1  still held: 0" in out
    assert main(["quarantine", "list", "--org", "tiny"]) == 0
    assert capsys.readouterr().out.strip() == "no rows in quarantine"
