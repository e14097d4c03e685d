"""HubSpot CRM v3 (objects, search) and v4 (associations): partner companies, deals, deal-partner associations,
contacts and engagements (meetings, calls, emails).

- Auth: a private app's access token (`token_env`), or OAuth with a refresh token (`client_id_env`,
  `client_secret_env`, `refresh_token_env`; token at `/oauth/v1/token`). Required scopes: `crm.objects.companies.read`,
  `crm.objects.deals.read`, `crm.objects.contacts.read` (engagements are read with the contacts scope).
- Incremental: search on `hs_lastmodifieddate` (contacts: `lastmodifieddate`) `GTE <cursor ms>`, sorted ascending,
  200 per page. A search stops at 10,000 results (HTTP 400 beyond): before reaching it the connector starts a new
  search from the last modification time it saw, so any number of changes is read in windows of under 10,000.
  (More than 10,000 records modified in the same millisecond cannot be paged and fail clearly.)
- Deletions: archived records come from the list endpoint with `archived=true` on every sync, as deletion versions.
- Partners: companies whose `partner_property` (configurable, default `is_partner`) is `true`; the search filters on
  it, so a company that stops being a partner stops arriving (it is not reported deleted).
- Deal-partner links: v4 batch read of deal -> company associations for the deals changed since the cursor; the
  association label (USER_DEFINED) is the partner's role. Label names are the demo portal's (UNSURE: labels are
  portal-defined). An association has no last-modified time of its own (it carries its deal's), so every changed
  deal brings its associations again; one lands only when its content changed (`content_versioned`).
- Throttling: 429 with `policyName` is retried after `Retry-After` or backoff (DAILY fails at once); list calls are
  paced from `X-HubSpot-RateLimit-*`, search calls (which carry no rate-limit headers) at `search_requests_per_second`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from connectors.base import SourceSettings, pacer_at, pacer_for, resolved_base_url
from connectors.http import (Credentials, HttpClient, HttpError, OAuth2ClientCredentials, Pacer, RetryPolicy,
                             StaticHeaderAuth, ThrottleRule)
from connectors.http.paging import AfterCursor

_COMMON = ["hubspot_owner_id"]
STREAMS: dict[str, tuple[str, list[str]]] = {
    "companies": ("companies", ["name", "domain", "partner_key", "partner_type", "partner_tier", "region", "country",
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
    search_requests_per_second: float = Field(default=4.0, gt=0, description="search limit: 4-5 per second")
    search_result_cap: int = Field(default=10_000, ge=1, description="results one search can page through "
                                                                     "(HubSpot: 10,000)")
    streams: tuple[str, ...] = tuple(STREAMS)

    @model_validator(mode="after")
    def _one_auth(self) -> "HubSpotSource":
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

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    # -- search in windows under the 10,000 cap ----------------------------------------------------------------
    def search(self, object_type: str, properties: list[str], cursor: str | None) -> Iterator[tuple[list, str]]:
        prop = modified_property(object_type)
        low = int(cursor) if cursor else 0
        extra = ([{"propertyName": self.settings.partner_property, "operator": "EQ", "value": "true"}]
                 if object_type == "companies" else [])
        wanted = sorted(set(properties) | {prop} | ({self.settings.partner_property} if extra else set()))
        while True:
            body = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": str(low)},
                                                  *extra]}],
                    "sorts": [{"propertyName": prop, "direction": "ASCENDING"}], "properties": wanted}
            seen, last = 0, low
            restarted = False
            for page in AfterCursor(self.page, "POST").pages(self.search_client,
                                                            f"/crm/v3/objects/{object_type}/search", body=body):
                records = page.records
                seen += len(records)
                if records:
                    last = max(last, max(_ms(r["properties"].get(prop) or r.get("updatedAt")) for r in records))
                yield records, str(last) if records else (str(low) if cursor else None)
                has_next = bool(((page.response.body or {}).get("paging") or {}).get("next"))
                if has_next and seen + self.page > self.settings.search_result_cap:
                    if last == low:
                        raise HttpError(f"organisation {self.org_id!r}, source 'hubspot': more than "
                                        f"{self.settings.search_result_cap} "
                                        f"{object_type} modified at the same millisecond; search cannot page them")
                    low, restarted = last, True
                    break
            if not restarted:
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
        for records, new_cursor in self.search(object_type, properties, cursor):
            yield [(r["id"], r["properties"].get(prop) or r.get("updatedAt"), False, r) for r in records], new_cursor
        for records in self.archived(object_type, properties):
            yield [(r["id"], r.get("archivedAt") or r.get("updatedAt"), True, r) for r in records], None

    def _associations(self, deals: list[dict]) -> list:
        if not deals:
            return []
        modified = {d["id"]: d["properties"].get("hs_lastmodifieddate") or d.get("updatedAt") for d in deals}
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
