"""Salesforce (REST, SOQL `queryAll`): partner accounts, opportunities and opportunity partners, leads as deal
registrations, Channel Management, MDF, campaigns, tasks and events.

- Auth: OAuth2 client credentials (or a refresh token) at `<login_url>/services/oauth2/token`; queries go to the
  `instance_url` the token response names. The token is fetched again on a 401 and every 15 minutes.
- Incremental: `SystemModstamp >= <cursor>` ordered by `SystemModstamp, Id`, through `queryAll` so deleted records
  arrive with `IsDeleted = true` (landed as deletions). The cursor is the last page's highest `SystemModstamp`; a
  resumed sync refetches that instant's records, which land as duplicates and are skipped.
- Paging: `nextRecordsUrl` until `done`; `Sforce-Query-Options: batchSize` (200..2,000).
- Records changing mid-sync (tested with `FaultPlan.changes`): a query's result is a snapshot (its locator), so an
  edit, insert or deletion made while the sync pages is not in it; it carries a later `SystemModstamp` than the
  cursor, so the next sync reads it. After the next sync the raw data equals the org's state, nothing lost or
  landed twice.
- Throttling: 403 `REQUEST_LIMIT_EXCEEDED` (Salesforce sends no 429 and no Retry-After) is retried with backoff;
  `Sforce-Limit-Info` api-usage stops the sync when 2% of the daily allocation is left.

Fields ending in `__c` are the demo organisation's custom fields for canonical attributes Salesforce has no standard
field for (README, "Sources"); `ChannelProgramLevelName` on Account is an UNSURE fact (prm_apis.md 1.7): the tier is
also derivable from `ChannelProgramMember.LevelId`, which is synced too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pandas as pd
from pydantic import Field

from connectors.base import SourceSettings, pacer_for, resolved_base_url
from connectors.http import Credentials, HttpClient, OAuth2ClientCredentials, RetryPolicy, ThrottleRule
from connectors.http.paging import NextUrl

# stream (sObject) -> (fields besides Id, SystemModstamp, IsDeleted; extra WHERE condition)
STREAMS: dict[str, tuple[str, str | None]] = {
    "Account": ("Name, Website, IsPartner, AccountNumber, Partner_Type__c, Region__c, BillingCountry, "
                "Partner_Onboarded_On__c, Partner_Churned_On__c, Partner_Manager__c, Executive_Sponsor__c, "
                "ChannelProgramLevelName, CreatedDate", "IsPartner = true"),
    "Opportunity": ("Name, AccountId, PartnerAccountId, Attribution__c, CreatedDate, CloseDate, IsClosed, IsWon, "
                    "StageName, Amount, CurrencyIsoCode, Segment__c, Region__c, New_Logo__c, CampaignId, "
                    "Deal_Registration__c, Expected_Close_On__c", None),
    "OpportunityPartner": ("OpportunityId, AccountToId, Role, IsPrimary, CreatedDate", None),
    "Lead": ("Company, PartnerAccountId, CreatedDate, Status, Decided_At__c, Conflict__c, Conflict_Resolved_At__c, "
             "IsConverted, ConvertedOpportunityId, Estimated_Amount__c, CurrencyIsoCode", "PartnerAccountId != null"),
    "Task": ("WhatId, Type, Subject, Status, CompletedDateTime, Initiated_By__c, OwnerId", None),
    "Event": ("WhatId, Type, Subject, ActivityDateTime, Initiated_By__c, OwnerId", None),
    "Campaign": ("Name, Type, Partner_Account__c, Is_Joint__c, StartDate, EndDate", None),
    "ChannelProgram": ("Name, IsActive, Category", None),
    "ChannelProgramLevel": ("Name, ProgramId, Rank", None),
    "ChannelProgramMember": ("Name, ProgramId, PartnerId, LevelId", None),
    "PartnerMarketingBudget": ("Title, Type, Amount, StartDate, EndDate, CurrencyIsoCode", None),
    "PartnerFundAllocation": ("Title, Amount, CurrencyIsoCode, ChannelPartnerId, BudgetId, Period_Start__c, "
                              "Period_End__c", None),
    "PartnerFundRequest": ("Title, ChannelPartnerId, CampaignId, RequestedAmount, Amount, CurrencyIsoCode, Status, "
                           "Submitted_On__c, Decided_On__c", None),
    "PartnerFundClaim": ("Title, RequestId, ChannelPartnerId, Amount, CurrencyIsoCode, Status, Submitted_On__c, "
                         "Paid_On__c", None),
}


class SalesforceSource(SourceSettings):
    """A Salesforce org (Partner Relationship Management / Channel Management enabled)."""

    type: Literal["salesforce"]
    login_url: str = Field(default="https://login.salesforce.com",
                           description="token endpoint host: login., test. or the org's My Domain")
    api_version: str = Field(default="v62.0", pattern=r"^v\d+\.\d$")
    client_id_env: str = Field(description="environment variable with the connected app's consumer key")
    client_secret_env: str = Field(description="environment variable with the connected app's consumer secret")
    refresh_token_env: str | None = Field(default=None, description="optional: use the refresh-token flow")
    streams: tuple[str, ...] = Field(default=tuple(STREAMS), description="sObjects to sync")


def _sf_throttle(status: int, body) -> bool:
    return status == 403 and isinstance(body, list) and any(
        isinstance(e, dict) and e.get("errorCode") == "REQUEST_LIMIT_EXCEEDED" for e in body)


def soql_time(ts) -> str:
    t = pd.Timestamp(ts)
    t = t.tz_convert("UTC") if t.tzinfo else t.tz_localize("UTC")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceConnector:
    source = "salesforce"
    version = "salesforce/1"

    def __init__(self, org_id: str, settings: SalesforceSource, **client_options) -> None:
        self.org_id, self.settings = org_id, settings
        creds = Credentials.from_env(org_id, self.source, {
            "client_id": settings.client_id_env, "client_secret": settings.client_secret_env,
            "refresh_token": settings.refresh_token_env}, optional=("refresh_token",))
        login = resolved_base_url(settings, settings.login_url)
        self.auth = OAuth2ClientCredentials(creds, f"{login}/services/oauth2/token")
        self.client = HttpClient(
            org_id, self.source, self.auth, base_url=login,
            timeout=(settings.connect_timeout, settings.read_timeout),
            retry=RetryPolicy(attempts=settings.max_attempts),
            throttle=ThrottleRule(matches=_sf_throttle, name="REQUEST_LIMIT_EXCEEDED"),
            pacer=pacer_for(settings, None), **client_options)
        self.batch = min(2000, max(200, settings.page_size or 2000))

    def streams(self) -> list[str]:
        return [s for s in self.settings.streams if s in STREAMS]

    def soql(self, stream: str, cursor: str | None) -> str:
        fields, condition = STREAMS[stream]
        where = [c for c in (condition, f"SystemModstamp >= {cursor}" if cursor else None) if c]
        return (f"SELECT Id, SystemModstamp, IsDeleted, {fields} FROM {stream}"
                + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY SystemModstamp ASC, Id ASC")

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        path = f"/services/data/{self.settings.api_version}/queryAll"
        headers = {"Sforce-Query-Options": f"batchSize={self.batch}"}
        for page in NextUrl().pages(self.client, path, params={"q": self.soql(stream, cursor)}, headers=headers):
            versions = [(r.get("Id"), r.get("SystemModstamp"), bool(r.get("IsDeleted")), r) for r in page.records]
            stamps = [v[1] for v in versions if v[1]]
            if stamps:
                cursor = soql_time(max(pd.Timestamp(s) for s in stamps))
            yield versions, cursor

    def close(self) -> None:
        self.client.close()
