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
    first_day = first_event_day(*ctx.commercial_events(), partners["partner_id"].to_numpy())
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


# --- the wider catalogue -------------------------------------------------------------------------------------------
from signals import common  # noqa: E402

FIRST_WIN_HORIZON = 365


def _first_win_day(ctx: SignalContext) -> np.ndarray:
    """Per partner (in the order of the partners table): the day of its first won deal as primary partner."""
    won = common.partner_won(ctx)
    return first_event_day(won["partner_id"].to_numpy(), won["closed_on"], ctx.table("partners")["partner_id"])


@signal(
    id="d4_days_to_first_win", dimension="D4",
    name_en="Time to first won deal", name_nl="Tijd tot de eerste gewonnen deal",
    question="How long does a new partner take to win its first deal?",
    definition="Median days from onboarding to the first won deal (as primary partner) of the partners whose "
               "first year ended in the 365 days up to the as-of date. A partner without a win in its first year "
               "is censored at 366 days (it counts as 'more than a year'), so the median is that of the whole "
               "cohort, not only of the partners that won.",
    formula="median(min(first_win - onboarded_on, 366) | onboarded_on + 365 in (D-365, D])",
    unit="days", direction="lower", window_days=730,
    attribution="per partner; the first deal it won as sourcing or influencing partner",
    min_n=3, data_needed=("partners", "opportunities"), level="ecosystem",
    not_applicable="never",
    biases="Partners onboarded to serve existing customers win slower; a cohort with a few large recruits dominates.",
    goalpost_reason="A year to a first win (or none) is a partner left alone; 45 days is a partner enabled to sell.",
)
def days_to_first_win(ctx: SignalContext) -> SignalResult:
    partners = ctx.table("partners")
    onboarded = tl.as_days(partners["onboarded_on"])
    days = common.duration_days(_first_win_day(ctx), onboarded)
    censored = np.where(np.isnan(days) | (days > FIRST_WIN_HORIZON), FIRST_WIN_HORIZON + 1.0, days)
    settled = onboarded + np.timedelta64(FIRST_WIN_HORIZON, "D")
    return common.windowed_median(ctx, settled, censored, 365)


@signal(
    id="d4_first_win_within_180d", dimension="D4",
    name_en="First win within six months", name_nl="Eerste deal binnen zes maanden",
    question="Do new partners turn enablement into revenue quickly?",
    definition="Of the partners whose first 180 days ended in the 365 days up to the as-of date, the share that "
               "won a deal as primary partner within those 180 days.",
    formula="count(first_win <= onboarded_on + 180 | onboarded_on + 180 in (D-365, D]) / "
            "count(onboarded_on + 180 in (D-365, D])",
    unit="share", direction="higher", window_days=545,
    attribution="per partner",
    min_n=3, data_needed=("partners", "opportunities"), level="ecosystem",
    not_applicable="never",
    biases="Needs a steady inflow of new partners, like the activation rate.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): almost none against most "
                    "new partners winning in their first half-year.",
)
def first_win_within_180d(ctx: SignalContext) -> SignalResult:
    onboarded = tl.as_days(ctx.table("partners")["onboarded_on"])
    first = _first_win_day(ctx)
    won = (~np.isnat(first) & (first <= onboarded + np.timedelta64(180, "D"))).astype(float)
    return common.windowed_share(ctx, onboarded + np.timedelta64(180, "D"), won, 365)


@signal(
    id="d4_certification_renewal_rate", dimension="D4",
    name_en="Certifications renewed before expiry", name_nl="Certificeringen verlengd voor de vervaldatum",
    question="Do partner people keep their certifications current?",
    definition="Of the certifications that expired in the 365 days up to the as-of date (of partners still in the "
               "programme then), the share the same person renewed (earned the same certification again) after "
               "the first was earned and on or before it expired.",
    formula="count(renewed | expires_on in (D-365, D]) / count(expires_on in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="per certification of a person",
    min_n=5, data_needed=("certifications", "partners"), level="ecosystem",
    not_applicable="when no certification has ever expired by that date",
    biases="People who left the partner cannot renew, and count against it.",
    goalpost_reason="One in five renewed is knowledge that decays; 90% is certification as a habit.",
)
def certification_renewal_rate(ctx: SignalContext) -> SignalResult:
    certs = ctx.table("certifications")
    expires = tl.as_days(certs["expires_on"])
    left = common.lookup_days(certs["partner_id"], ctx.table("partners"), "partner_id", "churned_on")
    keep = np.isnat(left) | (left > expires)
    pairs = certs[["certification_id", "partner_id", "person_id", "certification_name", "earned_on", "expires_on"]]
    joined = pairs.merge(pairs, on=["partner_id", "person_id", "certification_name"], suffixes=("", "_next"))
    renewing = joined[(joined["earned_on_next"] > joined["earned_on"]) &
                      (joined["earned_on_next"] <= joined["expires_on"])]
    renewed = certs["certification_id"].isin(renewing["certification_id"]).to_numpy(float)
    return common.windowed_share(ctx, expires[keep], renewed[keep], 365,
                                 not_applicable=~ctx.ever_before("certifications", "expires_on"))


@signal(
    id="d4_valid_certifications_per_partner", dimension="D4",
    name_en="Certified people per partner", name_nl="Gecertificeerde mensen per partner",
    question="How deep does certified knowledge go at a partner?",
    definition="Certifications valid on the as-of date, per partner in the programme that day.",
    formula="count(certifications with earned_on <= D < expires_on of active partners) / count(active partners on D)",
    unit="per_partner", direction="higher", window_days=None,
    attribution="per certification",
    min_n=3, data_needed=("certifications", "partners"), level="partner",
    not_applicable="never",
    biases="A few large partners with many certified people can carry the average.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): hardly any against several "
                    "certified people per partner.",
)
def valid_certifications_per_partner(ctx: SignalContext) -> SignalResult:
    certs = _active_certs(ctx)
    valid = tl.open_on(certs["start"], certs["end"], ctx.dates)
    active = ctx.active_partners()
    return SignalResult(tl.ratio(valid, active), active)


