"""Crossbeam Partner API: the partner organisations you share data with, and account overlaps with them.

- Auth: OAuth2 client credentials at `token_url` (Auth0, audience `https://api.getcrossbeam.com`), bearer token plus
  the `Xbeam-Organization` header (`organization_env`). Scopes: `read:partners read:reports`.
- partners: full refresh every sync, page style (`limit`, `page`, `next_href`), 100 per page (the page-style
  maximum is not published; 1,000 is documented for the cursor-style lists only). The partner list offers no change
  tracking: no bookmark, no updated-since filter and no last-modified time on a partner (prm_apis.md 5.2-5.4, from
  Crossbeam's Postman collection; UNSURE whether an undocumented filter exists), so every sync reads it whole and a
  partner lands again only when its content changed (see `connectors.sync`).
- overlaps (`/v1/overlaps/accounts`): cursor style; the cursor stored after each committed page is that page's
  `next_href`, so a resumed sync continues where it stopped, and after a full run it is the bookmark that returns only
  overlaps new, changed or deleted since (`is_deleted` lands as a deletion). The query parameters are never changed
  between runs, since that invalidates the bookmark. An overlap's id is (`crossbeam_record_id`,
  `partner_crossbeam_record_id`).
- Records changing mid-sync (tested with `FaultPlan.changes`): overlaps edited, added or deleted while a run pages
  are returned by the next run's bookmark, provided the bookmark covers changes since the run began and a cursor
  continues after the last record served (how the simulator behaves; UNSURE for the real API, whose docs say only
  that the bookmark returns changes since). Partners are a full refresh: one added mid-sync may be read only by the
  next sync, and a partner's deletion is never seen (it keeps its last version).
- Canonical use: partners are matched to the organisation's partners by domain, then name (partner_matches);
  overlaps land in `stg_crossbeam__account_overlaps` for the account-mapping view (no signal reads them yet).
- UNSURE (prm_apis.md 5): rate limits are unpublished (429 retried, `requests_per_second` paces when set); error
  bodies are unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from connectors.base import SourceSettings, pacer_for, resolved_base_url
from connectors.http import Credentials, HttpClient, OAuth2ClientCredentials, RetryPolicy, ThrottleRule
from connectors.http.paging import NextHref

STREAMS = ("partners", "overlaps")


class CrossbeamSource(SourceSettings):
    """A Crossbeam organization (account mapping)."""

    type: Literal["crossbeam"]
    client_id_env: str
    client_secret_env: str
    organization_env: str = Field(description="environment variable with the organization uuid")
    token_url: str | None = Field(default=None, description="https://auth.crossbeam.com/oauth/token by default")
    streams: tuple[str, ...] = STREAMS


class CrossbeamConnector:
    source = "crossbeam"
    version = "crossbeam/1"

    def __init__(self, org_id: str, settings: CrossbeamSource, **client_options) -> None:
        self.org_id, self.settings = org_id, settings
        creds = Credentials.from_env(org_id, self.source, {"client_id": settings.client_id_env,
                                                            "client_secret": settings.client_secret_env,
                                                            "organization": settings.organization_env})
        base = resolved_base_url(settings, "https://api.crossbeam.com")
        token_url = settings.token_url or ("https://auth.crossbeam.com/oauth/token" if not settings.base_url_env
                                           and not settings.base_url else f"{base}/oauth/token")
        auth = OAuth2ClientCredentials(creds, token_url, extra_form={"audience": "https://api.getcrossbeam.com"},
                                       max_age=3600)
        self.client = HttpClient(
            org_id, self.source, auth, base_url=base, headers={"Xbeam-Organization": creds["organization"]},
            timeout=(settings.connect_timeout, settings.read_timeout), retry=RetryPolicy(attempts=settings.max_attempts),
            throttle=ThrottleRule(name="HTTP 429"), pacer=pacer_for(settings, None), **client_options)
        self.limit = min(1000, settings.page_size or 1000)

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        if stream == "partners":
            for page in NextHref(min(self.limit, 100)).pages(self.client, "/v1/partners", params={"page": 1}):
                yield [(r.get("uuid"), None, False, r) for r in page.records], None
            return
        start = cursor or "/v1/overlaps/accounts"
        params = None if cursor else {}
        for page in NextHref(self.limit).pages(self.client, start, params=params):
            versions = [(f"{r.get('crossbeam_record_id')}:{r.get('partner_crossbeam_record_id')}", None,
                         bool(r.get("is_deleted")), r) for r in page.records]
            href = ((page.response.body or {}).get("pagination") or {}).get("next_href")
            yield versions, href or cursor

    def close(self) -> None:
        self.client.close()
