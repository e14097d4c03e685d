"""A sandbox organisation's canonical records rendered as each system's native objects.

Input: the current version of every record at the simulator's clock (`current_state`). Output per system: object name
-> list of native records, each with the internals `_id`, `_updated` (UTC `pd.Timestamp`) and `_deleted`, which the
server turns into the system's own id, last-modified and deletion fields.

Where a canonical field has no standard field in the system, the demo organisation keeps it in a custom field
(Salesforce `*__c`, HubSpot custom properties, Impartner `*__cf`): the staging SQL of each source reads exactly these
names, listed in README ("Sources"). Ids are the system's own shape (Salesforce 18-character ids, HubSpot numeric
strings, Impartner integers), derived deterministically from the sandbox ids so references stay consistent. The
sandbox partner id is each partner's cross-system key (Salesforce `AccountNumber`, HubSpot `partner_key`, PartnerStack
`partner_key`, Impartner `partnerKey__cf`), which partner matching uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def current_state(streams: dict[str, pd.DataFrame], clock: pd.Timestamp) -> dict[str, list[tuple]]:
    """Per stream, (source_id, updated_at, is_deleted, payload) of each record's latest version before `clock`."""
    out = {}
    for name, versions in streams.items():
        updated = pd.to_datetime(versions["source_updated_at"], utc=True)
        visible = versions[(updated < clock).to_numpy()]
        latest = visible.assign(_u=updated[(updated < clock).to_numpy()]).drop_duplicates("source_id", keep="last")
        out[name] = list(zip(latest["source_id"], latest["_u"], latest["is_deleted"].astype(bool), latest["payload"]))
    return out


def sf_id(prefix: str, key: str | None) -> str | None:
    """A stable 18-character Salesforce-shaped id for a sandbox id (None stays None)."""
    if key is None:
        return None
    n = int.from_bytes(hashlib.sha1(f"{prefix}:{key}".encode()).digest()[:10], "big")
    chars = []
    for _ in range(12):
        n, r = divmod(n, 62)
        chars.append(_B62[r])
    return prefix + "".join(chars) + "AAA"


def num_id(key: str | None, digits: int = 11) -> str | None:
    """A stable numeric-string id (HubSpot object ids)."""
    if key is None:
        return None
    n = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big")
    return str(10 ** (digits - 1) + n % (9 * 10 ** (digits - 1)))


def picklist(value: str | None) -> str | None:
    """`co_marketing` -> `Co Marketing` (how picklist values read in a UI); staging lower-cases them back."""
    return None if value is None else value.replace("_", " ").title()


def sf_time(ts) -> str | None:
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    t = t.tz_convert("UTC") if t.tzinfo else t
    return t.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _day_time(day: str | None) -> str | None:
    return None if day is None else f"{day}T00:00:00.000+0000"


def _iso_to_sf(text: str | None) -> str | None:
    return None if text is None else sf_time(pd.Timestamp(text))


def _rec(obj_id, updated, deleted, **fields) -> dict:
    return {"_id": obj_id, "_updated": updated, "_deleted": bool(deleted), **fields}


TIERS = ("registered", "silver", "gold", "platinum")


