"""D7 Operations & Tooling: how easy is it to do a deal with us?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import timeline as tl
from signals.card import Freshness, SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal

RECORD_FIELDS = ("domain", "region", "country")
VERSIONED_FIELDS = ("tier", "owner_id")


@signal(
    id="d7_registration_to_opportunity_days", dimension="D7",
    name_en="Registration to opportunity", name_nl="Van registratie naar opportunity",
    question="Once we approve a registration, how fast does it become a working opportunity?",
    definition="Median days from the approval of a deal registration to the creation of its opportunity, over "
               "opportunities created from registrations in the 180 days up to the as-of date.",
    formula="median(created_on - decided_at in days | approved registration, opportunity created in (D-180, D])",
    unit="days", direction="lower", window_days=180,
    attribution="registration linked to its opportunity",
    min_n=5, data_needed=("deal_registrations", "opportunities"), level="ecosystem",
    not_applicable="when the programme has no deal registration",
    biases="Registrations that never became an opportunity are not counted here.",
    goalpost_reason="A month of admin loses deals; two days is a PRM wired into the CRM.",
)
def registration_to_opportunity_days(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    opps = ctx.table("opportunities")
    approved = regs[regs["status"].eq("approved") & regs["decided_at"].notna()]
    linked = approved.merge(opps[["opportunity_id", "created_on"]], on="opportunity_id", how="inner")
    days = (tl.as_days(linked["created_on"]) - tl.as_days(linked["decided_at"])).astype(float)
    median, n = tl.window_quantile(linked["created_on"], np.maximum(days, 0.0), ctx.dates, 180, 0.5)
    return SignalResult(median, n, not_applicable=~ctx.ever_before("deal_registrations", "submitted_at"))


@signal(
    id="d7_mdf_claim_payout_days", dimension="D7",
    name_en="MDF claim payout time", name_nl="Uitbetaaltijd MDF-claims",
    question="How long do partners wait for the marketing money they spent?",
    definition="Median days from claim submission to payout, over MDF claims paid in the 365 days up to the "
               "as-of date.",
    formula="median(paid_on - submitted_on | paid in (D-365, D])",
    unit="days", direction="lower", window_days=365,
    attribution="per claim",
    min_n=3, data_needed=("mdf_claims",), level="ecosystem",
    not_applicable="when the organisation has never allocated MDF by that date",
    biases="Claims still waiting are not in the median until they are paid; a backlog shows late.",
    goalpost_reason="Ninety days is partners pre-financing us; ten days is a smooth process.",
)
def mdf_claim_payout_days(ctx: SignalContext) -> SignalResult:
    claims = ctx.table("mdf_claims")
    paid = claims[claims["paid_on"].notna()]
    days = (tl.as_days(paid["paid_on"]) - tl.as_days(paid["submitted_on"])).astype(float)
    median, n = tl.window_quantile(paid["paid_on"], days, ctx.dates, 365, 0.5)
    return SignalResult(median, n, not_applicable=~ctx.ever_before("mdf_allocations", "period_start"))


@signal(
    id="d7_portal_adoption_30d", dimension="D7",
    name_en="Portal adoption", name_nl="Gebruik van het partnerportaal",
    question="Do partners use the portal we built for them?",
    definition="Share of partners in the programme on the as-of date with at least one portal login in the 30 "
               "days up to that date.",
    formula="count(active partners with a login in (D-30, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=30,
    attribution="any user of the partner",
    min_n=3, data_needed=("portal_logins", "partners"), level="partner",
    not_applicable="when no portal login was ever recorded by that date (no portal connected)",
    biases="A login is not a task done; it is the floor of adoption.",
    goalpost_reason="10% logging in is a portal nobody needs; 85% is the place partners work.",
    freshness=Freshness("portal_logins", "login_on", 14),
)
def portal_adoption_30d(ctx: SignalContext) -> SignalResult:
    logins = ctx.table("portal_logins")
    share, active = ctx.share_of_active(tl.event_coverage(logins["partner_id"].to_numpy(), logins["login_on"], 30))
    return SignalResult(share, active, not_applicable=~ctx.ever_before("portal_logins", "login_on"))


@signal(
    id="d7_partner_record_completeness", dimension="D7",
    name_en="Completeness of partner records", name_nl="Volledigheid van partnerrecords",
    question="Is the partner data good enough to run the programme on?",
    definition="Over the partners in the programme on the as-of date, the share of filled-in fields among domain, "
               "region, country, tier and owner (tier and owner as they were that day).",
    formula="sum over fields f of count(active partners with f filled on D) / (5 * count(active partners on D))",
    unit="share", direction="higher", window_days=None,
    attribution="per partner record",
    min_n=3, data_needed=("partners", "partner_versions"), level="ecosystem",
    not_applicable="never",
    biases="A filled field can still be wrong.",
    goalpost_reason="Half-empty records mean every report is a data hunt; 99% is a maintained PRM.",
)
def partner_record_completeness(ctx: SignalContext) -> SignalResult:
    partners = ctx.table("partners")
    versions = ctx.table("partner_versions")
    filled = np.zeros(len(ctx.dates))
    for column in RECORD_FIELDS:
        rows = partners[partners[column].notna() & partners[column].astype(str).str.strip().ne("")]
        intervals = pd.DataFrame({"key": rows["partner_id"].to_numpy(), "start": tl.as_days(rows["onboarded_on"]),
                                  "end": tl.as_days(rows["churned_on"])})
        share, active = ctx.share_of_active(intervals)
        filled += np.nan_to_num(share)
    for column in VERSIONED_FIELDS:
        share, active = ctx.share_of_active(ctx.version_intervals(versions[column].notna()))
        filled += np.nan_to_num(share)
    active = ctx.active_partners()
    fields = len(RECORD_FIELDS) + len(VERSIONED_FIELDS)
    return SignalResult(np.where(active > 0, filled / fields, np.nan), active)


@partner_values("d7_portal_adoption_30d",
                "1 when one of the partner's users logged in to the portal in the 30 days, else 0; the ecosystem "
                "value is the mean over the partners in the programme.")
def portal_adoption_by_partner(ctx: SignalContext):
    logins = ctx.table("portal_logins")
    return ctx.partner_coverage(tl.event_coverage(logins["partner_id"].to_numpy(), logins["login_on"], 30))
