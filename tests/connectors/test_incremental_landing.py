"""What an incremental sync lands beyond the changes: HubSpot's deal-company associations carry their deal's
last-modified time, so a changed deal brings its associations again; they land only when their content changed."""

from __future__ import annotations

import pandas as pd

from connectors import sync
from tests.connectors.simhelpers import CLOCK, landed
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
