"""PartnerStack vendor API v2: partnerships, groups (tiers), customers, deals (deal registrations), leads and
transactions.

- Auth: HTTP Basic with the vendor public key as user and the secret key as password (`public_key_env`,
  `secret_key_env`); production keys, not test keys, for real data.
- Incremental: `min_updated=<cursor ms>` with `order_by=updated_at` (inclusive lower bound, UNSURE: the docs do not
  say whether `min_updated` is inclusive; the connector treats it as inclusive and skips the duplicates, and its
  paging relies on that on every page: were it exclusive, records sharing a page's last millisecond could be missed);
  transactions are append-only and read with `min_created` / `order_by=created_at`, as Airbyte does.
- Paging: every page is requested afresh from the latest cursor value read (`min_updated`/`min_created`), leaving
  out the records already read at that value, until `has_more` is false; `starting_after=<key>` only inside a run of
  more than a page of records sharing one millisecond; `limit` up to 250.
- Records changing mid-sync (tested with `FaultPlan.changes`): an edited or inserted record moves behind the
  watermark and is read later in the same sync or by the next one, so after the next sync the raw data equals the
  programme's state, nothing lost or landed twice. (Not covered: an edit of the record paged after inside a run of
  more than a page of records sharing one millisecond, which skips that run's rest; such runs are not expected with
  millisecond timestamps.)
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
        """Pages ordered by the stream's cursor field, each requested afresh from the latest value read so far
        (`min_updated`/`min_created`, inclusive), leaving out the records already read at exactly that value.

        `starting_after=<key>` pages after a record's current position: when that record is edited while the sync
        pages, it moves to the end and everything between would be skipped. Restarting from the watermark cannot skip
        anything; `starting_after` is used only inside a run of more than a page of records sharing one millisecond."""
        field = STREAMS[stream]
        bound = "min_updated" if field == "updated_at" else "min_created"
        low = int(cursor) if cursor else None
        seen_at_low: set = set()      # keys already read whose cursor field is `low`
        anchor = None
        while True:
            params = {"order_by": field, "limit": self.page}
            if low is not None:
                params[bound] = low
            if anchor is not None:
                params["starting_after"] = anchor
            data = (self.client.get(f"/api/v2/{stream}", params=params).body or {}).get("data") or {}
            items = list(data.get("items") or [])
            fresh = [i for i in items if not (low is not None and i.get(field) is not None and int(i[field]) == low
                                                 and i.get("key") in seen_at_low)]
            marks = [int(i[field]) for i in items if i.get(field) is not None]
            anchor = None
            if marks:
                newest = max(marks)
                at_newest = {i.get("key") for i in items if i.get(field) is not None and int(i[field]) == newest}
                if newest == low:
                    seen_at_low |= at_newest
                else:
                    seen_at_low, low = at_newest, newest
                if len(items) >= self.page and all(m == low for m in marks):   # a whole page at one instant:
                    anchor = items[-1].get("key")                              # page on inside it by key
            yield ([(i.get("key"), _iso(i.get("updated_at") or i.get("created_at")), False, i) for i in fresh],
                   str(low) if low is not None else cursor)
            if not data.get("has_more") or not items:
                return

    def close(self) -> None:
        self.client.close()
