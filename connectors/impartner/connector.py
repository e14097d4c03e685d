"""Impartner PRM objects API v1: partner accounts, tiers, deal registrations, MDF requests and claims.

Everything here rests on third-party connector code (prm_apis.md section 4, medium confidence); the UNSURE parts:
- the filter's time zone: `updated >= 'yyyy-MM-dd HH:mm:ss'` is written in the tenant's time zone
  (`tenant_timezone`), as Syncari does;
- the maximum `take` (`page_size`, 100 by default; the simulator allows 500);
- whether `X-PRM-TenantId` is needed (sent when `tenant_id_env` is set);
- deletions: the API documents `DELETE /api/objects/v1/{entity}/{id}` but no deleted flag, recycle bin or deleted-
  records endpoint in any source we have, so the connector assumes a deleted record simply stops being served. It
  finds deletions by id reconciliation: at most once per `reconcile_deletions_every_hours` (24 by default; none to
  switch it off) it lists every id the tenant still serves (`fields=Id`, keyset on `id > <last>`, so deletions
  while it lists cannot shift an id out of a page) and `connectors.sync.reconcile` lands a deletion for each id
  landed live that is no longer served (stamped with the fetch time: the deletion's real time is unknown). Costs one
  request per `page_size` ids of the stream; a stream's first (full) sync only starts the period. If Impartner instead hides deleted records behind a flag, the ids are
  still not served and the same holds; if it keeps serving them marked inactive, they are not deletions here;
- rate limits: unknown; 429 is retried and `requests_per_second` paces when set.

Auth: `Authorization: prm-key <api key>` (`api_key_env`). Incremental on `Updated`, ordered `updated asc, id asc`.
Paging: every page is a new query from the last `updated` read (`skip=0`, see `fetch`), so a record edited or
deleted while the sync pages moves behind the watermark or leaves instead of shifting an offset and making another
record be skipped; `updated = ... and id > ...` walks more records than a page sharing one second.

Records changing mid-sync (tested with `FaultPlan.changes`): edits and inserts are read later in the same sync or by
the next one (its cursor is the last instant read, inclusive); a deletion is found by the next reconciliation; after
the next sync that reconciles, the raw data equals the tenant's state, nothing lost or landed twice.

The demo portal's custom fields (`*__cf`) carry the partner key and the canonical
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
    reconcile_deletions_every_hours: float | None = Field(
        default=24, ge=0, description="find deletions by listing the ids still served at most this often (UNSURE "
                                      "how the API shows deletions; none: never)")
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
        every = settings.reconcile_deletions_every_hours
        self.reconcile_every = None if every is None else pd.Timedelta(hours=every)

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    def _local(self, ts: pd.Timestamp) -> str:
        return ts.tz_convert(self.settings.tenant_timezone).strftime("%Y-%m-%d %H:%M:%S")

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        """Changes since `cursor` (the last `updated` read, whole seconds, inclusive), oldest first.

        No offsets: each page is a new query from the watermark, `updated >= <last updated read>` ordered
        `updated asc, id asc` (`skip=0`), leaving out the records already read at exactly that second. A page wholly at
        one second (more records share it than a page holds) continues by id inside that second (`updated = <it>
        and id > <last id>`), then past it (`updated > <it>`). An offset would shift when a record read earlier is
        edited or deleted meanwhile and skip one not yet read; a watermark and ids cannot."""
        low = pd.Timestamp(cursor) if cursor else None
        seen_at_low: set[str] = set()   # ids already read whose `updated` is `low`
        tie_after: int | None = None    # walking the records at `low` by id
        past_low = False                # the records at `low` are all read: continue strictly after it
        remaining = None                # records the last watermark query matched and not yet read (its `count`)
        while True:
            order = "updated asc, id asc"
            if low is None:
                condition = None
            elif tie_after is not None:
                condition, order = f"updated = '{self._local(low)}' and id > {tie_after}", "id asc"
            else:
                condition = f"updated {'>' if past_low else '>='} '{self._local(low)}'"
            params = {"orderby": order, "skip": 0, "take": self.take}
            if condition:
                params["filter"] = condition
            response = self.client.get(f"/api/objects/v1/{stream}", params=params)
            data = (response.body or {}).get("data") or {}
            results = list(data.get("results") or [])
            stamped = [(r, pd.Timestamp(r["updated"]).tz_convert("UTC").floor("s") if r.get("updated") else None)
                       for r in results]
            fresh = [r for r, t in stamped if not (t is not None and t == low and str(r.get("id")) in seen_at_low)]
            versions = [(None if r.get("id") is None else str(r["id"]), r.get("updated"), False, r) for r in fresh]
            stamps = [t for _, t in stamped if t is not None]
            full = len(results) >= self.take
            if tie_after is not None:
                ids = [int(r["id"]) for r in results if r.get("id") is not None]
                seen_at_low.update(str(i) for i in ids)
                tie_after = max(ids) if (full and ids) else None
                past_low = tie_after is None
                remaining = None if remaining is None else remaining - len(results)
                yield versions, low.isoformat()
                if remaining is not None and remaining <= 0:   # the last watermark query's records are all read
                    return
                continue
            remaining = int(data["count"]) - len(results) if data.get("count") is not None else None
            if stamps:
                newest = max(stamps)
                at_newest = {str(r.get("id")) for r, t in stamped if t == newest}
                if newest == low:
                    seen_at_low |= at_newest
                else:
                    seen_at_low, low, past_low = at_newest, newest, False
                if full and all(t == low for t in stamps):    # a whole page at one second: walk it by id
                    ids = [int(r["id"]) for r in results if r.get("id") is not None]
                    tie_after = max(ids) if ids else None
            yield versions, low.isoformat() if low is not None else None
            if not full or not stamps or (remaining is not None and remaining <= 0):
                return

    def live_ids(self, stream: str) -> Iterator[list[str]]:
        """Every id the tenant serves for `stream`, a page at a time, keyset on `id` (for id reconciliation)."""
        last = None
        while True:
            params = {"fields": "Id", "orderby": "id asc", "take": self.take}
            if last is not None:
                params["filter"] = f"id > {last}"
            response = self.client.get(f"/api/objects/v1/{stream}", params=params)
            results = list((((response.body or {}).get("data") or {}).get("results")) or [])
            ids = [r["id"] for r in results if r.get("id") is not None]
            yield [str(i) for i in ids]
            if len(results) < self.take or not ids:
                return
            last = max(int(i) for i in ids)

    def close(self) -> None:
        self.client.close()
