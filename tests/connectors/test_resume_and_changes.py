"""Every API connector, over real HTTP against the simulator: a sync killed mid-way (SIGKILL of its process, after
some pages were committed) and resumed gives the same raw rows and cursors as an uninterrupted sync; and with records
edited, inserted and deleted while the sync pages through them (`FaultPlan.changes`), no record is lost or landed
twice: after that sync and the next one, the raw data equals what the simulator holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors import sync
from connectors.simulator import FaultPlan
from connectors.simulator.changes import changeable
from dbt_like_sql.warehouse import make_engine
from tests.connectors import cases
from tests.connectors.simhelpers import landed, latest_landed

# page size per system: small enough for many pages from the small sandbox tenant; slow answers keep the sync
# running long enough to be killed mid-way (seconds per request)
PAGE = {"salesforce": 5, "hubspot": 5, "partnerstack": 2, "impartner": 2, "crossbeam": 2}
SLOW = {"salesforce": 0.05, "hubspot": 0.05, "partnerstack": 0.25, "impartner": 0.25, "crossbeam": 0.25}
# share of requests before which a record changes: the small PRM tenants take few requests, so more of them
CHANGES = {"salesforce": 0.35, "hubspot": 0.35, "partnerstack": 0.6, "impartner": 0.6, "crossbeam": 0.6}


@pytest.fixture(autouse=True)
def env(monkeypatch):
    cases.set_env(monkeypatch)


def _raw(engine: sa.Engine, system: str) -> pd.DataFrame:
    """Landed versions, comparable across runs: undated records (landed at their fetch time) without that time."""
    frame = landed(engine, system, "acme")
    if cases.undated(system, ""):
        frame["source_updated_at"] = pd.NaT
    cols = ["stream", "source_id", "source_updated_at", "is_deleted", "payload_hash"]
    return frame[cols].sort_values(cols).reset_index(drop=True)


def _cursors(engine: sa.Engine) -> tuple[list, list]:
    """(stream cursors, streams with an id-reconciliation time): the latter are wall-clock times, not positions."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select stream, cursor from connector_cursors order by stream")).all()
    return ([tuple(r) for r in rows if sync.RECONCILED not in r[0]],
            [r[0] for r in rows if sync.RECONCILED in r[0]])


