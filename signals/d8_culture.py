"""D8 Culture & Relationships: trust, two-way feedback, ties that hold in bad times."""

from __future__ import annotations

import numpy as np

from signals import timeline as tl
from signals.card import Freshness, SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal

RESPONSE_DAYS = 30


@signal(
    id="d8_partner_nps", dimension="D8",
    name_en="Partner NPS", name_nl="Partner-NPS",
    question="Would partners recommend our programme to a peer?",
    definition="Net promoter score of partner survey answers in the 365 days up to the as-of date: percentage of "
               "promoters (9-10) minus percentage of detractors (0-6).",
    formula="100 * (count(score >= 9) - count(score <= 6)) / count(answers) | responded in (D-365, D]",
    unit="score", direction="higher", window_days=365,
    attribution="per answer",
    min_n=5, data_needed=("partner_surveys",), level="partner",
    not_applicable="never: a programme without a partner survey is missing this evidence, not exempt from it",
    biases="With few answers one partner moves it by ten points or more; read n. Surveys are twice a year, so it "
           "goes stale between waves.",
    goalpost_reason="-40 is a programme partners warn each other about; +60 is exceptional loyalty (ZINFI, Zift).",
    freshness=Freshness("partner_surveys", "responded_on", 270),
)
def partner_nps(ctx: SignalContext) -> SignalResult:
    surveys = ctx.table("partner_surveys")
    answered = surveys[surveys["responded_on"].notna() & surveys["nps_score"].notna()]
    score = answered["nps_score"].to_numpy(float)
    n = tl.window_sum(answered["responded_on"], ctx.dates, 365)
    net = tl.window_sum(answered["responded_on"], ctx.dates, 365, (score >= 9).astype(float) - (score <= 6))
    return SignalResult(100.0 * tl.ratio(net, n), n)


@signal(
    id="d8_survey_response_rate", dimension="D8",
    name_en="Survey response rate", name_nl="Responspercentage partnersurvey",
    question="Do partners bother to tell us what they think?",
    definition="Of the partner survey invitations whose 30-day answer window closed in the 365 days up to the "
               "as-of date, the share answered within 30 days.",
    formula="count(responded_on <= sent_on + 30 | sent_on + 30 in (D-365, D]) / count(sent_on + 30 in (D-365, D])",
    unit="share", direction="higher", window_days=395,
    attribution="per invitation",
    min_n=5, data_needed=("partner_surveys",), level="ecosystem",
    not_applicable="never",
    biases="Survey fatigue from other vendors lowers it without any change in the relationship.",
    goalpost_reason="One in ten answering is indifference; 70% is partners who expect to be heard.",
    freshness=Freshness("partner_surveys", "sent_on", 300),
)
def survey_response_rate(ctx: SignalContext) -> SignalResult:
    surveys = ctx.table("partner_surveys")
    settled = tl.as_days(surveys["sent_on"]) + np.timedelta64(RESPONSE_DAYS, "D")
    responded = tl.as_days(surveys["responded_on"])
    answered = (~np.isnat(responded) & (responded <= settled)).astype(float)
    n = tl.window_sum(settled, ctx.dates, 365)
    return SignalResult(tl.ratio(tl.window_sum(settled, ctx.dates, 365, answered), n), n)


@signal(
    id="d8_activities_per_partner_90d", dimension="D8",
    name_en="Engagement per partner", name_nl="Contactmomenten per partner",
    question="How often are we actually in touch with our partners?",
    definition="Logged interactions with partners in the 90 days up to the as-of date, per partner in the "
               "programme on that date.",
    formula="count(activities in (D-90, D]) / count(active partners on D)",
    unit="per_partner", direction="higher", window_days=90,
    attribution="per activity, any type and direction",
    min_n=3, data_needed=("activities", "partners"), level="partner",
    not_applicable="never",
    biases="Only what gets logged; relationship-heavy teams often log least.",
    goalpost_reason="One touch a quarter is a mailing list; twelve is a working relationship.",
)
def activities_per_partner_90d(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    active = ctx.active_partners()
    return SignalResult(tl.ratio(tl.window_sum(acts["occurred_at"], ctx.dates, 90), active), active)


@signal(
    id="d8_partner_initiated_share", dimension="D8",
    name_en="Partner-initiated contact", name_nl="Contact op initiatief van de partner",
    question="Do partners come to us, or do we always chase them?",
    definition="Share of logged interactions in the 90 days up to the as-of date that the partner initiated.",
    formula="count(activities initiated by the partner in (D-90, D]) / count(activities in (D-90, D])",
    unit="share", direction="higher", window_days=90,
    attribution="per activity",
    min_n=10, data_needed=("activities",), level="partner",
    not_applicable="never",
    biases="Depends on the initiator being recorded; unrecorded initiators count as ours.",
    goalpost_reason="Nine in ten contacts by us is chasing; half from partners is two-way.",
)
def partner_initiated_share(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    by_partner = acts["initiated_by"].eq("partner").to_numpy(float)
    n = tl.window_sum(acts["occurred_at"], ctx.dates, 90)
    return SignalResult(tl.ratio(tl.window_sum(acts["occurred_at"], ctx.dates, 90, by_partner), n), n)


@partner_values("d8_partner_nps",
                "NPS of the partner's own answers in the 365 days (-100..100); the ecosystem value pools all "
                "answers.")
def nps_by_partner(ctx: SignalContext):
    surveys = ctx.table("partner_surveys")
    answered = surveys[surveys["responded_on"].notna() & surveys["nps_score"].notna()]
    score = answered["nps_score"].to_numpy(float)
    keys, dates = ctx.partner_grid()
    n = tl.keyed_window_sum(answered["partner_id"], answered["responded_on"], keys, dates, 365)
    net = tl.keyed_window_sum(answered["partner_id"], answered["responded_on"], keys, dates, 365,
                              (score >= 9).astype(float) - (score <= 6))
    return ctx.partner_frame(100.0 * tl.ratio(net, n), n)


@partner_values("d8_activities_per_partner_90d",
                "Activities logged with the partner in the 90 days; the ecosystem value is their mean over the "
                "partners in the programme.")
def activities_by_partner(ctx: SignalContext):
    acts = ctx.table("activities")
    keys, dates = ctx.partner_grid()
    count = tl.keyed_window_sum(acts["partner_id"], acts["occurred_at"], keys, dates, 90)
    return ctx.partner_frame(count, np.ones(len(keys)))


@partner_values("d8_partner_initiated_share",
                "Share of the activities with the partner in the 90 days that the partner started; the ecosystem "
                "value pools all activities.")
def partner_initiated_by_partner(ctx: SignalContext):
    acts = ctx.table("activities")
    by_partner = acts["initiated_by"].eq("partner").to_numpy(float)
    keys, dates = ctx.partner_grid()
    n = tl.keyed_window_sum(acts["partner_id"], acts["occurred_at"], keys, dates, 90)
    hits = tl.keyed_window_sum(acts["partner_id"], acts["occurred_at"], keys, dates, 90, by_partner)
    return ctx.partner_frame(tl.ratio(hits, n), n)
