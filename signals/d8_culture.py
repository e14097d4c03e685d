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


# --- the wider catalogue -------------------------------------------------------------------------------------------
import pandas as pd  # noqa: E402

from signals import common  # noqa: E402


@signal(
    id="d8_strategic_sponsor_coverage", dimension="D8",
    name_en="Executive sponsors for strategic partners", name_nl="Executive sponsors voor strategische partners",
    question="Does a senior person on our side stand behind each top-tier partner?",
    definition="Share of gold and platinum partners on the as-of date with a named executive sponsor that day.",
    formula="count(gold/platinum partners on D with exec_sponsor_id) / count(gold/platinum partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner; tier and sponsor as of the date (partner history)",
    min_n=3, data_needed=("partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="A name in a field; the executive meetings signal shows whether the sponsor shows up.",
    goalpost_reason="No sponsors is a relationship held by one manager; 90% is executives who own partners.",
)
def strategic_sponsor_coverage(ctx: SignalContext) -> SignalResult:
    versions = ctx.table("partner_versions")
    return common.share_of_strategic(ctx, ctx.version_intervals(versions["exec_sponsor_id"].notna()))


@signal(
    id="d8_exec_meetings_per_strategic_partner", dimension="D8",
    name_en="Executive meetings with strategic partners", name_nl="Directieoverleg met strategische partners",
    question="Do our executives actually meet the partners they sponsor?",
    definition="Executive meetings held in the 182 days up to the as-of date with partners that are gold or "
               "platinum on the as-of date, per such partner.",
    formula="count(exec_meeting activities in (D-182, D] with gold/platinum partners on D) / count(gold/platinum "
            "partners on D)",
    unit="per_partner", direction="higher", window_days=182,
    attribution="per meeting, with the partner's tier as of the as-of date",
    min_n=3, data_needed=("activities", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="Meetings logged by executives are often missing from the CRM: an undercount.",
    goalpost_reason="None is a relationship without executive weight; two a half-year is a real sponsorship.",
)
def exec_meetings_per_strategic_partner(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    meetings = acts[acts["activity_type"].eq("exec_meeting")]
    strategic = ctx.strategic_intervals()
    keys, dates = ctx.partner_grid()
    is_strategic = tl.keyed_open_on(strategic["key"], strategic["start"], strategic["end"], keys, dates) > 0
    count = tl.keyed_window_sum(meetings["partner_id"], meetings["occurred_at"], keys[is_strategic],
                                dates[is_strategic], 182)
    frame = pd.DataFrame({"as_of": dates[is_strategic], "count": count})
    per_date = frame.groupby("as_of")["count"].agg(["sum", "size"]).reindex(ctx.dates, fill_value=0)
    n = per_date["size"].to_numpy(float)
    return SignalResult(tl.ratio(per_date["sum"].to_numpy(float), n), n, not_applicable=n == 0)


def _answers(ctx: SignalContext):
    surveys = ctx.table("partner_surveys")
    return surveys[surveys["responded_on"].notna() & surveys["nps_score"].notna()]


@signal(
    id="d8_promoter_share", dimension="D8",
    name_en="Promoters among partners", name_nl="Promotors onder partners",
    question="How many partners would recommend working with us?",
    definition="Share of partner survey answers in the 365 days up to the as-of date that score 9 or 10.",
    formula="count(nps_score >= 9 | responded in (D-365, D]) / count(responded in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="per answer",
    min_n=5, data_needed=("partner_surveys",), level="ecosystem",
    not_applicable="never",
    biases="Happy partners answer more often (non-response bias); read it with the response rate.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py), consistent with the NPS "
                    "goalposts.",
)
def promoter_share(ctx: SignalContext) -> SignalResult:
    answers = _answers(ctx)
    return common.windowed_share(ctx, answers["responded_on"], answers["nps_score"].ge(9).to_numpy(float), 365)


@signal(
    id="d8_detractor_share", dimension="D8",
    name_en="Detractors among partners", name_nl="Criticasters onder partners",
    question="How many partners would warn others off working with us?",
    definition="Share of partner survey answers in the 365 days up to the as-of date that score 0 to 6.",
    formula="count(nps_score <= 6 | responded in (D-365, D]) / count(responded in (D-365, D])",
    unit="share", direction="lower", window_days=365,
    attribution="per answer",
    min_n=5, data_needed=("partner_surveys",), level="ecosystem",
    not_applicable="never",
    biases="Unhappy partners who stopped answering are invisible.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py), consistent with the NPS "
                    "goalposts.",
)
def detractor_share(ctx: SignalContext) -> SignalResult:
    answers = _answers(ctx)
    return common.windowed_share(ctx, answers["responded_on"], answers["nps_score"].le(6).to_numpy(float), 365)


@signal(
    id="d8_engaged_relationship_share", dimension="D8",
    name_en="Partners in regular contact", name_nl="Partners in regelmatig contact",
    question="How many partners did we actually talk to this quarter?",
    definition="Share of partners in the programme on the as-of date with at least one logged interaction in the "
               "90 days up to it.",
    formula="count(active partners with an activity in (D-90, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=90,
    attribution="per partner, any activity type and initiator",
    min_n=3, data_needed=("activities", "partners"), level="partner",
    not_applicable="never",
    biases="An automated email logged as an activity counts as contact.",
    goalpost_reason="The least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def engaged_relationship_share(ctx: SignalContext) -> SignalResult:
    share, active = ctx.share_of_active(_contact(ctx))
    return SignalResult(share, active)


def _contact(ctx: SignalContext):
    acts = ctx.table("activities")
    return tl.event_coverage(acts["partner_id"].to_numpy(), acts["occurred_at"], 90)


@partner_values("d8_engaged_relationship_share",
                "1 when an interaction with the partner was logged in the 90 days, else 0; the ecosystem value is "
                "the mean over the partners in the programme.")
def engaged_relationship_by_partner(ctx: SignalContext):
    return ctx.partner_coverage(_contact(ctx))


@signal(
    id="d8_partners_reaching_out", dimension="D8",
    name_en="Partners who reach out to us", name_nl="Partners die zelf contact zoeken",
    question="How many partners start conversations with us, not only answer ours?",
    definition="Share of partners in the programme on the as-of date that initiated at least one interaction in "
               "the 90 days up to it.",
    formula="count(active partners with an activity initiated_by = partner in (D-90, D]) / count(active partners "
            "on D)",
    unit="share", direction="higher", window_days=90,
    attribution="per partner",
    min_n=3, data_needed=("activities", "partners"), level="ecosystem",
    not_applicable="never",
    biases="Depends on who logs the interaction; partner-initiated calls are often not logged.",
    goalpost_reason="The least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def partners_reaching_out(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    theirs = acts[acts["initiated_by"].eq("partner")]
    share, active = ctx.share_of_active(tl.event_coverage(theirs["partner_id"].to_numpy(), theirs["occurred_at"], 90))
    return SignalResult(share, active)


@signal(
    id="d8_feedback_sessions_per_10_partners", dimension="D8",
    name_en="Feedback sessions", name_nl="Feedbacksessies",
    question="Is there room for open feedback both ways?",
    definition="Feedback sessions logged in the 90 days up to the as-of date, per ten partners in the programme on "
               "that date.",
    formula="10 * count(feedback activities in (D-90, D]) / count(active partners on D)",
    unit="per_10_partners", direction="higher", window_days=90,
    attribution="per feedback activity",
    min_n=3, data_needed=("activities", "partners"), level="ecosystem",
    not_applicable="never",
    biases="Counts sessions, not whether the feedback was acted on.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py).",
)
def feedback_sessions_per_10_partners(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    feedback = acts[acts["activity_type"].eq("feedback")]
    active = ctx.active_partners()
    return SignalResult(10.0 * tl.ratio(tl.window_sum(feedback["occurred_at"], ctx.dates, 90), active), active)


@signal(
    id="d8_strategic_exec_contact", dimension="D8",
    name_en="Strategic partners met by an executive", name_nl="Strategische partners gesproken door de directie",
    question="Has every top-tier partner met one of our executives lately?",
    definition="Share of gold and platinum partners on the as-of date with an executive meeting in the 182 days up "
               "to it.",
    formula="count(gold/platinum partners on D with an exec_meeting in (D-182, D]) / count(gold/platinum partners "
            "on D)",
    unit="share", direction="higher", window_days=182,
    attribution="per partner; tier as of the date",
    min_n=3, data_needed=("activities", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="Executive meetings are often not logged in the CRM: an undercount.",
    goalpost_reason="The least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def strategic_exec_contact(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    meetings = acts[acts["activity_type"].eq("exec_meeting")]
    return common.share_of_strategic(ctx, tl.event_coverage(meetings["partner_id"].to_numpy(),
                                                            meetings["occurred_at"], 182))
