"""The Salesforce connector over real HTTP against the simulator: every stream, paging edges, faults, bad
credentials, quarantine, and the canonical tables it yields against the sandbox's own (kill and resume, and records
changing mid-sync, for every connector: test_resume_and_changes.py)."""

from __future__ import annotations


import pandas as pd
import pytest
import sqlalchemy as sa

from connectors import sync
from connectors.http import AuthError
from connectors.http.paging import NextUrl
from connectors.salesforce import STREAMS, SalesforceConnector, SalesforceSource
from connectors.simulator import FaultPlan, Simulator
from connectors.simulator.render import sf_id
from dbt_like_sql.runner import build, read_table
from dbt_like_sql.warehouse import make_engine
from pipelines.deployment import parse_deployment
from pipelines import layers
from tests.connectors.simhelpers import (CLOCK, PROFILE, fast_sleep, landed, landed_index, latest_landed,
                                         native_index, tenant)

CREDS = {"client_id": "3MVG9-demo-client", "client_secret": "s3cr3t-sf-value-123"}


@pytest.fixture
def sf_env(monkeypatch):
    monkeypatch.setenv("ACME_SF_ID", CREDS["client_id"])
    monkeypatch.setenv("ACME_SF_SECRET", CREDS["client_secret"])


def settings(sim: Simulator, **extra) -> SalesforceSource:
    return SalesforceSource(type="salesforce", base_url=sim.url("salesforce"), client_id_env="ACME_SF_ID",
                            client_secret_env="ACME_SF_SECRET", **extra)


def connector(sim, **extra) -> SalesforceConnector:
    return SalesforceConnector("acme", settings(sim, **extra), sleep=fast_sleep)


@pytest.fixture
def sim():
    with Simulator([tenant(credentials={"salesforce": dict(CREDS)})], page_limits={"salesforce": 25}) as s:
        yield s