def _active_certs(ctx: SignalContext) -> pd.DataFrame:
    certs = ctx.table("certifications")
    intervals = common.interval_frame(certs["partner_id"], certs["earned_on"], certs["expires_on"])
    active = ctx.active_intervals()
    joined = intervals.merge(active.astype({"key": object}), on="key", suffixes=("", "_p"))
    start, end = tl.clip_to(joined["start"], joined["end"], joined["start_p"], joined["end_p"])
    return pd.DataFrame({"key": joined["key"].to_numpy(), "start": start, "end": end})


@partner_values("d4_valid_certifications_per_partner",
                "Certifications of the partner's people valid on the date; the ecosystem value is their mean over "
                "the partners in the programme.")
def valid_certifications_by_partner(ctx: SignalContext):
    certs = _active_certs(ctx)
    keys, dates = ctx.partner_grid()
    count = tl.keyed_open_on(certs["key"], certs["start"], certs["end"], keys, dates)
    return ctx.partner_frame(count, np.ones(len(keys)))


@signal(
    id="d4_trained_partner_share", dimension="D4",
    name_en="Partners that completed training", name_nl="Partners die een training afrondden",
    question="How many partners invest in learning our offering?",
    definition="Share of partners in the programme on the as-of date with at least one course completed in the "
               "365 days up to it.",
    formula="count(active partners with completed_on in (D-365, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=365,
    attribution="per partner: any person of the partner",
    min_n=3, data_needed=("training_enrolments", "partners"), level="ecosystem",
    not_applicable="when no partner has ever enrolled in a course by that date (no training programme)",
    biases="Completion, not competence.",
    goalpost_reason="The least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def trained_partner_share(ctx: SignalContext) -> SignalResult:
    enrol = ctx.table("training_enrolments")
    done = enrol[enrol["completed_on"].notna()]
    share, active = ctx.share_of_active(ctx.event_coverage(done["partner_id"].to_numpy(), done["completed_on"], 365))
    return SignalResult(share, active, not_applicable=~ctx.ever_before("training_enrolments", "enrolled_on"))


@signal(
    id="d4_training_days_to_complete", dimension="D4",
    name_en="Days to complete a course", name_nl="Dagen om een training af te ronden",
    question="Once enrolled, how quickly do partner people finish?",
    definition="Median days from enrolment to completion of the courses completed in the 180 days up to the as-of "
               "date.",
    formula="median(completed_on - enrolled_on | completed_on in (D-180, D])",
    unit="days", direction="lower", window_days=180,
    attribution="per enrolment",
    min_n=5, data_needed=("training_enrolments",), level="ecosystem",
    not_applicable="when no partner has ever enrolled in a course by that date",
    biases="Only finished courses count: abandoned ones are the completion rate's business.",
    goalpost_reason="The least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def training_days_to_complete(ctx: SignalContext) -> SignalResult:
    enrol = ctx.table("training_enrolments")
    done = enrol[enrol["completed_on"].notna()]
    days = common.duration_days(done["completed_on"], done["enrolled_on"])
    return common.windowed_median(ctx, done["completed_on"], days, 180,
                                  not_applicable=~ctx.ever_before("training_enrolments", "enrolled_on"))


@signal(
    id="d4_new_partner_certified_90d", dimension="D4",
    name_en="New partners certified within 90 days", name_nl="Nieuwe partners binnen 90 dagen gecertificeerd",
    question="Does onboarding get new partners certified?",
    definition="Of the partners whose first 90 days ended in the 365 days up to the as-of date, the share with a "
               "certification earned within 90 days of onboarding.",
    formula="count(first earned_on <= onboarded_on + 90 | onboarded_on + 90 in (D-365, D]) / "
            "count(onboarded_on + 90 in (D-365, D])",
    unit="share", direction="higher", window_days=455,
    attribution="per partner: any person of the partner",
    min_n=3, data_needed=("partners", "certifications"), level="ecosystem",
    not_applicable="never",
    biases="Partners that arrive already certified (earned before onboarding) count as certified.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py).",
)
def new_partner_certified_90d(ctx: SignalContext) -> SignalResult:
    partners = ctx.table("partners")
    certs = ctx.table("certifications")
    first = first_event_day(certs["partner_id"].to_numpy(), certs["earned_on"], partners["partner_id"])
    onboarded = tl.as_days(partners["onboarded_on"])
    settled = onboarded + np.timedelta64(90, "D")
    hit = (~np.isnat(first) & (first <= settled)).astype(float)
    return common.windowed_share(ctx, settled, hit, 365)


@signal(
    id="d4_strategic_certification_coverage", dimension="D4",
    name_en="Certified strategic partners", name_nl="Gecertificeerde strategische partners",
    question="Are the partners we rely on most certified?",
    definition="Share of gold and platinum partners on the as-of date with at least one certification valid that "
               "day.",
    formula="count(gold/platinum partners on D with earned_on <= D < expires_on) / count(gold/platinum partners "
            "on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner; tier as of the date",
    min_n=3, data_needed=("certifications", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="Tiers often require certification, so this can be high by rule rather than by enablement.",
    goalpost_reason="As for certification coverage of all partners."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def strategic_certification_coverage(ctx: SignalContext) -> SignalResult:
    certs = ctx.table("certifications")
    return common.share_of_strategic(ctx, common.interval_frame(certs["partner_id"], certs["earned_on"],
                                                                certs["expires_on"]))
