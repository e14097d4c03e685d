"""What an incremental sync fetches and lands beyond the changes: HubSpot's deal-company associations carry their
deal's last-modified time, so a changed deal brings its associations again, and they land only when their content
changed; records sharing one timestamp across search windows and across syncs are neither lost nor landed twice."""

from __future__ import annotations

import pandas as pd

from connectors import sync
from tests.connectors.simhelpers import CLOCK, landed, landed_index, latest_landed, native_index
from tests.connectors.test_hubspot_partnerstack import env, hubspot, simulator, wh  # noqa: F401 - fixtures


def _touch(t, deal: dict, when: pd.Timestamp) -> None:
    deal["properties"]["amount"] = str(float(deal["properties"].get("amount") or 0) + 1)
    deal["_updated"] = when
    t.edited("hubspot", "deals")


def test_associations_of_a_changed_deal_land_only_when_they_changed(wh):  # noqa: F811
    with simulator(page_limits={"hubspot": 50}) as sim:
        sync.sync(wh, hubspot(sim))
        t = sim.tenants["acme"]
        links = [a for a in t.native("hubspot")["deal_company_associations"] if not a["_deleted"]]
        deal_id = links[0]["fromObjectId"]
        deal = next(d for d in t.native("hubspot")["deals"] if d["_id"] == deal_id)
        its_links = [a for a in links if a["fromObjectId"] == deal_id]

        _touch(t, deal, CLOCK - pd.Timedelta(seconds=2))          # the deal changes, its associations do not
        second = sync.sync(wh, hubspot(sim))
        assert second.streams["deals"].landed == 1
        assert second.streams["deal_company_associations"].fetched >= len(its_links)   # read again, as they must be
        assert second.streams["deal_company_associations"].landed == 0                 # but nothing new to land

        link = next(a for a in t.native("hubspot")["deal_company_associations"] if a is its_links[0])
        link["label"] = "Influenced" if link["label"] != "Influenced" else "Co Sell"   # the partner's role changes
        link["_updated"] = CLOCK - pd.Timedelta(seconds=1)
        t.edited("hubspot", "deal_company_associations")
        _touch(t, deal, CLOCK - pd.Timedelta(seconds=1))
        third = sync.sync(wh, hubspot(sim))
    assert third.streams["deal_company_associations"].landed == 1
    got = landed(wh, "hubspot", "acme")
    versions = got[(got["stream"] == "deal_company_associations")
                   & (got["source_id"] == f"{deal_id}-{link['toObjectId']}")].sort_values("source_updated_at")
    assert len(versions) == 2 and versions["payload"].iloc[-1]["label"] == link["label"]
    # the new version carries the time of the deal change that brought it
    assert pd.Timestamp(versions["source_updated_at"].iloc[-1]).floor("s") == \
        (CLOCK - pd.Timedelta(seconds=1)).tz_convert(None).floor("s")


def test_records_sharing_a_timestamp_across_search_windows_are_neither_lost_nor_landed_twice(wh):  # noqa: F811
    """25 deals modified in one millisecond, read through searches capped at 30 results in pages of 10: the window
    boundaries fall among them. Then a deal written later with that very timestamp (a write in the same millisecond,
    or one the search index showed late) must still be read by the next sync, whose cursor is that timestamp."""
    with simulator(page_limits={"hubspot": 10}, hubspot_search_cap=30) as sim:
        t = sim.tenants["acme"]
        same = set(t.mutate("hubspot", "deals", 25, "edited_by_test", True))
        first = sync.sync(wh, hubspot(sim), streams=["deals"])
        deals = t.native("hubspot")["deals"]
        instant = next(d["_updated"] for d in deals if d["_id"] in same)
        assert sum(1 for d in deals if d["_updated"] == instant) == 25
        assert landed_index(latest_landed(wh, "hubspot", "acme")) == native_index({"deals": deals}, ["deals"])
        assert first.streams["deals"].landed == len(deals)

        late = next(d for d in deals if d["_id"] not in same and not d["_deleted"])
        late["properties"]["amount"] = "777"
        late["_updated"] = instant
        t.edited("hubspot", "deals")
        second = sync.sync(wh, hubspot(sim), streams=["deals"])
    assert second.streams["deals"].landed == 1
    got = latest_landed(wh, "hubspot", "acme")
    assert got.loc[got["source_id"] == str(late["_id"]), "payload"].iloc[0]["properties"]["amount"] == "777"