@pytest.fixture
def wh(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/wh.sqlite")
    yield engine
    engine.dispose()


def test_every_stream_lands_exactly_what_the_system_holds(sim, sf_env, wh):
    result = sync.sync(wh, connector(sim))
    objects = sim.tenants["acme"].native("salesforce")
    assert set(result.streams) == set(STREAMS)
    for stream in STREAMS:
        assert result.streams[stream].fetched == len(objects[stream]), stream
    assert all(objects[s] for s in STREAMS), "every stream has records in the sandbox tenant"
    got = latest_landed(wh, "salesforce", "acme")
    assert landed_index(got) == native_index(objects, STREAMS)
    assert len(landed(wh, "salesforce", "acme")) == sum(len(objects[s]) for s in STREAMS)  # nothing twice
    # a second sync fetches only the boundary instant again and lands nothing
    again = sync.sync(wh, connector(sim))
    assert again.landed == 0 and again.fetched < result.fetched / 5
    # deletions arrive through queryAll and land as deletion versions; the earlier versions stay
    before = {r["_id"] for r in objects["Task"] if r["_deleted"]}
    deleted = sim.tenants["acme"].mutate("salesforce", "Task", 2, "_deleted", True)
    third = sync.sync(wh, connector(sim))
    assert third.streams["Task"].landed == 2
    got = landed(wh, "salesforce", "acme")
    assert set(got.loc[got["is_deleted"], "source_id"]) == set(deleted) | before
    assert (got["source_id"].isin(deleted) & ~got["is_deleted"]).sum() == 2


def test_incremental_sync_fetches_only_changes(sim, sf_env, wh):
    sync.sync(wh, connector(sim))
    changed = sim.tenants["acme"].mutate("salesforce", "Opportunity", 3, "StageName", "Negotiation")
    result = sync.sync(wh, connector(sim))
    assert result.streams["Opportunity"].landed == 3
    got = latest_landed(wh, "salesforce", "acme")
    assert set(got.loc[got["payload"].map(lambda p: p.get("StageName") == "Negotiation"), "source_id"]) == set(changed)


def test_canonical_tables_match_the_sandbox_source(sim, sf_env, engine):
    """On SQLite and PostgreSQL: the staging SQL of every source runs on both warehouses."""
    wh = engine
    sync.sync(wh, connector(sim))
    deployment = parse_deployment({"organisations": [{"id": "sbx", "name": "Sandbox", "sources": [
        {"type": "sandbox", "profile": PROFILE.model_dump(mode="json")}]}]}, "test.yaml")
    layers.ingest(wh, deployment.organisation("sbx"), (CLOCK - pd.Timedelta(days=1)).date())
    assert not build(wh, "acme").errors
    assert not build(wh, "sbx").errors
    sf, sb = (lambda t: read_table(wh, t, "acme")), (lambda t: read_table(wh, t, "sbx"))
    cols = ["partner_id", "name", "tier", "region", "country", "partner_type", "onboarded_on", "churned_on"]
    pd.testing.assert_frame_equal(sf("partners")[cols].sort_values("partner_id").reset_index(drop=True),
                                  sb("partners")[cols].sort_values("partner_id").reset_index(drop=True))
    assert (sf("partners")["source"] == "salesforce").all()

    def summary(frame, by, value):
        return frame.groupby(by, dropna=False)[value].agg(["count", "sum"]).round(2)

    pd.testing.assert_frame_equal(summary(sf("opportunities"), ["partner_id", "status", "attribution"], "amount_eur"),
                                  summary(sb("opportunities"), ["partner_id", "status", "attribution"], "amount_eur"))
    for table, by, value in [("deal_registrations", ["partner_id", "status", "conflict"], "estimated_amount"),
                             ("mdf_requests", ["partner_id", "status"], "amount_eur"),
                             ("mdf_claims", ["partner_id", "status"], "amount_eur"),
                             ("mdf_allocations", ["partner_id"], "amount_eur"),
                             ("opportunity_partners", ["partner_id", "role"], "added_on"),
                             ("activities", ["partner_id", "activity_type", "initiated_by"], "occurred_at"),
                             ("campaigns", ["partner_id", "campaign_type", "is_joint"], "start_on")]:
        a, b = sf(table), sb(table)
        if value in ("added_on", "occurred_at", "start_on"):
            a, b = a.assign(v=pd.to_datetime(a[value]).astype("int64") // 10**9), \
                b.assign(v=pd.to_datetime(b[value]).astype("int64") // 10**9)
            value = "v"
        pd.testing.assert_frame_equal(summary(a, by, value), summary(b, by, value), obj=table)
    # references survive the id change: won opportunities keep their registration and campaign links
    opps = sf("opportunities")
    assert opps["registration_id"].notna().sum() == sb("opportunities")["registration_id"].notna().sum()
    assert set(opps["registration_id"].dropna()) <= set(sf("deal_registrations")["registration_id"])
    matches = read_table(wh, "partner_matches", "acme")
    assert (matches["matched_by"] == "key").all() and len(matches) == len(sf("partners"))


def test_paging_edges(sf_env):
    t = tenant(credentials={"salesforce": dict(CREDS)})
    levels = 4  # ChannelProgramLevel: one per tier
    for page, expected_pages in [(levels, 1), (2, 2), (3, 2)]:
        with Simulator([t], page_limits={"salesforce": page}) as s:
            c = connector(s)
            pages = list(NextUrl().pages(c.client, "/services/data/v62.0/queryAll",
                                         params={"q": c.soql("ChannelProgramLevel", None)}))
            assert [len(p.records) for p in pages] == ([levels] if expected_pages == 1 else
                                                       [page, levels - page]), page
            assert s.requests_to("salesforce") == expected_pages  # no request after the last page
    with Simulator([t]) as s:  # empty: a cursor after every record
        c = connector(s)
        pages = list(NextUrl().pages(c.client, "/services/data/v62.0/queryAll",
                                     params={"q": c.soql("ChannelProgramLevel", "2030-01-01T00:00:00Z")}))
        assert [len(p.records) for p in pages] == [0] and pages[0].response.body["totalSize"] == 0


def test_ten_percent_faulted_requests_give_exactly_the_data(sf_env, wh):
    plan = FaultPlan(rate=0.1, seed=11, hang_seconds=1.0, slow_seconds=0.05)
    t = tenant(credentials={"salesforce": dict(CREDS)})
    with Simulator([t], page_limits={"salesforce": 3}, faults=plan) as s:
        c = connector(s, read_timeout=0.4, max_attempts=10)
        result = sync.sync(wh, c)
        objects = t.native("salesforce")
    assert plan.requests >= 80 and plan.faulted >= 6 and len(plan.counts) >= 4, (plan.requests, plan.counts)
    assert c.client.stats.retries >= plan.faulted - plan.counts.get("slow", 0) - plan.counts.get("expired_token", 0)
    assert landed_index(latest_landed(wh, "salesforce", "acme")) == native_index(objects, STREAMS)
    assert len(landed(wh, "salesforce", "acme")) == sum(len(objects[x]) for x in STREAMS)
    assert result.landed == sum(len(objects[x]) for x in STREAMS)


def test_token_expiry_is_refreshed(sf_env, wh):
    plan = FaultPlan(rate=0.3, kinds=("expired_token",), seed=2)
    t = tenant(credentials={"salesforce": dict(CREDS)})
    with Simulator([t], page_limits={"salesforce": 25}, faults=plan) as s:
        c = connector(s)
        sync.sync(wh, c, streams=["Opportunity", "Account"])
    assert plan.counts["expired_token"] >= 1 and c.auth.fetches == 1 + c.client.stats.by_reason["token_refresh"]


def test_bad_credentials_name_org_and_source_never_the_secret(monkeypatch, wh):
    t = tenant(credentials={"salesforce": dict(CREDS)})
    monkeypatch.setenv("ACME_SF_ID", CREDS["client_id"])
    monkeypatch.setenv("ACME_SF_SECRET", "wrong-secret-value-987")
    with Simulator([t]) as s:
        with pytest.raises(AuthError) as err:
            sync.sync(wh, connector(s))
    text = str(err.value)
    assert "'acme'" in text and "'salesforce'" in text and "invalid client credentials" in text
    assert "wrong-secret-value-987" not in text and CREDS["client_id"] not in text
    monkeypatch.delenv("ACME_SF_SECRET")
    with pytest.raises(AuthError, match="ACME_SF_SECRET is not set"):
        SalesforceConnector("acme", settings(s))


def test_bad_records_are_quarantined_and_the_rest_flows(sim, sf_env, wh):
    objects = sim.tenants["acme"].native("salesforce")
    opps = [r for r in objects["Opportunity"] if not r["_deleted"]]
    opps[0]["_id"] = None                                     # missing id
    opps[1]["CreatedDate"] = "2026-13-45T00:00:00.000+0000"   # unparseable date
    opps[2]["Amount"] = -125.0                                # negative amount
    opps[3]["CurrencyIsoCode"] = "XQZ"                        # unknown currency
    opps[4]["PartnerAccountId"] = sf_id("001", "PTR-99999")   # a partner that does not exist
    opps[4]["Attribution__c"] = "sourced"
    sync.sync(wh, connector(sim))
    result = build(wh, "acme")
    held = result.quarantined
    assert held[("stg_salesforce__opportunities", "opportunity_id_not_blank")] == 1
    assert held[("stg_salesforce__opportunities", "created_on_parseable")] == 1
    assert held[("stg_salesforce__opportunities", "currency_known")] == 1
    assert held[("opportunities", "partner_exists")] == 1
    assert sum(n for (m, r), n in held.items() if m == "stg_salesforce__opportunities" and "amount" in r) == 1
    assert len(read_table(wh, "opportunities", "acme")) == len(opps) - 5
    with wh.connect() as conn:
        rows = conn.execute(sa.text("select source_id, reason from quarantined_records where org_id = 'acme'")).all()
    assert len({source_id for source_id, _ in rows}) == 5 and all(reason for _, reason in rows)