def _progress(engine: sa.Engine, system: str) -> tuple[int, int]:
    """(raw rows landed, stream cursors saved) so far, read while another process writes."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(f"select count(*) from raw_{system}")).scalar_one()
            saved = conn.execute(sa.text("select count(*) from connector_cursors where stream not like :m"),
                                 {"m": f"%{sync.RECONCILED}"}).scalar_one()
            return rows, saved
    except sa.exc.OperationalError:   # not created yet, or locked by the writer this instant
        return 0, 0


@pytest.mark.parametrize("system", cases.SYSTEMS)
def test_a_killed_sync_resumes_to_the_same_result(system, tmp_path):
    t = cases.case_tenant()
    total = sum(len(v) for v in cases.native(t, system).values())
    plan = FaultPlan(rate=1.0, kinds=("slow",), slow_seconds=SLOW[system])
    killed_url, clean_url = f"sqlite:///{tmp_path}/killed.sqlite", f"sqlite:///{tmp_path}/clean.sqlite"
    killed = make_engine(killed_url)
    with cases.simulator(t, system, PAGE[system], faults=plan) as sim:
        proc = subprocess.Popen([sys.executable, "-m", "tests.connectors.cases", system, sim.base_url, killed_url,
                                 str(PAGE[system])], env=dict(os.environ), cwd=os.getcwd())
        try:
            # kill once a third of the records and a cursor are committed (checked again below from the warehouse)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and proc.poll() is None:
                rows, saved = _progress(killed, system)
                if rows >= total // 3 and saved:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, "the sync finished (or failed) before it could be killed"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
        assert proc.returncode == -signal.SIGKILL
        before, _ = _progress(killed, system)
        cursors_at_kill, _ = _cursors(killed)
        assert total // 3 <= before < total and cursors_at_kill, (before, total)
        plan.rate = 0.0
        resumed = sync.sync(killed, cases.make(system, sim.base_url, PAGE[system]))
        assert resumed.fetched < total, "it resumed rather than started over"
        assert any(s.cursor_before for s in resumed.streams.values())
        clean = make_engine(clean_url)
        sync.sync(clean, cases.make(system, sim.base_url, PAGE[system]))
    pd.testing.assert_frame_equal(_raw(killed, system), _raw(clean, system))
    assert _cursors(killed) == _cursors(clean)


def _live(frame_or_objects, system: str) -> set[tuple]:
    """(stream, id, last-modified to the second) of every live record; undated systems without the time."""
    def when(value):
        return None if cases.undated(system, "") else pd.Timestamp(value).tz_convert("UTC").floor("s")

    if isinstance(frame_or_objects, pd.DataFrame):
        f = frame_or_objects[~frame_or_objects["is_deleted"]]
        return {(s, i, when(pd.Timestamp(u).tz_localize("UTC") if pd.Timestamp(u).tzinfo is None else u))
                for s, i, u in zip(f["stream"], f["source_id"], f["source_updated_at"])}
    return {(obj, str(r["_id"]), when(r["_updated"])) for obj, rows in frame_or_objects.items() for r in rows
            if not r["_deleted"]}


@pytest.mark.parametrize("system", cases.SYSTEMS)
def test_records_changing_while_the_sync_pages_are_neither_lost_nor_doubled(system, tmp_path):
    t = cases.case_tenant()
    page = PAGE[system]
    plan = FaultPlan(changes=CHANGES[system], seed=17)
    wh = make_engine(f"sqlite:///{tmp_path}/wh.sqlite")
    extra = {"reconcile_deletions_every_hours": 0} if system == "impartner" else {}
    with cases.simulator(t, system, page, faults=plan) as sim:
        first = sync.sync(wh, cases.make(system, sim.base_url, page, **extra))
        made = dict(plan.change_counts)
        plan.changes = 0.0                          # the system is quiet again: the next sync catches up
        sync.sync(wh, cases.make(system, sim.base_url, page, **extra))
        objects = cases.native(t, system)
    kinds = {k for allowed in changeable(system, list(t.native(system))).values() for k in allowed}
    assert set(made) == kinds and sum(made.values()) >= 8, made    # every kind the system can show, several times
    assert first.fetched > 0
    got = latest_landed(wh, system, "acme")
    objects = {s: objects[s] for s in first.streams}
    if system == "hubspot":   # an archived deal's associations are not withdrawn (connector docstring)
        gone = {str(d["_id"]) for d in objects["deals"] if d["_deleted"]}
        got = got[~((got["stream"] == "deal_company_associations") & got["source_id"].str.split("-").str[0].isin(gone))]
    assert {o for _, o, _, _ in plan.change_log} & set(objects), "changes hit the streams synced"
    # every live record, as it stands now, is landed live; nothing landed is live that the system no longer serves
    assert _live(got, system) == _live(objects, system)
    # what was deleted is landed deleted once it had been landed at all (or everywhere the system serves deletions)
    deleted = {(obj, str(r["_id"])) for obj, rows in objects.items() for r in rows if r["_deleted"]}
    landed_deleted = {(s, i) for s, i, d in zip(got["stream"], got["source_id"], got["is_deleted"]) if d}
    assert deleted & set(zip(got["stream"], got["source_id"])) == landed_deleted
    # no version landed twice
    assert not landed(wh, system, "acme").duplicated(["stream", "source_id", "source_updated_at"]).any()
    if system in ("salesforce", "hubspot"):    # deletions are served with their time: the full index matches
        def index(rows):
            return {(s, str(i), pd.Timestamp(u).tz_localize(None).floor("s"), bool(d)) for s, i, u, d in rows}
        assert index(zip(got["stream"], got["source_id"], got["source_updated_at"], got["is_deleted"])) == \
            index((obj, r["_id"], pd.Timestamp(r["_updated"]).tz_convert("UTC"), r["_deleted"])
                  for obj, rows in objects.items() for r in rows)


def test_changes_switched_in_a_separate_simulator_process(tmp_path):
    """`python -m connectors.simulator` takes the changes fault from its spec and `/_admin/faults` switches it: the
    inserts it made while a sync paged are all landed once the next (quiet) sync has run."""
    import json

    import requests

    from tests.connectors.simhelpers import CLOCK, PROFILE

    spec = {"tenants": [{"name": "acme", "profile": PROFILE.model_dump(mode="json"), "clock": str(CLOCK),
                         "credentials": {"partnerstack": cases.CREDS["partnerstack"]}}],
            "page_limits": {"partnerstack": 2},
            "faults": {"changes": 1.0, "change_kinds": ["insert", "edit"], "max_changes": 6, "seed": 3}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    proc = subprocess.Popen([sys.executable, "-m", "connectors.simulator", str(tmp_path / "spec.json")],
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), base
        wh = make_engine(f"sqlite:///{tmp_path}/wh.sqlite")
        sync.sync(wh, cases.make("partnerstack", base, 2))
        done = requests.post(f"{base}/_admin/faults", json={"changes": 0.0}, timeout=10).json()
        sync.sync(wh, cases.make("partnerstack", base, 2))
        index = requests.post(f"{base}/_admin/index", json={"tenant": "acme", "system": "partnerstack"},
                              timeout=10).json()
    finally:
        proc.kill()
        proc.wait()
    assert sum(done["change_counts"].values()) == 6 and set(done["change_counts"]) == {"insert", "edit"}
    inserted = {(obj, rid) for _, obj, kind, rid in done["changes"] if kind == "insert"}
    got = latest_landed(wh, "partnerstack", "acme")
    assert inserted <= set(zip(got["stream"], got["source_id"]))
    assert set(zip(got["stream"], got["source_id"])) == {(o, i) for o, ids in index.items() for i in ids}
