"""PartnerStack vendor API v2: partnerships, groups (tiers), customers, deals (deal registrations), leads and
transactions.

- Auth: HTTP Basic with the vendor public key as user and the secret key as password (`public_key_env`,
  `secret_key_env`); production keys, not test keys, for real data.
- Incremental: `min_updated=<cursor ms>` with `order_by=updated_at` (inclusive lower bound, UNSURE: the docs do not
  say whether `min_updated` is inclusive; the connector treats it as inclusive and skips the duplicates);
  transactions are append-only and read with `min_created` / `order_by=created_at`, as Airbyte does.
- Paging: `starting_after=<last key>` until `has_more` is false; `limit` up to 250.
- Deletions: none are exposed by the API (prm_apis.md 3.3); an archived partnership stays a partnership.
- Rate limits are undocumented (UNSURE): 429 is retried honouring `Retry-After`; `requests_per_second` paces the
  client when set.
- Partner data not in the standard fields (region, country, partner type, churn date) is read from the
  partnership's `m_data`, and deal-registration decisions from the deal's `meta`: the demo programme's
  conventions (README, "Sources").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pandas as pd
from pydantic import Field

from connectors.base import SourceSettings, pacer_for, resolved_base_url
from connectors.http import Credentials, HttpClient, RetryPolicy, StaticHeaderAuth, ThrottleRule
from connectors.http.paging import StartingAfter

# stream -> cursor field (updated_at: min_updated; created_at: min_created)
STREAMS = {"partnerships": "updated_at", "groups": "updated_at", "customers": "updated_at", "deals": "updated_at",
           "leads": "updated_at", "transactions": "created_at"}


class PartnerStackSource(SourceSettings):
    """A PartnerStack programme (vendor API keys)."""

    type: Literal["partnerstack"]
    public_key_env: str
    secret_key_env: str
    streams: tuple[str, ...] = Field(default=tuple(STREAMS))


def _iso(ms_value) -> str | None:
    if ms_value is None:
        return None
    return pd.Timestamp(int(ms_value), unit="ms", tz="UTC").isoformat()


class PartnerStackConnector:
    source = "partnerstack"
    version = "partnerstack/1"

    def __init__(self, org_id: str, settings: PartnerStackSource, **client_options) -> None:
        self.org_id, self.settings = org_id, settings
        creds = Credentials.from_env(org_id, self.source, {"public_key": settings.public_key_env,
                                                            "secret_key": settings.secret_key_env})
        self.client = HttpClient(
            org_id, self.source, StaticHeaderAuth.basic(creds, "public_key", "secret_key"),
            base_url=resolved_base_url(settings, "https://api.partnerstack.com"),
            timeout=(settings.connect_timeout, settings.read_timeout), retry=RetryPolicy(attempts=settings.max_attempts),
            throttle=ThrottleRule(name="HTTP 429"), pacer=pacer_for(settings, None), **client_options)
        self.page = min(250, settings.page_size or 250)

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        field = STREAMS[stream]
        params = {"order_by": field}
        if cursor:
            params["min_updated" if field == "updated_at" else "min_created"] = cursor
        for page in StartingAfter(self.page).pages(self.client, f"/api/v2/{stream}", params=params):
            versions = [(i.get("key"), _iso(i.get("updated_at") or i.get("created_at")), False, i)
                        for i in page.records]
            marks = [i.get(field) for i in page.records if i.get(field) is not None]
            if marks:
                cursor = str(max(int(m) for m in marks))
            yield versions, cursor

    def close(self) -> None:
        self.client.close()
