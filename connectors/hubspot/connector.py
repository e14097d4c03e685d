"""HubSpot CRM v3 (objects, search) and v4 (associations): partner companies, deals, deal-partner associations,
contacts and engagements (meetings, calls, emails).

- Auth: a private app's access token (`token_env`), or OAuth with a refresh token (`client_id_env`,
  `client_secret_env`, `refresh_token_env`; token at `/oauth/v1/token`). Required scopes: `crm.objects.companies.read`,
  `crm.objects.deals.read`, `crm.objects.contacts.read` (engagements are read with the contacts scope).
- Incremental: search on `hs_lastmodifieddate` (contacts: `lastmodifieddate`) `GTE <cursor ms>`, sorted ascending,
  200 per page. Every page is a new search from the last modification time read (skipping the records already read
  at that millisecond), so the 10,000-result cap of one search is never reached (more than 10,000 records modified in
  the same millisecond cannot be paged and fail clearly), and records changing while the sync pages are not skipped.
- Records changing mid-sync (tested with `FaultPlan.changes`): an edited or inserted record moves behind the
  watermark and is read later in the same sync or by the next one; an archived one arrives as a deletion from the
  archived list (this sync's or the next one's). Nothing is lost or landed twice; after the next sync the raw data
  equals the portal's state (deal-company associations of archived deals are not withdrawn).
- Deletions: archived records come from the list endpoint with `archived=true` on every sync, as deletion versions.
- Partners: companies whose `partner_property` (configurable, default `is_partner`) is `true`; the search filters on
  it, so a company that stops being a partner stops arriving (it is not reported deleted). The cross-system partner
  key is the company property `partner_key_property` (configurable, default `partner_key`): the connector requests
  it and adds its value and name to each company's payload as `_apex: {partner_key, partner_key_property}` (the one
  field not sent by HubSpot), which staging and partner matching read (versions landed before this field existed
  fall back to the `partner_key` property).
- Deal-partner links: v4 batch read of deal -> company associations for the deals changed since the cursor; the
  association label (USER_DEFINED) is the partner's role. Label names are the demo portal's (UNSURE: labels are
  portal-defined). An association has no last-modified time of its own (it carries its deal's), so every changed
  deal brings its associations again; one lands only when its content changed (`content_versioned`).
- Association reconciliation: adding or removing an association is not known to move the deal's
  `hs_lastmodifieddate` (UNSURE: HubSpot does not document it; in the simulator it does not), so the incremental read
  above can miss it, and a removed association never shows up there at all. So at most once per
  `reconcile_associations_every_hours` (24 by default, `null`: never; needs the `deals` stream) the associations of
  every deal landed live are read again (`live_records`, run by `connectors.sync.reconcile`): new or changed ones land
  (stamped with the fetch time), and each landed association no longer served lands as a deletion. Cost: one batch
  read per `ASSOCIATION_BATCH` (100) deals, i.e. ceil(live deals / 100) extra requests per reconciliation. A
  stream's first sync only starts the period.
- Throttling: 429 with `policyName` is retried after `Retry-After` or backoff (DAILY fails at once); list calls are
  paced from `X-HubSpot-RateLimit-*`, search calls (which carry no rate-limit headers) at `search_requests_per_second`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pandas as pd
import re

from pydantic import Field, field_validator, model_validator

from connectors.base import SourceSettings, pacer_at, pacer_for, resolved_base_url
from connectors.http import (Credentials, HttpClient, HttpError, OAuth2ClientCredentials, Pacer, RetryPolicy,
                             StaticHeaderAuth, ThrottleRule)
from connectors.http.paging import AfterCursor

_COMMON = ["hubspot_owner_id"]
# Deals per association batch read in a reconciliation: HubSpot's batch endpoints take 100 inputs (UNSURE for the v4
# association read, whose limit prm_apis.md does not give; 100 is the conservative one).
ASSOCIATION_BATCH = 100
STREAMS: dict[str, tuple[str, list[str]]] = {
    "companies": ("companies", ["name", "domain", "partner_type", "partner_tier", "region", "country",
                                "partner_onboarded_on", "partner_churned_on", "executive_sponsor_owner_id",
                                "createdate", *_COMMON]),
    "deals": ("deals", ["dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate",
                        "createdate", "partner_company_id", "partner_attribution", "segment", "region",
                        "customer_key", "is_new_logo", "campaign_key", "deal_registration_key",
                        "expected_close_date"]),
    "deal_company_associations": ("deals", []),
    "contacts": ("contacts", ["email", "firstname", "lastname", "associatedcompanyid", "createdate"]),
    "meetings": ("meetings", ["hs_timestamp", "hs_activity_type", "partner_company_id", "initiated_by", *_COMMON]),
    "calls": ("calls", ["hs_timestamp", "hs_activity_type", "partner_company_id", "initiated_by", *_COMMON]),
    "emails": ("emails", ["hs_timestamp", "hs_activity_type", "partner_company_id", "initiated_by", *_COMMON]),
}


class HubSpotSource(SourceSettings):
    """A HubSpot portal (CRM)."""

    type: Literal["hubspot"]
    token_env: str | None = Field(default=None, description="environment variable with a private app token")
    client_id_env: str | None = None
    client_secret_env: str | None = None
    refresh_token_env: str | None = None
    partner_property: str = Field(default="is_partner", description="company property that is 'true' on partners")
    partner_key_property: str = Field(default="partner_key", description="company property holding the partner's "
                                                                         "cross-system key (partner matching)")
    search_requests_per_second: float = Field(default=4.0, gt=0, description="search limit: 4-5 per second")
    search_result_cap: int = Field(default=10_000, ge=1, description="results one search can page through "
                                                                     "(HubSpot: 10,000)")
    reconcile_associations_every_hours: float | None = Field(
        default=24, ge=0, description="read the associations of every live deal again at most this often, landing "
                                      "added, changed and removed ones (UNSURE whether an association change moves "
                                      "the deal's last-modified time; none: never). Costs one request per 100 deals")
    streams: tuple[str, ...] = tuple(STREAMS)

    @field_validator("partner_property", "partner_key_property")
    @classmethod
    def _internal_name(cls, value: str, info) -> str:
        # HubSpot property internal names: lower-case letters, digits and underscores, starting with a letter
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value or ""):
            raise ValueError(f"{info.field_name} must be a HubSpot property's internal name (lower-case letters, "
                             f"digits and underscores, starting with a letter), not {value!r}")
        return value

    @model_validator(mode="after")
    def _one_auth(self) -> "HubSpotSource":
        if self.partner_property == self.partner_key_property:
            raise ValueError(f"partner_key_property and partner_property name the same property "
                             f"{self.partner_property!r}: one holds the partner's key, the other is 'true' on partners")
        if not self.token_env and not (self.client_id_env and self.client_secret_env and self.refresh_token_env):
            raise ValueError("set token_env (private app) or client_id_env, client_secret_env and refresh_token_env")
        return self


def _throttle(status: int, body) -> bool:
    return status == 429


def _daily(status: int, body) -> bool:
    return status == 429 and isinstance(body, dict) and body.get("policyName") == "DAILY"


def modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def _ms(text) -> int:
    t = pd.Timestamp(text)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return int(t.value // 1_000_000)


class HubSpotConnector:
    source = "hubspot"
    version = "hubspot/1"
    # Associations carry their deal's last-modified time (they have none of their own): one lands again only when
    # its content changed, not each time its deal changes.
    content_versioned = frozenset({"deal_company_associations"})
    # Only the associations are reconciled (`live_records`): the other streams' deletions come from archived lists.
    reconciled_streams = frozenset({"deal_company_associations"})

    def __init__(self, org_id: str, settings: HubSpotSource, **client_options) -> None:
        self.org_id, self.settings = org_id, settings
        base = resolved_base_url(settings, "https://api.hubapi.com")
        if settings.token_env:
            creds = Credentials.from_env(org_id, self.source, {"token": settings.token_env})
            self.auth = StaticHeaderAuth.bearer(creds)
        else:
            creds = Credentials.from_env(org_id, self.source, {
                "client_id": settings.client_id_env, "client_secret": settings.client_secret_env,
                "refresh_token": settings.refresh_token_env})
            self.auth = OAuth2ClientCredentials(creds, f"{base}/oauth/v1/token", max_age=1800)
        common = dict(base_url=base, timeout=(settings.connect_timeout, settings.read_timeout),
                      retry=RetryPolicy(attempts=settings.max_attempts),
                      throttle=ThrottleRule(matches=_throttle, fatal=_daily, name="HubSpot rate"), **client_options)
        self.client = HttpClient(org_id, self.source, self.auth, pacer=pacer_for(settings, None), **common)
        self.search_client = HttpClient(org_id, self.source, self.auth,
                                         pacer=pacer_at(settings.search_requests_per_second), **common)
        self.page = min(200, settings.page_size or 200)
        self.list_page = min(100, settings.page_size or 100)
        every = settings.reconcile_associations_every_hours
        # the deals to read come from the landed `deals` stream: without it there is nothing to reconcile against
        self.reconcile_every = (None if every is None or "deals" not in self.streams()
                                else pd.Timedelta(hours=every))

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    # -- search, restarted from the last modification time after every page ------------------------------------
    def search(self, object_type: str, properties: list[str], cursor: str | None) -> Iterator[tuple[list, str]]:
        """Records modified at or after `cursor` (ms), ascending, as (page, new cursor).

        Search pages by offset (`after`) over a live result: a record edited or archived while the sync pages moves
        or leaves, and an offset would then skip a record not yet read. So every page is a new search from the
        latest modification time read so far (`GTE last`), skipping only the records already read at exactly that
        millisecond (`after` = their number). A search therefore never nears the 10,000-result cap either, unless
        more than that many records share one millisecond, which cannot be paged and fails clearly."""
        prop = modified_property(object_type)
        low = int(cursor) if cursor else 0
        extra = ([{"propertyName": self.settings.partner_property, "operator": "EQ", "value": "true"}]
                 if object_type == "companies" else [])
        wanted = sorted(set(properties) | {prop} | ({self.settings.partner_property} if extra else set()))
        at_low = 0        # records already read whose modification time is `low`
        while True:
            if at_low + self.page > self.settings.search_result_cap:
                raise HttpError(f"organisation {self.org_id!r}, source 'hubspot': more than "
                                f"{self.settings.search_result_cap} {object_type} modified at the same millisecond; "
                                f"search cannot page them")
            body = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": str(low)},
                                                  *extra]}],
                    "sorts": [{"propertyName": prop, "direction": "ASCENDING"}], "properties": wanted,
                    "limit": self.page}
            if at_low:
                body["after"] = str(at_low)
            response = self.search_client.post(f"/crm/v3/objects/{object_type}/search", json=body)
            records = list((response.body or {}).get("results") or [])
            if records:
                stamps = [_ms(r["properties"].get(prop) or r.get("updatedAt")) for r in records]
                newest = max(stamps)
                at_newest = sum(1 for t in stamps if t == newest)
                at_low = at_low + at_newest if newest == low else at_newest
                low = newest
            yield records, str(low) if (records or cursor) else None
            has_next = bool(((response.body or {}).get("paging") or {}).get("next"))
            if not records or not has_next:
                return

    def archived(self, object_type: str, properties: list[str]) -> Iterator[list]:
        params = {"archived": "true", "properties": ",".join(properties)}
        for page in AfterCursor(self.list_page, "GET").pages(self.client, f"/crm/v3/objects/{object_type}",
                                                             params=params):
            yield page.records

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        object_type, properties = STREAMS[stream]
        prop = modified_property(object_type)
        if stream == "deal_company_associations":
            for records, new_cursor in self.search("deals", [], cursor):
                yield self._associations(records), new_cursor
            return
        if stream == "companies":
            properties = [*properties, self.settings.partner_key_property]
        for records, new_cursor in self.search(object_type, properties, cursor):
            yield [(r["id"], r["properties"].get(prop) or r.get("updatedAt"), False, self._keyed(stream, r))
                   for r in records], new_cursor
        for records in self.archived(object_type, properties):
            yield [(r["id"], r.get("archivedAt") or r.get("updatedAt"), True, self._keyed(stream, r))
                   for r in records], None

    def _keyed(self, stream: str, record: dict) -> dict:
        """A company with its partner key under the name staging reads, whatever the portal's property is called."""
        if stream != "companies":
            return record
        name = self.settings.partner_key_property
        return {**record, "_apex": {"partner_key": (record.get("properties") or {}).get(name),
                                    "partner_key_property": name}}

    def live_records(self, stream: str, landed) -> Iterator[list]:
        """The current associations of every deal landed live (`landed("deals")`), `ASSOCIATION_BATCH` deals per
        batch read, undated (they have no time of their own: `sync` stamps the fetch time and lands only changed
        content). For association reconciliation; other streams are not reconciled."""
        if stream != "deal_company_associations":
            return
        deals = sorted(landed("deals"), key=lambda d: (len(d), d))
        for start in range(0, len(deals), ASSOCIATION_BATCH):
            yield self._read_associations({d: None for d in deals[start:start + ASSOCIATION_BATCH]})

    def _associations(self, deals: list[dict]) -> list:
        if not deals:
            return []
        return self._read_associations({d["id"]: d["properties"].get("hs_lastmodifieddate") or d.get("updatedAt")
                                        for d in deals})

    def _read_associations(self, modified: dict) -> list:
        """Versions of the associations of the deals in `modified` (deal id -> the time each version carries)."""
        response = self.client.post("/crm/v4/associations/deals/companies/batch/read",
                                    json={"inputs": [{"id": d} for d in modified]})
        versions = []
        for result in (response.body or {}).get("results", []):
            deal = str(result["from"]["id"])
            for to in result.get("to", []):
                labels = [t.get("label") for t in to.get("associationTypes", []) if t.get("label")]
                payload = {"dealId": deal, "companyId": str(to["toObjectId"]), "labels": labels,
                           "label": labels[0] if labels else None, "addedOn": to.get("addedOn")}
                versions.append((f"{deal}-{to['toObjectId']}", modified.get(deal), False, payload))
        return versions

    def close(self) -> None:
        self.client.close()
        self.search_client.close()
