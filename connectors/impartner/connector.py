"""Impartner PRM objects API v1: partner accounts, tiers, deal registrations, MDF requests and claims.

Everything here rests on third-party connector code (prm_apis.md section 4, medium confidence); the UNSURE parts:
- the filter's time zone: `updated >= 'yyyy-MM-dd HH:mm:ss'` is written in the tenant's time zone
  (`tenant_timezone`), as Syncari does;
- the maximum `take` (`page_size`, 100 by default; the simulator allows 500);
- whether `X-PRM-TenantId` is needed (sent when `tenant_id_env` is set);
- deletions: how the API exposes them is unknown, so none are read (a deleted record keeps its last version);
- rate limits: unknown; 429 is retried and `requests_per_second` paces when set.

Auth: `Authorization: prm-key <api key>` (`api_key_env`). Incremental on `Updated`, ordered `updated asc, id asc`.
Paging is skip/take, restarted from the last `updated` seen after every page (skip = records already read at that
instant), so a record edited while the sync pages moves behind the watermark instead of shifting an offset and
making another record be skipped. The demo portal's custom fields (`*__cf`) carry the partner key and the canonical
attributes Impartner has no standard field for (README, "Sources").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pandas as pd
from pydantic import Field

from connectors.base import SourceSettings, pacer_for, resolved_base_url
from connectors.http import Credentials, HttpClient, RetryPolicy, StaticHeaderAuth, ThrottleRule

STREAMS = ("Account", "Tier", "Deal", "MDFRequestEngagement", "MDFClaimEngagement")


class ImpartnerSource(SourceSettings):
    """An Impartner PRM tenant."""

    type: Literal["impartner"]
    api_key_env: str
    tenant_id_env: str | None = None
    tenant_timezone: str = Field(default="UTC", description="the tenant's configured time zone (filters use it)")
    streams: tuple[str, ...] = STREAMS


class ImpartnerConnector:
    source = "impartner"
    version = "impartner/1"

    def __init__(self, org_id: str, settings: ImpartnerSource, **client_options) -> None:
        self.org_id, self.settings = org_id, settings
        names = {"api_key": settings.api_key_env, "tenant_id": settings.tenant_id_env}
        creds = Credentials.from_env(org_id, self.source, names, optional=("tenant_id",))
        headers = {"Authorization": f"prm-key {creds['api_key']}"}
        if creds.get("tenant_id"):
            headers["X-PRM-TenantId"] = creds["tenant_id"]
        self.client = HttpClient(
            org_id, self.source, StaticHeaderAuth(creds, headers),
            base_url=resolved_base_url(settings, "https://prod.impartner.live"),
            timeout=(settings.connect_timeout, settings.read_timeout), retry=RetryPolicy(attempts=settings.max_attempts),
            throttle=ThrottleRule(name="HTTP 429"), pacer=pacer_for(settings, None), **client_options)
        self.take = settings.page_size or 100

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    def _local(self, ts: pd.Timestamp) -> str:
        return ts.tz_convert(self.settings.tenant_timezone).strftime("%Y-%m-%d %H:%M:%S")

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        low = pd.Timestamp(cursor) if cursor else None
        skip = 0
        while True:
            params = {"orderby": "updated asc, id asc", "skip": skip, "take": self.take}
            if low is not None:
                params["filter"] = f"updated >= '{self._local(low)}'"
            response = self.client.get(f"/api/objects/v1/{stream}", params=params)
            data = (response.body or {}).get("data") or {}
            results = list(data.get("results") or [])
            versions = [(None if r.get("id") is None else str(r["id"]), r.get("updated"), False, r) for r in results]
            stamps = [pd.Timestamp(r["updated"]).tz_convert("UTC").floor("s") for r in results if r.get("updated")]
            if stamps:
                newest = max(stamps)
                at_newest = sum(1 for s in stamps if s == newest)
                skip = (skip + at_newest) if (low is not None and newest == low) else at_newest
                low = newest
            yield versions, low.isoformat() if low is not None else None
            if len(results) < self.take or not stamps or int(params["skip"]) + len(results) >= int(data.get("count") or 0):
                return

    def close(self) -> None:
        self.client.close()
