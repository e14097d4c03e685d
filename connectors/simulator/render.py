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


# ---------------------------------------------------------------------------------------------------- HubSpot
def ms(ts) -> int | None:
    """Epoch milliseconds of a timestamp or ISO date/time text (None stays None)."""
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return int(t.value // 1_000_000)


def hs_time(ts) -> str | None:
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _s(value) -> str | None:
    """HubSpot property values are strings (numbers, booleans and dates included)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def hs_company(pid: str | None) -> str | None:
    return num_id(f"company:{pid}") if pid else None


def hs_owner(uid: str | None) -> str | None:
    return num_id(f"owner:{uid}", 8) if uid else None


_MEETINGS = ("meeting", "exec_meeting", "qbr", "joint_planning", "scorecard_review")


def hubspot(state: dict[str, list[tuple]], partner_property: str = "is_partner",
            partner_key_property: str = "partner_key") -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {k: [] for k in ("companies", "deals", "contacts", "meetings", "calls", "emails",
                                                  "deal_company_associations")}

    def obj(oid, u, d, created, props):
        return _rec(oid, u, d, createdAt=hs_time(created), properties={k: _s(v) for k, v in props.items()})

    for sid, u, d, p in state.get("partners", []):
        out["companies"].append(obj(hs_company(p["partner_id"]), u, d, p["onboarded_on"], {
            "name": p["name"], "domain": p["domain"], partner_property: True, partner_key_property: p["partner_id"],
            "partner_type": p["partner_type"], "partner_tier": p["tier"], "region": p["region"],
            "country": p["country"], "partner_onboarded_on": p["onboarded_on"],
            "partner_churned_on": p["churned_on"], "hubspot_owner_id": hs_owner(p["owner_id"]),
            "executive_sponsor_owner_id": hs_owner(p["exec_sponsor_id"]),
            "createdate": hs_time(p["onboarded_on"])}))
    for sid, u, d, p in state.get("opportunities", []):
        closed = p["status"] in ("won", "lost")
        out["deals"].append(obj(num_id(f"deal:{p['opportunity_id']}"), u, d, p["created_on"], {
            "dealname": f"Deal {p['opportunity_id']}", "amount": p["amount"], "deal_currency_code": p["currency"],
            "dealstage": {"won": "closedwon", "lost": "closedlost"}.get(p["status"], "appointmentscheduled"),
            "pipeline": "default", "closedate": hs_time(p["closed_on"] if closed else p["expected_close_on"]),
            "createdate": hs_time(p["created_on"]), "partner_company_id": hs_company(p["partner_id"]),
            "partner_attribution": p["attribution"], "segment": p["segment"], "region": p["region"],
            "customer_key": p["customer_id"], "is_new_logo": p["is_new_logo"],
            "campaign_key": p["campaign_id"], "deal_registration_key": ps_key("deal", p["registration_id"]),
            "expected_close_date": p["expected_close_on"]}))
    for sid, u, d, p in state.get("opportunity_partners", []):
        deal, company = num_id(f"deal:{p['opportunity_id']}"), hs_company(p["partner_id"])
        out["deal_company_associations"].append(_rec(f"{deal}-{company}", u, d, fromObjectId=deal,
                                                     toObjectId=int(company), label=picklist(p["role"]),
                                                     addedOn=p["added_on"]))
    users: dict[str, tuple] = {}
    for sid, u, d, p in state.get("portal_logins", []):
        if p["user_id"] not in users or users[p["user_id"]][0] < u:
            users[p["user_id"]] = (u, p["partner_id"])
    for uid, (u, pid) in users.items():
        out["contacts"].append(obj(num_id(f"contact:{uid}"), u, False, u, {
            "email": f"{uid.lower()}@partner.example", "firstname": "Partner", "lastname": uid,
            "associatedcompanyid": hs_company(pid), "createdate": hs_time(u)}))
    for sid, u, d, p in state.get("activities", []):
        kind = "meetings" if p["activity_type"] in _MEETINGS else ("calls" if p["activity_type"] == "call"
                                                                   else "emails")
        out[kind].append(obj(num_id(f"{kind}:{p['activity_id']}"), u, d, p["occurred_at"], {
            "hs_timestamp": hs_time(p["occurred_at"]), "hs_activity_type": picklist(p["activity_type"]),
            "hubspot_owner_id": hs_owner(p["owner_id"]), "partner_company_id": hs_company(p["partner_id"]),
            "initiated_by": p["initiated_by"]}))
    return out


# ---------------------------------------------------------------------------------------------------- PartnerStack
def ps_key(kind: str, key: str | None) -> str | None:
    if key is None:
        return None
    return f"{kind}_" + hashlib.sha1(f"{kind}:{key}".encode()).hexdigest()[:14]


def partnerstack(state: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {k: [] for k in ("partnerships", "groups", "customers", "deals", "leads",
                                                  "transactions")}
    first = min((u for rows in state.values() for _, u, _, _ in rows), default=pd.Timestamp("2025-01-01", tz="UTC"))

    def group(tier):
        if tier is None:
            return None
        return {"key": ps_key("grp", tier), "name": tier.title(), "slug": tier, "default": tier == "registered",
                "archived": False, "features": {}, "created_at": ms(first), "updated_at": ms(first)}

    for tier in TIERS:
        g = group(tier)
        out["groups"].append(_rec(g["key"], first, False, **{k: v for k, v in g.items() if k != "key"}))
    for sid, u, d, p in state.get("partners", []):
        out["partnerships"].append(_rec(
            ps_key("part", p["partner_id"]), u, d, created_at=ms(p["onboarded_on"]), joined_at=ms(p["onboarded_on"]),
            email=f"partners@{p['domain'] or 'unknown.example'}", first_name="Partner", last_name=p["name"],
            partner_key=p["partner_id"], group=group(p["tier"]),
            team={"key": ps_key("team", p["partner_id"]), "name": p["name"], "created_at": ms(p["onboarded_on"]),
                  "updated_at": ms(p["onboarded_on"])},
            manager={}, m_data={"region": p["region"], "country": p["country"], "partner_type": p["partner_type"],
                                "churned_on": p["churned_on"], "website": p["domain"]},
            stats={}, tags=[t for t in (p["region"], p["partner_type"]) if t]))
    for sid, u, d, p in state.get("deal_registrations", []):
        out["deals"].append(_rec(
            ps_key("deal", p["registration_id"]), u, d, created_at=ms(p["submitted_at"]),
            account_name=f"Registration {p['registration_id']}", amount=p["estimated_amount"], close_date=None,
            contact_first_name=None, contact_last_name=None,
            external_key=num_id(f"deal:{p['opportunity_id']}") if p["opportunity_id"] else None, fields=[],
            group_key=None, mold_key="deal_registration", partner_key=p["partner_id"], lost_reason=None,
            stage=p["status"], source="partner", team=None, team_member=None,
            meta={"decided_at": ms(p["decided_at"]), "conflict": p["conflict"],
                  "conflict_resolved_at": ms(p["conflict_resolved_at"]), "currency": p["currency"]}))
    customers: dict[str, tuple] = {}
    for sid, u, d, p in state.get("opportunities", []):
        if p["partner_id"] and p["attribution"] == "influenced":
            out["leads"].append(_rec(
                ps_key("lead", p["opportunity_id"]), u, d, created_at=ms(p["created_on"]),
                amount=None if p["amount"] is None else int(round(p["amount"] * 100)), approved=True,
                external_key=f"{(p['customer_id'] or 'lead').lower()}@customer.example", fields=[], group_key=None,
                mold_key="lead", partner_key=p["partner_id"],
                status={"won": "closed won", "lost": "closed lost"}.get(p["status"], "open")))
        if p["partner_id"] and p["status"] == "won":
            out["transactions"].append(_rec(
                ps_key("txn", p["opportunity_id"]), u, d, created_at=ms(p["closed_on"]),
                amount=None if p["amount"] is None else int(round(p["amount"] * 100)), currency=p["currency"],
                approved=True, archived=False, customer_key=p["customer_id"], product_key=None,
                partnership_key=ps_key("part", p["partner_id"]), test=False))
            if p["customer_id"] and p["customer_id"] not in customers:
                customers[p["customer_id"]] = (u, p)
    for cid, (u, p) in customers.items():
        out["customers"].append(_rec(
            ps_key("cust", cid), u, False, created_at=ms(p["closed_on"]), customer_key=cid,
            email=f"{cid.lower()}@customer.example", name=f"Customer {cid}", partner_key=p["partner_id"],
            partnership_key=ps_key("part", p["partner_id"]), provider_key=None, source_key=None,
            source_type="api", test=False, meta={}, fields=[]))
    return out


# ---------------------------------------------------------------------------------------------------- Impartner
IMPARTNER_TZ = "America/Chicago"


def imp_id(kind: str, key: str | None) -> int | None:
    return None if key is None else int(num_id(f"imp:{kind}:{key}", 7))


def imp_time(ts) -> str | None:
    """Impartner timestamps carry the tenant's local offset, e.g. 2025-01-02T09:15:00-06:00."""
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t
    return t.tz_convert(IMPARTNER_TZ).isoformat()


def impartner(state: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {k: [] for k in ("Account", "Tier", "Deal", "MDFRequestEngagement",
                                                  "MDFClaimEngagement")}
    first = min((u for rows in state.values() for _, u, _, _ in rows), default=pd.Timestamp("2025-01-01", tz="UTC"))
    for rank, tier in enumerate(TIERS, start=1):
        out["Tier"].append(_rec(imp_id("tier", tier), first, False, name=tier.title(), rank=rank,
                                created=imp_time(first)))
    acc = lambda p: imp_id("account", p)  # noqa: E731
    for sid, u, d, p in state.get("partners", []):
        out["Account"].append(_rec(
            acc(p["partner_id"]), u, d, name=p["name"], website=p["domain"], crmId=None, isActive=p["churned_on"] is None,
            partnerKey__cf=p["partner_id"], tierId=imp_id("tier", p["tier"]), tier__cf=picklist(p["tier"]),
            partnerType__cf=p["partner_type"], region__cf=p["region"], mailingCountry=p["country"],
            created=imp_time(p["onboarded_on"]), partnerSince__cf=p["onboarded_on"], churnedOn__cf=p["churned_on"],
            accountManager__cf=p["owner_id"], executiveSponsor__cf=p["exec_sponsor_id"],
            recordLink=f"https://prod.impartner.live/load/ACT/{acc(p['partner_id'])}"))
    for sid, u, d, p in state.get("deal_registrations", []):
        out["Deal"].append(_rec(
            imp_id("deal", p["registration_id"]), u, d, name=f"Registration {p['registration_id']}",
            accountId=acc(p["partner_id"]), created=imp_time(p["submitted_at"]), approvalStatus=picklist(p["status"]),
            decided__cf=imp_time(p["decided_at"]), conflict__cf=p["conflict"],
            conflictResolved__cf=imp_time(p["conflict_resolved_at"]), crmOpportunityId=p["opportunity_id"],
            dealSize=p["estimated_amount"], currencyCode=p["currency"]))
    for sid, u, d, p in state.get("mdf_requests", []):
        out["MDFRequestEngagement"].append(_rec(
            imp_id("mdfr", p["request_id"]), u, d, accountId=acc(p["partner_id"]), campaignKey__cf=p["campaign_id"],
            submittedDate=p["submitted_on"], decisionDate=p["decided_on"], status=picklist(p["status"]),
            requestedAmount=p["amount"], currencyCode=p["currency"], created=imp_time(p["submitted_on"])))
    for sid, u, d, p in state.get("mdf_claims", []):
        out["MDFClaimEngagement"].append(_rec(
            imp_id("mdfc", p["claim_id"]), u, d, accountId=acc(p["partner_id"]),
            requestId=imp_id("mdfr", p["request_id"]), submittedDate=p["submitted_on"], paidDate=p["paid_on"],
            status=picklist(p["status"]), claimAmount=p["amount"], currencyCode=p["currency"],
            created=imp_time(p["submitted_on"])))
    return out


# ---------------------------------------------------------------------------------------------------- Crossbeam
def xb_uuid(kind: str, key: str) -> str:
    h = hashlib.sha1(f"xb:{kind}:{key}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def crossbeam(state: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    """Crossbeam: the vendor's partner organisations and account overlaps with them (from partner deals)."""
    out: dict[str, list[dict]] = {"partners": [], "overlaps": []}
    partners = {}
    for sid, u, d, p in state.get("partners", []):
        partners[p["partner_id"]] = p
        out["partners"].append(_rec(xb_uuid("partner", p["partner_id"]), u, d, name=p["name"], domain=p["domain"],
                                    tags=[{"id": 1, "label": p["partner_type"]}] if p["partner_type"] else []))
    seen: dict[tuple, dict] = {}
    for sid, u, d, p in state.get("opportunities", []):
        if not p["partner_id"] or not p["customer_id"] or p["partner_id"] not in partners:
            continue
        key = (p["customer_id"], p["partner_id"])
        gone = d or p["status"] == "lost"
        if key in seen and not seen[key]["_deleted"] and seen[key]["_updated"] >= u:
            continue
        partner = partners[p["partner_id"]]
        seen[key] = _rec(
            f"{xb_uuid('record', p['customer_id'])}:{xb_uuid('precord', p['customer_id'] + p['partner_id'])}", u, gone,
            record_id=p["customer_id"], record_name=f"Customer {p['customer_id']}", record_website=None,
            record_email=None, crossbeam_record_id=xb_uuid("record", p["customer_id"]),
            populations=[{"id": 1, "name": "Customers" if p["status"] == "won" else "Open Opportunities"}],
            partner_id=xb_uuid("partner", p["partner_id"]), partner_name=partner["name"], partner_logo_url=None,
            partner_record_id=f"P-{p['customer_id']}", partner_record_name=f"Customer {p['customer_id']}",
            partner_record_website=None, partner_record_type="account",
            partner_crossbeam_record_id=xb_uuid("precord", p["customer_id"] + p["partner_id"]),
            partner_populations=[{"id": 21, "name": "Customers"}], partner_source_data=[],
            partner_owner={"owner_name": None, "owner_email": None, "owner_phone": None,
                           "crossbeam_owner_id": None})
    out["overlaps"] = list(seen.values())
    return out
