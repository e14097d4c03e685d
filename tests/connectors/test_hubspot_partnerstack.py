"""HubSpot (CRM) and PartnerStack (PRM) for one organisation over real HTTP against the simulator: every stream,
the search cap, faults, bad credentials, partner matching across the two systems, and the canonical tables."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors import sync
from connectors.http import AuthError
from connectors.hubspot import STREAMS as HS_STREAMS
from connectors.hubspot import HubSpotConnector, HubSpotSource
from connectors.partnerstack import STREAMS as PS_STREAMS
from connectors.partnerstack import PartnerStackConnector, PartnerStackSource
from connectors.simulator import FaultPlan, Simulator
from dbt_like_sql.runner import build, read_table
from dbt_like_sql.warehouse import make_engine
from pipelines import layers
from pipelines.deployment import parse_deployment
from tests.connectors.simhelpers import (CLOCK, PROFILE, fast_sleep, landed, landed_index, latest_landed,
                                         native_index, tenant)

CREDS = {"hubspot": {"token": "pat-na1-11111111-2222"},
         "partnerstack": {"public_key": "pk_live_abc", "secret_key": "sk_live_very_secret"}}


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("ACME_HS_TOKEN", CREDS["hubspot"]["token"])
    monkeypatch.setenv("ACME_PS_PUBLIC", CREDS["partnerstack"]["public_key"])
    monkeypatch.setenv("ACME_PS_SECRET", CREDS["partnerstack"]["secret_key"])


@pytest.fixture
def wh(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/wh.sqlite")
    yield engine
    engine.dispose()


def hubspot(sim, **extra) -> HubSpotConnector:
    extra.setdefault("search_requests_per_second", 200)  # the simulator enforces no limit unless a test sets one
    extra.setdefault("search_result_cap", sim.hubspot_search_cap)
    if "hubspot" in sim.page_limits:
        extra.setdefault("page_size", sim.page_limits["hubspot"])
    return HubSpotConnector("acme", HubSpotSource(type="hubspot", base_url=sim.url("hubspot"),
                                                  token_env="ACME_HS_TOKEN", **extra), sleep=fast_sleep)


def partnerstack(sim, **extra) -> PartnerStackConnector:
    return PartnerStackConnector("acme", PartnerStackSource(
        type="partnerstack", base_url=sim.url("partnerstack"), public_key_env="ACME_PS_PUBLIC",
        secret_key_env="ACME_PS_SECRET", **extra), sleep=fast_sleep)


def simulator(**options) -> Simulator:
    return Simulator([tenant(credentials={k: dict(v) for k, v in CREDS.items()})], **options)


def _hs_native(t):
    """HubSpot objects keyed by stream; associations are landed under the connector's ids and the deal's time."""
    objects = dict(t.native("hubspot"))
    deals = {d["_id"]: d for d in objects["deals"]}
    objects["deal_company_associations"] = [
        {**a, "_id": f"{a['fromObjectId']}-{a['toObjectId']}", "_updated": deals[a["fromObjectId"]]["_updated"]}
        for a in objects["deal_company_associations"]]
    return objects


def test_every_stream_of_both_systems_lands_exactly(wh):
    with simulator(page_limits={"hubspot": 7, "partnerstack": 6}) as sim:
        hs = sync.sync(wh, hubspot(sim, page_size=7))
        ps = sync.sync(wh, partnerstack(sim, page_size=6))
        t = sim.tenants["acme"]
        hs_objects, ps_objects = _hs_native(t), t.native("partnerstack")
    for stream in HS_STREAMS:
        assert hs_objects[stream], stream
    for stream in PS_STREAMS:
        assert ps_objects[stream], stream
        assert ps.streams[stream].pages >= 1
    assert landed_index(latest_landed(wh, "hubspot", "acme")) == native_index(hs_objects, HS_STREAMS)
    assert landed_index(latest_landed(wh, "partnerstack", "acme")) == native_index(ps_objects, PS_STREAMS)
    assert len(landed(wh, "partnerstack", "acme")) == sum(len(ps_objects[s]) for s in PS_STREAMS)
    assert hs.streams["deals"].pages >= 3 and ps.streams["partnerships"].pages >= 3


def test_search_cap_is_passed_in_windows(wh):
    with simulator(page_limits={"hubspot": 10}, hubspot_search_cap=30) as sim:
        result = sync.sync(wh, hubspot(sim, page_size=10), streams=["deals"])
        deals = sim.tenants["acme"].native("hubspot")["deals"]
        statuses = [status for system, _, path, status in sim.log if path.endswith("/search")]
    assert len(deals) > 100  # more than three windows of 30
    assert 400 not in statuses  # never paged past the cap
    assert landed_index(latest_landed(wh, "hubspot", "acme")) == native_index({"deals": deals}, ["deals"])
    assert result.streams["deals"].landed == len(deals)


def test_deletions_and_incremental_changes(wh):
    with simulator(page_limits={"hubspot": 50}) as sim:
        sync.sync(wh, hubspot(sim))
        t = sim.tenants["acme"]
        before = {str(r["_id"]) for objs in t.native("hubspot").values() for r in objs if r["_deleted"]}
        archived = t.mutate("hubspot", "meetings", 2, "_deleted", True)
        t.native("hubspot")["deals"][0]["properties"]["amount"] = "4242"
        t.native("hubspot")["deals"][0]["_updated"] = CLOCK - pd.Timedelta(seconds=1)
        t.edited("hubspot", "deals")
        second = sync.sync(wh, hubspot(sim))
    assert second.streams["meetings"].landed == 2 and second.streams["deals"].landed == 1
    assert second.streams["deals"].fetched < 5   # only changes since the cursor
    got = landed(wh, "hubspot", "acme")
    assert set(got.loc[got["is_deleted"], "source_id"]) == set(archived) | before


def test_faults_on_both_systems_give_exactly_the_data(wh):
    plan = FaultPlan(rate=0.1, seed=5, hang_seconds=1.0, slow_seconds=0.05)
    with simulator(page_limits={"hubspot": 5, "partnerstack": 5}, faults=plan) as sim:
        sync.sync(wh, hubspot(sim, page_size=5, read_timeout=0.4, max_attempts=10))
        sync.sync(wh, partnerstack(sim, page_size=5, read_timeout=0.4, max_attempts=10))
        t = sim.tenants["acme"]
        hs_objects, ps_objects = _hs_native(t), t.native("partnerstack")
    assert plan.requests >= 100 and plan.faulted >= 8 and len(plan.counts) >= 5, plan.counts
    assert landed_index(latest_landed(wh, "hubspot", "acme")) == native_index(hs_objects, HS_STREAMS)
    assert landed_index(latest_landed(wh, "partnerstack", "acme")) == native_index(ps_objects, PS_STREAMS)
    assert len(landed(wh, "partnerstack", "acme")) == sum(len(ps_objects[s]) for s in PS_STREAMS)


def test_rate_limit_headers_pace_the_client(wh):
    from connectors.simulator.server import RateLimit

    with simulator(rate_limits={"hubspot": RateLimit(20, 1.0)}, page_limits={"hubspot": 10}) as sim:
        c = hubspot(sim, page_size=10, search_requests_per_second=19)
        sync.sync(wh, c, streams=["contacts", "companies"])
        throttled = sum(1 for system, _, _, status in sim.log if status == 429)
    assert c.client.pacer.limit == 20 and c.client.pacer.window == 1.0  # learnt from X-HubSpot-RateLimit-*
    assert throttled == 0


def test_bad_credentials_fail_naming_org_and_source(monkeypatch, wh):
    monkeypatch.setenv("ACME_PS_SECRET", "sk_live_WRONG_value")
    monkeypatch.setenv("ACME_HS_TOKEN", "pat-na1-WRONG")
    with simulator() as sim:
        for make, secret in ((partnerstack, "sk_live_WRONG_value"), (hubspot, "pat-na1-WRONG")):
            with pytest.raises(AuthError) as err:
                sync.sync(wh, make(sim))
            assert "'acme'" in str(err.value) and make.__name__ in str(err.value)
            assert secret not in str(err.value) and "WRONG" not in str(err.value)


def test_one_partner_in_two_systems_is_one_partner_and_canonical_matches_sandbox(engine):
    wh = engine
    with simulator(page_limits={"hubspot": 50}) as sim:
        sync.sync(wh, hubspot(sim))
        sync.sync(wh, partnerstack(sim))
    deployment = parse_deployment({"organisations": [{"id": "sbx", "name": "Sandbox", "sources": [
        {"type": "sandbox", "profile": PROFILE.model_dump(mode="json")}]}]}, "test.yaml")
    layers.ingest(wh, deployment.organisation("sbx"), (CLOCK - pd.Timedelta(days=1)).date())
    assert not build(wh, "acme").errors and not build(wh, "sbx").errors
    a, b = (lambda x: read_table(wh, x, "acme")), (lambda x: read_table(wh, x, "sbx"))
    matches = a("partner_matches")
    assert set(matches["source"]) == {"hubspot", "partnerstack"}
    assert (matches["matched_by"] == "key").all()
    assert len(a("partners")) == len(b("partners")) == matches["partner_id"].nunique()
    assert (a("partners")["source"] == "partnerstack").all()   # the PRM's attributes win
    cols = ["partner_id", "name", "tier", "region", "country", "partner_type", "onboarded_on", "churned_on"]
    pd.testing.assert_frame_equal(a("partners")[cols].sort_values("partner_id").reset_index(drop=True),
                                  b("partners")[cols].sort_values("partner_id").reset_index(drop=True))
    assert a("partners")["owner_id"].notna().sum() == b("partners")["owner_id"].notna().sum()  # from HubSpot

    def summary(frame, by, value):
        return frame.groupby(by, dropna=False)[value].agg(["count", "sum"]).round(2)

    for table, by, value in [("opportunities", ["partner_id", "status", "attribution"], "amount_eur"),
                             ("deal_registrations", ["partner_id", "status", "conflict"], "estimated_amount"),
                             ("opportunity_partners", ["partner_id", "role"], "opportunity_id"),
                             ("activities", ["partner_id", "activity_type", "initiated_by"], "activity_id")]:
        x, y = a(table), b(table)
        if value.endswith("_id"):
            x, y = x.assign(v=1.0), y.assign(v=1.0)
            value = "v"
        pd.testing.assert_frame_equal(summary(x, by, value), summary(y, by, value), obj=table)
    regs = a("deal_registrations")
    assert set(regs["opportunity_id"].dropna()) <= set(a("opportunities")["opportunity_id"])
    assert set(a("opportunities")["registration_id"].dropna()) <= set(regs["registration_id"])


def test_partners_without_a_key_match_by_domain_then_name(wh):
    with simulator(page_limits={"hubspot": 50}) as sim:
        companies = sim.tenants["acme"].native("hubspot")["companies"]
        with_domain = next(c for c in companies if c["properties"]["domain"])
        with_domain["properties"]["partner_key"] = None
        no_domain = next(c for c in companies if not c["properties"]["domain"])
        no_domain["properties"]["partner_key"] = None
        no_domain["properties"]["name"] = no_domain["properties"]["name"].upper()
        stranger = next(c for c in companies if c is not with_domain and c is not no_domain)
        stranger["properties"].update(partner_key=None, domain="nobody.example", name="Nobody Partners")
        sync.sync(wh, hubspot(sim))
        sync.sync(wh, partnerstack(sim))
    build(wh, "acme")
    m = read_table(wh, "partner_matches", "acme").set_index(["source", "source_partner_id"])
    assert m.loc[("hubspot", with_domain["_id"]), "matched_by"] == "domain"
    assert m.loc[("hubspot", no_domain["_id"]), "matched_by"] == "name"
    assert m.loc[("hubspot", stranger["_id"]), "matched_by"] == "unmatched"
    assert m.loc[("hubspot", stranger["_id"]), "partner_id"] == stranger["_id"]
    ps = m.loc["partnerstack"]
    assert m.loc[("hubspot", with_domain["_id"]), "partner_id"] in set(ps["partner_id"])
    assert m.loc[("hubspot", no_domain["_id"]), "partner_id"] in set(ps["partner_id"])


def test_partner_key_property_named_by_the_portal(tmp_path):
    """A portal keeping the partner flag and key in properties of its own naming: configured, the key matches every
    HubSpot partner to its PartnerStack partnership; left at the default name, no company has a key to match by."""
    t = tenant(credentials={k: dict(v) for k, v in CREDS.items()})
    t.hubspot_partner_property, t.hubspot_partner_key_property = "is_channel_partner", "channel_partner_id"
    configured, default = (make_engine(f"sqlite:///{tmp_path}/{n}.sqlite") for n in ("configured", "default"))
    with Simulator([t], page_limits={"hubspot": 50}) as sim:
        sync.sync(configured, hubspot(sim, partner_property="is_channel_partner",
                                      partner_key_property="channel_partner_id"))
        sync.sync(default, hubspot(sim, partner_property="is_channel_partner"))
        for wh in (configured, default):
            sync.sync(wh, partnerstack(sim))
        companies = [c for c in t.native("hubspot")["companies"] if not c["_deleted"]]
    assert companies and all("partner_key" not in c["properties"] for c in companies)
    for wh in (configured, default):
        assert not build(wh, "acme").errors
    m = read_table(configured, "partner_matches", "acme")
    hs = m[m["source"] == "hubspot"]
    assert len(hs) == len(companies) and (hs["matched_by"] == "key").all()
    assert set(hs["partner_id"]) == {c["properties"]["channel_partner_id"] for c in companies}
    assert set(hs["partner_id"]) <= set(m.loc[m["source"] == "partnerstack", "partner_id"])
    m = read_table(default, "partner_matches", "acme")
    assert not (m.loc[m["source"] == "hubspot", "matched_by"] == "key").any()


def test_partner_properties_are_validated_on_load():
    from apex_model.errors import ApexConfigError

    def load(**hubspot_source):
        return parse_deployment({"organisations": [{"id": "acme", "name": "Acme", "sources": [
            {"type": "hubspot", "token_env": "ACME_HS_TOKEN", **hubspot_source}]}]}, "acme.yaml")

    assert load(partner_key_property="channel_partner_id").organisation("acme")
    with pytest.raises(ApexConfigError, match="partner_key_property") as err:
        load(partner_key_property="Channel Partner ID")
    assert "internal name" in str(err.value)
    with pytest.raises(ApexConfigError, match="partner_property"):
        load(partner_property="")
    with pytest.raises(ApexConfigError, match="partner_key_property and partner_property"):
        load(partner_property="partner_key")


def test_association_changes_without_a_deal_change_land_by_reconciliation(wh):
    """Associations added to and removed from deals whose last-modified time does not move (the simulator's
    behaviour; UNSURE for HubSpot) are not seen by the incremental read; the periodic association reconciliation lands
    the new ones once and the removed ones as deletions, so canonical deal-partner links equal the portal's state."""
    import math
    from datetime import datetime, timedelta, timezone

    assoc = "deal_company_associations"
    batch = "/crm/v4/associations/deals/companies/batch/read"
    with simulator(page_limits={"hubspot": 50}) as sim:
        first = sync.sync(wh, hubspot(sim))
        assert first.streams[assoc].reconciled_deletions is None   # a first sync only starts the period
        t = sim.tenants["acme"]
        objects = t.native("hubspot")
        rows = objects[assoc]
        live_deals = [d["_id"] for d in objects["deals"] if not d["_deleted"]]
        partners = [c["_id"] for c in objects["companies"] if not c["_deleted"]
                    and str((c.get("properties") or {}).get("is_partner")) == "true"]
        shown = [a for a in rows if not a["_deleted"] and a["fromObjectId"] in live_deals]
        removed = shown[:2]
        for a in removed:
            a["_deleted"] = True
        linked = {(a["fromObjectId"], a["toObjectId"]) for a in rows}
        added = []
        for deal in live_deals[5:]:
            company = next((c for c in partners if (deal, c) not in linked), None)
            if company is not None:
                added.append({**shown[2], "fromObjectId": deal, "toObjectId": company, "label": "Influenced"})
            if len(added) == 2:
                break
        rows.extend(added)
        deals_before = [(d["_id"], d["_updated"]) for d in objects["deals"]]
        t.edited("hubspot", assoc)
        removed_ids = {f"{a['fromObjectId']}-{a['toObjectId']}" for a in removed}
        added_ids = {f"{a['fromObjectId']}-{a['toObjectId']}" for a in added}

        def reads() -> int:
            return sum(1 for s, _, path, _ in sim.log if s == "hubspot" and path == batch)

        before = reads()
        soon = sync.sync(wh, hubspot(sim))                         # within the period: not seen
        soon_reads = reads() - before
        assert soon.streams[assoc].reconciled_deletions is None and soon.streams[assoc].reconciled_changes is None
        got = latest_landed(wh, "hubspot", "acme")
        assert not added_ids & set(got["source_id"])
        assert not got.loc[got["source_id"].isin(removed_ids), "is_deleted"].any()
        later = datetime.now(timezone.utc) + timedelta(hours=25)
        before = reads()
        due = sync.sync(wh, hubspot(sim), fetched_at=later)
        due_reads = reads() - before
        again = sync.sync(wh, hubspot(sim), fetched_at=later + timedelta(hours=1))   # the period starts over
        assert [(d["_id"], d["_updated"]) for d in objects["deals"]] == deals_before   # no deal was touched
        expected = [a for a in objects[assoc] if not a["_deleted"]
                    and a["fromObjectId"] in {d["_id"] for d in objects["deals"] if not d["_deleted"]}]
    assert len(added) == 2 and len(removed_ids) == 2
    assert due.streams[assoc].reconciled_changes == 2 and due.streams[assoc].reconciled_deletions == 2
    assert again.streams[assoc].reconciled_changes is None and again.streams[assoc].landed == 0
    assert due_reads - soon_reads == math.ceil(len(live_deals) / 100)   # one batch read per 100 landed deals
    every = landed(wh, "hubspot", "acme")
    every = every[every["stream"] == assoc]
    assert (every[every["source_id"].isin(added_ids)].groupby("source_id").size() == 1).all()
    assert set(every.loc[every["source_id"].isin(added_ids), "source_id"]) == added_ids
    gone = every[every["source_id"].isin(removed_ids) & every["is_deleted"]]
    assert sorted(gone["source_id"]) == sorted(removed_ids)         # one deletion each
    assert not every.duplicated(["source_id", "payload_hash"]).any()   # nothing landed twice
    assert not build(wh, "acme").errors
    matches = read_table(wh, "partner_matches", "acme")
    matches = matches[matches["source"] == "hubspot"]
    to_partner = dict(zip(matches["source_partner_id"].astype(str), matches["partner_id"]))
    links = read_table(wh, "opportunity_partners", "acme")
    links = links[links["source"] == "hubspot"]
    assert sorted(zip(links["opportunity_id"], links["partner_id"])) == sorted(
        (str(a["fromObjectId"]), to_partner.get(str(a["toObjectId"]), str(a["toObjectId"]))) for a in expected)
