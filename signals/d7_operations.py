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
    # Known once both the decision and the opportunity exist (a later registration can link an older deal).
    known = np.maximum(tl.as_days(linked["created_on"]), tl.as_days(linked["decided_at"]))
    median, n = tl.window_quantile(known, np.maximum(days, 0.0), ctx.dates, 180, 0.5)
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


# --- the wider catalogue -------------------------------------------------------------------------------------------
from signals import common  # noqa: E402


def _mdf(ctx: SignalContext) -> np.ndarray:
    """True on dates the organisation has an MDF programme (its first allocation is on or before the date)."""
    return ctx.ever_before("mdf_allocations", "period_start")


@signal(
    id="d7_mdf_decision_days", dimension="D7",
    name_en="Days to decide an MDF request", name_nl="Dagen tot besluit over een MDF-aanvraag",
    question="How long does a partner wait to hear whether its marketing plan is funded?",
    definition="Median days from submission to decision of the MDF requests decided in the 180 days up to the "
               "as-of date.",
    formula="median(decided_on - submitted_on | decided_on in (D-180, D])",
    unit="days", direction="lower", window_days=180,
    attribution="per request",
    min_n=3, data_needed=("mdf_requests",), level="ecosystem",
    not_applicable="when the organisation has no MDF programme (no allocation ever made by that date)",
    biases="Requests still waiting do not count until decided.",
    goalpost_reason="A month is a campaign that misses its moment; two days is a workflow, not a committee.",
)
def mdf_decision_days(ctx: SignalContext) -> SignalResult:
    requests = ctx.table("mdf_requests")
    decided = requests[requests["decided_on"].notna()]
    return common.windowed_median(ctx, decided["decided_on"],
                                  common.duration_days(decided["decided_on"], decided["submitted_on"]), 180,
                                  not_applicable=~_mdf(ctx))


