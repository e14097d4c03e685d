"""D4 Enablement: can partners deliver value on their own?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext, first_event_day
from signals.registry import partner_values, signal

ACTIVATION_DAYS = 90
COMPLETION_DAYS = 60


@signal(
    id="d4_certification_coverage", dimension="D4",
    name_en="Certification coverage", name_nl="Certificeringsdekking",
    question="How many of our partners hold a valid certification today?",
    definition="Share of partners in the programme on the as-of date with at least one certification valid that "
               "day (earned, not yet expired).",
    formula="count(active partners on D with earned_on <= D < expires_on) / count(active partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner: any certified person of the partner counts",
    min_n=3, data_needed=("certifications", "partners"), level="partner",
    not_applicable="never",
    biases="Certification is a learning action, not a selling one; pair it with activation.",
    goalpost_reason="5% certified means partners sell what they do not know; 90% is a fully enabled base.",
)
def certification_coverage(ctx: SignalContext) -> SignalResult:
    certs = ctx.table("certifications")
    intervals = pd.DataFrame({"key": certs["partner_id"].to_numpy(), "start": tl.as_days(certs["earned_on"]),
                              "end": tl.as_days(certs["expires_on"])})
    share, active = ctx.share_of_active(intervals)
    return SignalResult(share, active)


@signal(
    id="d4_activation_rate_90d", dimension="D4",
    name_en="Activation within 90 days", name_nl="Activatie binnen 90 dagen",
    question="Do new partners start doing business quickly?",
    definition="Of the partners onboarded 90 to 455 days before the as-of date (so each had its full 90 days), the "
               "share that registered a deal or brought an opportunity within 90 days of onboarding.",
    formula="count(first registration or partner opportunity <= onboarded_on + 90 | onboarded_on + 90 in "
            "(D-365, D]) / count(onboarded_on + 90 in (D-365, D])",
    unit="share", direction="higher", window_days=455,
    attribution="per partner; the first commercial event is its first registration or opportunity as primary "
                "partner",
    min_n=3, data_needed=("partners", "deal_registrations", "opportunities"), level="ecosystem",
    not_applicable="never",
    biases="Needs a steady inflow of partners; a programme that stopped recruiting has no recent cohort.",
    goalpost_reason="10% activated is a project per partner; 80% in 90 days is what a scalable onboarding "
                    "reaches (Partner Standard's 90-day window).",
)
def activation_rate_90d(ctx: SignalContext) -> SignalResult:
    partners = ctx.table("partners")
    regs = ctx.table("deal_registrations")
    opps = ctx.table("opportunities")
    opps = opps[opps["partner_id"].notna()]
    first_day = first_event_day(
        np.concatenate([regs["partner_id"].to_numpy(), opps["partner_id"].to_numpy()]),
        np.concatenate([tl.as_days(regs["submitted_at"]), tl.as_days(opps["created_on"])]),
        partners["partner_id"].to_numpy(),
    )
    onboarded = tl.as_days(partners["onboarded_on"])
    activated = ~np.isnat(first_day) & (first_day <= onboarded + np.timedelta64(ACTIVATION_DAYS, "D"))
    known_on = onboarded + np.timedelta64(ACTIVATION_DAYS, "D")  # the day the outcome is settled
    n = tl.window_sum(known_on, ctx.dates, 365)
    return SignalResult(tl.ratio(tl.window_sum(known_on, ctx.dates, 365, activated.astype(float)), n), n)


@signal(
    id="d4_training_completion_rate", dimension="D4",
    name_en="Training completion", name_nl="Afronding van trainingen",
    question="Do partner people finish the training they start?",
    definition="Of the course enrolments whose 60-day completion window closed in the 180 days up to the as-of "
               "date, the share completed within 60 days.",
    formula="count(completed_on <= enrolled_on + 60 | enrolled_on + 60 in (D-180, D]) / "
            "count(enrolled_on + 60 in (D-180, D])",
    unit="share", direction="higher", window_days=240,
    attribution="per enrolment",
    min_n=5, data_needed=("training_enrolments",), level="ecosystem",
    not_applicable="when no partner has ever enrolled in a course by that date (no training programme)",
    biases="Short courses complete more easily; the course mix matters.",
    goalpost_reason="One in five finishing means the material does not fit; 90% is engaging, relevant content.",
)
def training_completion_rate(ctx: SignalContext) -> SignalResult:
    enrol = ctx.table("training_enrolments")
    settled = tl.as_days(enrol["enrolled_on"]) + np.timedelta64(COMPLETION_DAYS, "D")
    completed = tl.as_days(enrol["completed_on"])
    done = (~np.isnat(completed) & (completed <= settled)).astype(float)
    n = tl.window_sum(settled, ctx.dates, 180)
    return SignalResult(tl.ratio(tl.window_sum(settled, ctx.dates, 180, done), n), n,
                        not_applicable=~ctx.ever_before("training_enrolments", "enrolled_on"))


@signal(
    id="d4_support_tickets_per_partner", dimension="D4",
    name_en="Support tickets per partner", name_nl="Supporttickets per partner",
    question="How much do partners lean on our support to get things done?",
    definition="Support tickets opened by partners in the 91 days up to the as-of date, per partner in the "
               "programme on that date.",
    formula="count(tickets opened in (D-91, D]) / count(active partners on D)",
    unit="per_partner", direction="lower", window_days=91,
    attribution="per ticket, raised by a partner",
    min_n=3, data_needed=("support_tickets", "partners"), level="partner",
    not_applicable="when no ticket was ever recorded by that date (no support system connected)",
    biases="A partner who stopped asking may have stopped selling; read it with the active-partner ratio.",
    goalpost_reason="Three tickets a partner a quarter is dependence; 0.3 is partners who can work on their own.",
)
def support_tickets_per_partner(ctx: SignalContext) -> SignalResult:
    tickets = ctx.table("support_tickets")
    active = ctx.active_partners()
    value = tl.ratio(tl.window_sum(tickets["opened_at"], ctx.dates, 91), active)
    return SignalResult(value, active, not_applicable=~ctx.ever_before("support_tickets", "opened_at"))


@partner_values("d4_certification_coverage",
                "1 when someone at the partner holds a certification valid on the date, else 0; the ecosystem "
                "value is the mean over the partners in the programme.")
def certification_by_partner(ctx: SignalContext):
    certs = ctx.table("certifications")
    return ctx.partner_coverage(pd.DataFrame({"key": certs["partner_id"].to_numpy(),
                                              "start": tl.as_days(certs["earned_on"]),
                                              "end": tl.as_days(certs["expires_on"])}))


@partner_values("d4_support_tickets_per_partner",
                "Tickets the partner opened in the 91 days; the ecosystem value is their mean over the partners in "
                "the programme.")
def support_tickets_by_partner(ctx: SignalContext):
    tickets = ctx.table("support_tickets")
    keys, dates = ctx.partner_grid()
    count = tl.keyed_window_sum(tickets["partner_id"], tickets["opened_at"], keys, dates, 91)
    return ctx.partner_frame(count, np.ones(len(keys)))