# ---------------------------------------------------------------------------------------------------- Salesforce
def salesforce(state: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    acc = lambda p: sf_id("001", p)  # noqa: E731 - partner and customer accounts
    user = lambda u: sf_id("005", u)  # noqa: E731
    out: dict[str, list[dict]] = {k: [] for k in (
        "Account", "Opportunity", "OpportunityPartner", "Lead", "Task", "Event", "Campaign", "ChannelProgram",
        "ChannelProgramLevel", "ChannelProgramMember", "PartnerMarketingBudget", "PartnerFundAllocation",
        "PartnerFundRequest", "PartnerFundClaim")}
    program = sf_id("0Zj", "programme")
    first = min((u for rows in state.values() for _, u, _, _ in rows), default=pd.Timestamp("2025-01-01", tz="UTC"))
    out["ChannelProgram"].append(_rec(program, first, False, Name="Partner Programme", IsActive=True,
                                      Category="Reseller"))
    for rank, tier in enumerate(TIERS, start=1):
        out["ChannelProgramLevel"].append(_rec(sf_id("0Zi", tier), first, False, Name=tier.title(),
                                               ProgramId=program, Rank=rank))
    for sid, u, d, p in state.get("partners", []):
        out["Account"].append(_rec(
            acc(p["partner_id"]), u, d, Name=p["name"], Website=p["domain"], IsPartner=True,
            AccountNumber=p["partner_id"], Partner_Type__c=picklist(p["partner_type"]), Region__c=p["region"],
            BillingCountry=p["country"], Partner_Onboarded_On__c=p["onboarded_on"],
            Partner_Churned_On__c=p["churned_on"], Partner_Manager__c=user(p["owner_id"]),
            Executive_Sponsor__c=user(p["exec_sponsor_id"]),
            ChannelProgramLevelName=picklist(p["tier"]), CreatedDate=_day_time(p["onboarded_on"])))
        if p["tier"]:
            out["ChannelProgramMember"].append(_rec(
                sf_id("0Zk", p["partner_id"]), u, d, Name=f"CPM-{p['partner_id']}", ProgramId=program,
                PartnerId=acc(p["partner_id"]), LevelId=sf_id("0Zi", p["tier"])))
    for sid, u, d, p in state.get("opportunities", []):
        closed = p["status"] in ("won", "lost")
        out["Opportunity"].append(_rec(
            sf_id("006", p["opportunity_id"]), u, d, Name=f"Opportunity {p['opportunity_id']}",
            AccountId=acc(p["customer_id"]), PartnerAccountId=acc(p["partner_id"]), Attribution__c=p["attribution"],
            CreatedDate=_day_time(p["created_on"]), CloseDate=p["closed_on"] if closed else p["expected_close_on"],
            IsClosed=closed, IsWon=p["status"] == "won",
            StageName={"won": "Closed Won", "lost": "Closed Lost"}.get(p["status"], "Prospecting"),
            Amount=p["amount"], CurrencyIsoCode=p["currency"], Segment__c=p["segment"], Region__c=p["region"],
            New_Logo__c=p["is_new_logo"], CampaignId=sf_id("701", p["campaign_id"]),
            Deal_Registration__c=sf_id("00Q", p["registration_id"]), Expected_Close_On__c=p["expected_close_on"]))
    for sid, u, d, p in state.get("opportunity_partners", []):
        out["OpportunityPartner"].append(_rec(
            sf_id("00I", sid), u, d, OpportunityId=sf_id("006", p["opportunity_id"]),
            AccountToId=acc(p["partner_id"]), Role=picklist(p["role"]), IsPrimary=p["role"] == "sourced",
            CreatedDate=_day_time(p["added_on"])))
    for sid, u, d, p in state.get("deal_registrations", []):
        out["Lead"].append(_rec(
            sf_id("00Q", p["registration_id"]), u, d, Company=f"Registration {p['registration_id']}",
            PartnerAccountId=acc(p["partner_id"]), CreatedDate=_iso_to_sf(p["submitted_at"]),
            Status=picklist(p["status"]), Decided_At__c=_iso_to_sf(p["decided_at"]), Conflict__c=p["conflict"],
            Conflict_Resolved_At__c=_iso_to_sf(p["conflict_resolved_at"]),
            IsConverted=p["opportunity_id"] is not None, ConvertedOpportunityId=sf_id("006", p["opportunity_id"]),
            Estimated_Amount__c=p["estimated_amount"], CurrencyIsoCode=p["currency"]))
    for sid, u, d, p in state.get("activities", []):
        is_event = p["activity_type"] in ("meeting", "exec_meeting", "qbr", "joint_planning")
        fields = dict(WhatId=acc(p["partner_id"]), Type=picklist(p["activity_type"]),
                      Initiated_By__c=p["initiated_by"], OwnerId=user(p["owner_id"]),
                      Subject=picklist(p["activity_type"]))
        if is_event:
            out["Event"].append(_rec(sf_id("00U", p["activity_id"]), u, d,
                                     ActivityDateTime=_iso_to_sf(p["occurred_at"]), **fields))
        else:
            out["Task"].append(_rec(sf_id("00T", p["activity_id"]), u, d,
                                    CompletedDateTime=_iso_to_sf(p["occurred_at"]), Status="Completed", **fields))
    for sid, u, d, p in state.get("campaigns", []):
        out["Campaign"].append(_rec(
            sf_id("701", p["campaign_id"]), u, d, Name=f"Campaign {p['campaign_id']}",
            Type=picklist(p["campaign_type"]), Partner_Account__c=acc(p["partner_id"]), Is_Joint__c=p["is_joint"],
            StartDate=p["start_on"], EndDate=p["end_on"]))
    budgets: dict[str, list] = {}
    for sid, u, d, p in state.get("mdf_allocations", []):
        year = (p["period_start"] or "2025")[:4]
        budgets.setdefault(year, []).append((u, p))
        out["PartnerFundAllocation"].append(_rec(
            sf_id("0Hg", p["allocation_id"]), u, d, Title=f"Allocation {p['allocation_id']}", Amount=p["amount"],
            CurrencyIsoCode=p["currency"], ChannelPartnerId=acc(p["partner_id"]), BudgetId=sf_id("0ZT", year),
            Period_Start__c=p["period_start"], Period_End__c=p["period_end"]))
    for year, rows in sorted(budgets.items()):
        out["PartnerMarketingBudget"].append(_rec(
            sf_id("0ZT", year), max(u for u, _ in rows), False, Title=f"MDF {year}", Type="Marketing Funds",
            Amount=round(sum(p["amount"] or 0 for _, p in rows), 2), StartDate=f"{year}-01-01",
            EndDate=f"{year}-12-31", CurrencyIsoCode="EUR"))
    for sid, u, d, p in state.get("mdf_requests", []):
        out["PartnerFundRequest"].append(_rec(
            sf_id("0Hh", p["request_id"]), u, d, Title=f"Request {p['request_id']}",
            ChannelPartnerId=acc(p["partner_id"]), CampaignId=sf_id("701", p["campaign_id"]),
            RequestedAmount=p["amount"], Amount=p["amount"] if p["status"] == "approved" else None,
            CurrencyIsoCode=p["currency"], Status=picklist(p["status"]), Submitted_On__c=p["submitted_on"],
            Decided_On__c=p["decided_on"]))
    for sid, u, d, p in state.get("mdf_claims", []):
        out["PartnerFundClaim"].append(_rec(
            sf_id("0Hi", p["claim_id"]), u, d, Title=f"Claim {p['claim_id']}",
            RequestId=sf_id("0Hh", p["request_id"]), ChannelPartnerId=acc(p["partner_id"]), Amount=p["amount"],
            CurrencyIsoCode=p["currency"], Status=picklist(p["status"]), Submitted_On__c=p["submitted_on"],
            Paid_On__c=p["paid_on"]))
    return out


def ordered(records: Iterable[dict]) -> list[dict]:
    """Records in last-modified order, ties by id (how the systems page through an incremental query)."""
    return sorted(records, key=lambda r: (r["_updated"], str(r["_id"])))