@signal(
    id="d7_registered_opportunity_share", dimension="D7",
    name_en="Partner deals registered in the system", name_nl="Partnerdeals geregistreerd in het systeem",
    question="Do partner deals flow through the partner portal, or are they handled by hand?",
    definition="Share of partner opportunities created in the 365 days up to the as-of date that carry a deal "
               "registration.",
    formula="count(partner opportunity with registration_id | created in (D-365, D]) / count(partner "
            "opportunity | created in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="partner = sourced or influenced",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Influenced deals rarely need a registration, so a co-selling programme scores lower.",
    goalpost_reason="One in five is a spreadsheet process; 95% is one system of record for partner deals.",
)
def registered_opportunity_share(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    partner = opps[~opps["attribution"].eq("none")]
    return common.windowed_share(ctx, partner["created_on"], partner["registration_id"].notna().to_numpy(float), 365)


def _resolution_hours(ctx: SignalContext):
    tickets = ctx.table("support_tickets")
    resolved = tickets[tickets["resolved_at"].notna()]
    return resolved, common.duration_hours(resolved["resolved_at"], resolved["opened_at"])


@signal(
    id="d7_ticket_resolution_hours", dimension="D7",
    name_en="Time to resolve a partner ticket", name_nl="Oplostijd van partnertickets",
    question="When a partner asks for help, how long until it is solved?",
    definition="Median hours from opening to resolution of the partner support tickets resolved in the 91 days up "
               "to the as-of date.",
    formula="median(resolved_at - opened_at in hours | resolved in (D-91, D])",
    unit="hours", direction="lower", window_days=91,
    attribution="per ticket",
    min_n=5, data_needed=("support_tickets",), level="ecosystem",
    not_applicable="when no ticket was ever recorded by that date (no support system connected)",
    biases="Tickets still open do not count until resolved; see the share unresolved after a week.",
    goalpost_reason="Five days for a partner's question is a partner kept waiting; eight hours is a support desk "
                    "built for partners.",
)
def ticket_resolution_hours(ctx: SignalContext) -> SignalResult:
    resolved, hours = _resolution_hours(ctx)
    return common.windowed_median(ctx, resolved["resolved_at"], hours, 91,
                                  not_applicable=~ctx.ever_before("support_tickets", "opened_at"))


@signal(
    id="d7_tickets_unresolved_7d", dimension="D7",
    name_en="Tickets open after a week", name_nl="Tickets na een week nog open",
    question="How many partner problems linger?",
    definition="Of the partner support tickets whose seventh day fell in the 91 days up to the as-of date, the "
               "share not resolved within seven days of opening.",
    formula="count(resolved_at is null or resolved_at > opened_at + 7d | opened_at + 7d in (D-91, D]) / "
            "count(opened_at + 7d in (D-91, D])",
    unit="share", direction="lower", window_days=98,
    attribution="per ticket",
    min_n=5, data_needed=("support_tickets",), level="ecosystem",
    not_applicable="when no ticket was ever recorded by that date",
    biases="Tickets closed without a fix count as resolved.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py).",
)
def tickets_unresolved_7d(ctx: SignalContext) -> SignalResult:
    tickets = ctx.table("support_tickets")
    mark = tickets["opened_at"] + pd.Timedelta(days=7)
    late = (tickets["resolved_at"].isna() | (tickets["resolved_at"] > mark)).to_numpy(float)
    return common.windowed_share(ctx, tl.as_days(mark), late, 91,
                                 not_applicable=~ctx.ever_before("support_tickets", "opened_at"))


@signal(
    id="d7_portal_users_per_partner", dimension="D7",
    name_en="Portal users per partner", name_nl="Portalgebruikers per partner",
    question="Is the portal a tool many people at a partner use, or one person's login?",
    definition="Distinct portal users who logged in during the 30 days up to the as-of date, per partner in the "
               "programme on that date.",
    formula="count(distinct user_id with login_on in (D-30, D]) / count(active partners on D)",
    unit="per_partner", direction="higher", window_days=30,
    attribution="per portal user",
    min_n=3, data_needed=("portal_logins", "partners"), level="ecosystem",
    not_applicable="when no portal login was ever recorded by that date (no portal connected)",
    biases="Shared logins hide users.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py).",
    freshness=Freshness("portal_logins", "login_on", 14),
)
def portal_users_per_partner(ctx: SignalContext) -> SignalResult:
    logins = ctx.table("portal_logins")
    users = tl.event_coverage(logins["user_id"].to_numpy(), logins["login_on"], 30)
    active = ctx.active_partners()
    return SignalResult(tl.ratio(tl.open_on(users["start"], users["end"], ctx.dates), active), active,
                        not_applicable=~ctx.ever_before("portal_logins", "login_on"))


def _portal_coverage(ctx: SignalContext, days: int):
    logins = ctx.table("portal_logins")
    return tl.event_coverage(logins["partner_id"].to_numpy(), logins["login_on"], days)


@signal(
    id="d7_strategic_portal_adoption", dimension="D7",
    name_en="Strategic partners using the portal", name_nl="Strategische partners die het portaal gebruiken",
    question="Do the partners that matter most work through our tools?",
    definition="Share of gold and platinum partners on the as-of date with a portal login in the 30 days up to it.",
    formula="count(gold/platinum partners on D with login_on in (D-30, D]) / count(gold/platinum partners on D)",
    unit="share", direction="higher", window_days=30,
    attribution="per partner; tier as of the date",
    min_n=3, data_needed=("portal_logins", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day, or no portal login was ever recorded",
    biases="Large partners may integrate by API instead of logging in.",
    goalpost_reason="As for portal adoption of all partners.",
    freshness=Freshness("portal_logins", "login_on", 14),
)
def strategic_portal_adoption(ctx: SignalContext) -> SignalResult:
    result = common.share_of_strategic(ctx, _portal_coverage(ctx, 30))
    no_portal = ~ctx.ever_before("portal_logins", "login_on")
    return SignalResult(result.value, result.n, not_applicable=result.not_applicable | no_portal)


@signal(
    id="d7_portal_adoption_90d", dimension="D7",
    name_en="Portal use this quarter", name_nl="Portaalgebruik dit kwartaal",
    question="Does every partner use the portal at least now and then?",
    definition="Share of partners in the programme on the as-of date with a portal login in the 90 days up to it.",
    formula="count(active partners with login_on in (D-90, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=90,
    attribution="per partner: any of its users",
    min_n=3, data_needed=("portal_logins", "partners"), level="partner",
    not_applicable="when no portal login was ever recorded by that date (no portal connected)",
    biases="One login a quarter is not adoption; read it with the 30-day share.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py), above the 30-day range.",
    freshness=Freshness("portal_logins", "login_on", 14),
)
def portal_adoption_90d(ctx: SignalContext) -> SignalResult:
    share, active = ctx.share_of_active(_portal_coverage(ctx, 90))
    return SignalResult(share, active, not_applicable=~ctx.ever_before("portal_logins", "login_on"))


@partner_values("d7_portal_adoption_90d",
                "1 when one of the partner's users logged in in the 90 days, else 0; the ecosystem value is the "
                "mean over the partners in the programme.")
def portal_adoption_90d_by_partner(ctx: SignalContext):
    return ctx.partner_coverage(_portal_coverage(ctx, 90))


@signal(
    id="d7_registered_won_share", dimension="D7",
    name_en="Won partner deals that were registered", name_nl="Gewonnen partnerdeals die geregistreerd waren",
    question="Does the revenue partners bring run through the registration process?",
    definition="Won amount of partner deals closed in the 365 days up to the as-of date that carry a deal "
               "registration, as a share of all partner won amount then.",
    formula="sum(amount_eur | won, partner, registration_id, closed in (D-365, D]) / sum(amount_eur | won, "
            "partner, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="partner = sourced or influenced",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="As for the registered share of partner opportunities.",
    goalpost_reason="As for the registered share of partner opportunities, on won amount.",
)
def registered_won_share(ctx: SignalContext) -> SignalResult:
    won = common.partner_won(ctx)
    return common.windowed_share(ctx, won["closed_on"], won["registration_id"].notna().to_numpy(float), 365,
                                 won["amount_eur"].to_numpy(float))
