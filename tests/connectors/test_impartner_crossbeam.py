"""Impartner (PRM objects API) and Crossbeam (account mapping) over real HTTP against the simulator."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors import sync
from connectors.crossbeam import CrossbeamConnector, CrossbeamSource
from connectors.http import AuthError
from connectors.impartner import STREAMS as IMP_STREAMS
from connectors.impartner import ImpartnerConnector, ImpartnerSource
from connectors.simulator import FaultPlan, Simulator
from connectors.simulator.render import IMPARTNER_TZ
from dbt_like_sql.runner import build, read_table
from dbt_like_sql.warehouse import make_engine
from pipelines import layers
from pipelines.deployment import parse_deployment
from tests.connectors.simhelpers import (CLOCK, PROFILE, fast_sleep, landed, landed_index, latest_landed,
                                         native_index, tenant)

CREDS = {"impartner": {"api_key": "imp-key-0123456789", "tenant_id": "1234"},
         "crossbeam": {"client_id": "xb-client", "client_secret": "xb-secret-abcdef",
                       "organization": "0b6c2c35-7d7e-4f57-9d0a-1b2c3d4e5f60"}}


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("ACME_IMP_KEY", CREDS["impartner"]["api_key"])
    monkeypatch.setenv("ACME_IMP_TENANT", CREDS["impartner"]["tenant_id"])
    monkeypatch.setenv("ACME_XB_ID", CREDS["crossbeam"]["client_id"])
    monkeypatch.setenv("ACME_XB_SECRET", CREDS["crossbeam"]["client_secret"])
    monkeypatch.setenv("ACME_XB_ORG", CREDS["crossbeam"]["organization"])


@pytest.fixture
def wh(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/wh.sqlite")
    yield engine
    engine.dispose()


def simulator(**options) -> Simulator:
    return Simulator([tenant(credentials={k: dict(v) for k, v in CREDS.items()})], **options)


def impartner(sim, **extra) -> ImpartnerConnector:
    return ImpartnerConnector("acme", ImpartnerSource(
        type="impartner", base_url=sim.url("impartner"), api_key_env="ACME_IMP_KEY", tenant_id_env="ACME_IMP_TENANT",
        tenant_timezone=IMPARTNER_TZ, **extra), sleep=fast_sleep)


def crossbeam(sim, **extra) -> CrossbeamConnector:
    return CrossbeamConnector("acme", CrossbeamSource(
        type="crossbeam", base_url=sim.url("crossbeam"), client_id_env="ACME_XB_ID", client_secret_env="ACME_XB_SECRET",
        organization_env="ACME_XB_ORG", **extra), sleep=fast_sleep)


def _xb_native(t):
    objects = t.native("crossbeam")
    return {"partners": [r for r in objects["partners"] if not r["_deleted"]],
            "overlaps": [r for r in objects["overlaps"] if not r["_deleted"]]}


def _index_without_time(frame_or_objects) -> set[tuple]:
    if isinstance(frame_or_objects, pd.DataFrame):
        f = frame_or_objects
        return {(s, i, bool(d)) for s, i, d in zip(f["stream"], f["source_id"], f["is_deleted"])}
    return {(obj, str(r["_id"]), bool(r["_deleted"])) for obj, rows in frame_or_objects.items() for r in rows}


def test_every_stream_lands_exactly(wh):
    with simulator(page_limits={"impartner": 6, "crossbeam": 7}) as sim:
        imp = sync.sync(wh, impartner(sim, page_size=6))
        xb = sync.sync(wh, crossbeam(sim, page_size=7))
        t = sim.tenants["acme"]
        imp_objects, xb_objects = t.native("impartner"), _xb_native(t)
    for stream in IMP_STREAMS:
        assert imp_objects[stream], stream
    assert landed_index(latest_landed(wh, "impartner", "acme")) == native_index(imp_objects, IMP_STREAMS)
    assert len(landed(wh, "impartner", "acme")) == sum(len(imp_objects[s]) for s in IMP_STREAMS)
    assert imp.streams["Account"].pages >= 3
    assert _index_without_time(latest_landed(wh, "crossbeam", "acme")) == _index_without_time(xb_objects)
    assert xb.streams["overlaps"].pages >= 2 and xb_objects["overlaps"]


def test_impartner_records_changing_while_paging_are_not_skipped(wh):
    with simulator(page_limits={"impartner": 4}) as sim:
        t = sim.tenants["acme"]
        calls = []

        def edit(system, request):
            if system == "impartner" and "Account" in request.path:
                calls.append(1)
                if len(calls) == 2:   # after the first page: an early account is edited (moves to the end)
                    t.mutate("impartner", "Account", 1, "name", "Renamed While Paging")
        sim.hooks.append(edit)
        sync.sync(wh, impartner(sim, page_size=4), streams=["Account"])
        accounts = t.native("impartner")["Account"]
    got = latest_landed(wh, "impartner", "acme")
    assert landed_index(got) == native_index({"Account": accounts}, ["Account"])
    assert (got["payload"].map(lambda p: p.get("name")) == "Renamed While Paging").sum() == 1


def test_crossbeam_bookmark_returns_only_changes_and_deletions(wh):
    with simulator(page_limits={"crossbeam": 10}) as sim:
        first = sync.sync(wh, crossbeam(sim, page_size=10))
        t = sim.tenants["acme"]
        gone = t.mutate("crossbeam", "overlaps", 2, "_deleted", True)
        second = sync.sync(wh, crossbeam(sim, page_size=10))
    assert first.streams["overlaps"].landed == len([r for r in t.native("crossbeam")["overlaps"]
                                                   if not r["_deleted"] or r["_id"] in gone])
    assert second.streams["overlaps"].fetched == 2 and second.streams["overlaps"].landed == 2
    assert second.streams["partners"].landed == 0   # unchanged partners (no last-modified) land nothing
    got = landed(wh, "crossbeam", "acme")
    deleted = got[got["is_deleted"]]
    assert len(deleted) == 2 and set(deleted["payload"].map(lambda p: p["crossbeam_record_id"])) == \
        {g.split(":")[0] for g in gone}


def test_faults_give_exactly_the_data(wh):
    plan = FaultPlan(rate=0.1, seed=9, hang_seconds=1.0, slow_seconds=0.05)
    with simulator(page_limits={"impartner": 2, "crossbeam": 2}, faults=plan) as sim:
        sync.sync(wh, impartner(sim, page_size=2, read_timeout=0.4, max_attempts=10))
        sync.sync(wh, crossbeam(sim, page_size=2, read_timeout=0.4, max_attempts=10))
        t = sim.tenants["acme"]
        imp_objects, xb_objects = t.native("impartner"), _xb_native(t)
    assert plan.requests >= 30 and plan.faulted >= 4, plan.counts
    assert landed_index(latest_landed(wh, "impartner", "acme")) == native_index(imp_objects, IMP_STREAMS)
    assert len(landed(wh, "impartner", "acme")) == sum(len(imp_objects[s]) for s in IMP_STREAMS)
    assert _index_without_time(latest_landed(wh, "crossbeam", "acme")) == _index_without_time(xb_objects)
    assert len(landed(wh, "crossbeam", "acme")) == sum(len(v) for v in xb_objects.values())


def test_bad_credentials(monkeypatch, wh):
    monkeypatch.setenv("ACME_IMP_KEY", "imp-WRONG-key")
    monkeypatch.setenv("ACME_XB_SECRET", "xb-WRONG-secret")
    with simulator() as sim:
        for make, source in ((impartner, "impartner"), (crossbeam, "crossbeam")):
            with pytest.raises(AuthError) as err:
                sync.sync(wh, make(sim))
            assert f"'{source}'" in str(err.value) and "'acme'" in str(err.value)
            assert "WRONG" not in str(err.value)


def test_canonical_tables_and_crossbeam_partner_matching(engine):
    wh = engine
    with simulator() as sim:
        sync.sync(wh, impartner(sim))
        sync.sync(wh, crossbeam(sim))
    deployment = parse_deployment({"organisations": [{"id": "sbx", "name": "Sandbox", "sources": [
        {"type": "sandbox", "profile": PROFILE.model_dump(mode="json")}]}]}, "test.yaml")
    layers.ingest(wh, deployment.organisation("sbx"), (CLOCK - pd.Timedelta(days=1)).date())
    assert not build(wh, "acme").errors and not build(wh, "sbx").errors
    a, b = (lambda x: read_table(wh, x, "acme")), (lambda x: read_table(wh, x, "sbx"))
    cols = ["partner_id", "name", "tier", "region", "country", "partner_type", "onboarded_on", "churned_on"]
    pd.testing.assert_frame_equal(a("partners")[cols].sort_values("partner_id").reset_index(drop=True),
                                  b("partners")[cols].sort_values("partner_id").reset_index(drop=True))

    def summary(frame, by, value):
        return frame.groupby(by, dropna=False)[value].agg(["count", "sum"]).round(2)

    for table, by, value in [("deal_registrations", ["partner_id", "status", "conflict"], "estimated_amount"),
                             ("mdf_requests", ["partner_id", "status"], "amount_eur"),
                             ("mdf_claims", ["partner_id", "status"], "amount_eur")]:
        pd.testing.assert_frame_equal(summary(a(table), by, value), summary(b(table), by, value), obj=table)
    regs_a, regs_b = a("deal_registrations"), b("deal_registrations")
    assert sorted(regs_a["submitted_at"]) == sorted(regs_b["submitted_at"])   # local offsets back to UTC
    matches = a("partner_matches")
    xb = matches[matches["source"] == "crossbeam"]
    with_domain = b("partners")["domain"].notna().sum()
    assert (xb["matched_by"] == "domain").sum() == with_domain
    assert (xb["matched_by"] == "name").sum() == len(xb) - with_domain
    assert set(xb["partner_id"]) == set(a("partners")["partner_id"])


def test_impartner_deletions_found_by_id_reconciliation(wh):
    """The simulator deletes as the connector assumes Impartner does (the record is no longer served); a
    reconciliation lands each landed id no longer served as a deletion, at most once per configured period."""
    from datetime import datetime, timedelta, timezone

    with simulator(page_limits={"impartner": 3}) as sim:
        t = sim.tenants["acme"]
        first = sync.sync(wh, impartner(sim, page_size=3))
        assert first.streams["Account"].reconciled_deletions is None   # a first sync only starts the period
        gone = t.mutate("impartner", "Account", 2, "_deleted", True)
        kept = next(r["_id"] for r in t.native("impartner")["Account"] if not r["_deleted"])
        assert [_count_with_id(sim, i) for i in (*gone, kept)] == [0, 0, 1]   # deleted: simply no longer served
        soon = sync.sync(wh, impartner(sim, page_size=3))        # within the period: no reconciliation
        assert soon.streams["Account"].reconciled_deletions is None
        assert not latest_landed(wh, "impartner", "acme")["is_deleted"].any()
        later = datetime.now(timezone.utc) + timedelta(hours=25)
        listed = sim.requests_to("impartner")
        due = sync.sync(wh, impartner(sim, page_size=3), fetched_at=later)
        accounts = [r for r in t.native("impartner")["Account"] if not r["_deleted"]]
    assert due.streams["Account"].reconciled_deletions == 2 and due.streams["Tier"].reconciled_deletions == 0
    assert sim.requests_to("impartner") - listed >= len(accounts) // 3    # the ids were listed, a page at a time
    got = latest_landed(wh, "impartner", "acme")
    deleted = got[got["is_deleted"]]
    assert set(deleted["source_id"]) == {str(g) for g in gone} and (deleted["stream"] == "Account").all()
    assert all(p.get("name") for p in deleted["payload"])     # the last payload is kept with the deletion
    assert not build(wh, "acme").errors
    assert set(read_table(wh, "partners", "acme")["partner_id"]) == {r["partnerKey__cf"] for r in accounts}


def _count_with_id(sim, record_id) -> int:
    import requests

    response = requests.get(f"{sim.url('impartner')}/api/objects/v1/Account",
                            params={"filter": f"id = {record_id}", "take": 3},
                            headers={"Authorization": f"prm-key {CREDS['impartner']['api_key']}"}, timeout=10)
    return response.json()["data"]["count"]
