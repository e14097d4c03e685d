"""D6 Performance Management: do we measure the right things and steer on them with partners?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal

FORECAST_TOLERANCE_DAYS = 15


@signal(
    id="d6_target_coverage", dimension="D6",
    name_en="Partners with a target", name_nl="Partners met een target",
    question="Do partners know what is expected of them right now?",
    definition="Share of partners in the programme on the as-of date that have a revenue target for a period "
               "covering that day.",
    formula="count(active partners on D with period_start <= D <= period_end) / count(active partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner",
    min_n=3, data_needed=("partner_targets", "partners"), level="partner",
    not_applicable="never",
    biases="A target nobody reviews is still counted; see the scorecard-review signal.",
    goalpost_reason="5% with targets is steering on gut feel; 95% is a programme that sets expectations.",
)
def target_coverage(ctx: SignalContext) -> SignalResult:
    targets = ctx.table("partner_targets")
    intervals = pd.DataFrame({"key": targets["partner_id"].to_numpy(), "start": tl.as_days(targets["period_start"]),
                              "end": tl.as_days(targets["period_end"]) + np.timedelta64(1, "D")})
    share, active = ctx.share_of_active(intervals)
    return SignalResult(share, active)


@signal(
    id="d6_forecast_accuracy", dimension="D6",
    name_en="Forecast accuracy of partner deals", name_nl="Voorspelnauwkeurigheid partnerdeals",
    question="When a partner deal is forecast to close, does it close then?",
    definition="Share of partner deals won in the 365 days up to the as-of date that closed within 15 days of "
               "the close date forecast when they were created.",
    formula="count(|closed_on - expected_close_on| <= 15 | partner, won, closed in (D-365, D]) / "
            "count(partner, won with a forecast, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="partner-attributed deals (sourced or influenced)",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Lost deals are left out, since their forecast close is rarely maintained.",
    goalpost_reason="15% on time is a forecast nobody uses; 80% is pipeline one can steer on.",
)
def forecast_accuracy(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won") & ~opps["attribution"].eq("none") & opps["expected_close_on"].notna()]
    miss = np.abs((tl.as_days(won["closed_on"]) - tl.as_days(won["expected_close_on"])).astype(int))
    accurate = (miss <= FORECAST_TOLERANCE_DAYS).astype(float)
    n = tl.window_sum(won["closed_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(tl.window_sum(won["closed_on"], ctx.dates, 365, accurate), n), n)


@signal(
    id="d6_mdf_utilisation", dimension="D6",
    name_en="MDF utilisation", name_nl="Benutting van MDF",
    question="Do partners use the marketing funds we set aside for them?",
    definition="MDF claimed (not rejected) in the 365 days up to the as-of date, as a share of MDF allocated for "
               "periods starting in those 365 days.",
    formula="sum(claim amount_eur | status != rejected, submitted in (D-365, D]) / "
            "sum(allocation amount_eur | period_start in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="per allocation and claim",
    min_n=3, data_needed=("mdf_allocations", "mdf_claims"), level="ecosystem",
    not_applicable="when the organisation has never allocated MDF by that date (no MDF programme)",
    biases="Claims trail allocations by a quarter or more, so a fast-growing budget reads low.",
    goalpost_reason="A quarter used means funds nobody can reach; 90% is a fund that works (Bloomitize).",
)
def mdf_utilisation(ctx: SignalContext) -> SignalResult:
    alloc = ctx.table("mdf_allocations")
    claims = ctx.table("mdf_claims")
    claims = claims[~claims["status"].eq("rejected")]
    allocated = tl.window_sum(alloc["period_start"], ctx.dates, 365, alloc["amount_eur"].to_numpy(float))
    claimed = tl.window_sum(claims["submitted_on"], ctx.dates, 365, claims["amount_eur"].to_numpy(float))
    n = tl.window_sum(alloc["period_start"], ctx.dates, 365)
    return SignalResult(tl.ratio(claimed, allocated), n,
                        not_applicable=~ctx.ever_before("mdf_allocations", "period_start"))


@signal(
    id="d6_scorecard_review_coverage", dimension="D6",
    name_en="Partners who got a scorecard review", name_nl="Partners met een scorecardbespreking",
    question="Do partners get feedback on their performance, or only a dashboard?",
    definition="Share of partners in the programme on the as-of date with a scorecard review in the 92 days up "
               "to that date.",
    formula="count(active partners with a scorecard_review activity in (D-92, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=92,
    attribution="activities of type scorecard_review",
    min_n=3, data_needed=("activities", "partners"), level="partner",
    not_applicable="never",
    biases="Counts the conversation, not its quality.",
    goalpost_reason="No reviews is 'dashboards nobody reads'; 90% a quarter is feedback as a habit.",
)
def scorecard_review_coverage(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    reviews = acts[acts["activity_type"].eq("scorecard_review")]
    share, active = ctx.share_of_active(tl.event_coverage(reviews["partner_id"].to_numpy(), reviews["occurred_at"], 92))
    return SignalResult(share, active)


@partner_values("d6_target_coverage",
                "1 when the partner has a target for a period that includes the date, else 0; the ecosystem value "
                "is the mean over the partners in the programme.")
def target_by_partner(ctx: SignalContext):
    targets = ctx.table("partner_targets")
    return ctx.partner_coverage(pd.DataFrame({
        "key": targets["partner_id"].to_numpy(), "start": tl.as_days(targets["period_start"]),
        "end": tl.as_days(targets["period_end"]) + np.timedelta64(1, "D")}))


@partner_values("d6_scorecard_review_coverage",
                "1 when the partner had a scorecard review in the 92 days, else 0; the ecosystem value is the mean "
                "over the partners in the programme.")
def scorecard_review_by_partner(ctx: SignalContext):
    acts = ctx.table("activities")
    reviews = acts[acts["activity_type"].eq("scorecard_review")]
    return ctx.partner_coverage(tl.event_coverage(reviews["partner_id"].to_numpy(), reviews["occurred_at"], 92))


# --- the wider catalogue -------------------------------------------------------------------------------------------
from signals import common  # noqa: E402


def _attainment(ctx: SignalContext) -> tuple[np.ndarray, np.ndarray]:
    """Per target period: (its attainment, its last day, its target amount)."""
    targets = ctx.table("partner_targets")
    targets = targets[targets["target_amount_eur"].gt(0)]
    won = common.partner_won(ctx)
    achieved = common.amount_between(won, targets["partner_id"].to_numpy(), targets["period_start"],
                                     targets["period_end"])
    target = targets["target_amount_eur"].to_numpy(float)
    return achieved / target, tl.as_days(targets["period_end"]), target


@signal(
    id="d6_scorecard_reviews_per_partner", dimension="D6",
    name_en="Scorecard reviews per partner this year", name_nl="Scorecardreviews per partner dit jaar",
    question="How often does a partner get a structured look at its performance?",
    definition="Scorecard reviews held in the 365 days up to the as-of date, per partner in the programme on that "
               "date.",
    formula="count(scorecard_review activities in (D-365, D]) / count(active partners on D)",
    unit="per_partner", direction="higher", window_days=365,
    attribution="per review",
    min_n=3, data_needed=("activities", "partners"), level="partner",
    not_applicable="never",
    biases="Reviews with partners that left during the year still count in the numerator.",
    goalpost_reason="None is steering blind; a review every quarter (four a year) is performance management as a "
                    "rhythm.",
)
def scorecard_reviews_per_partner(ctx: SignalContext) -> SignalResult:
    reviews = _reviews(ctx)
    active = ctx.active_partners()
    return SignalResult(tl.ratio(tl.window_sum(reviews["occurred_at"], ctx.dates, 365), active), active)


def _reviews(ctx: SignalContext):
    acts = ctx.table("activities")
    return acts[acts["activity_type"].eq("scorecard_review")]


@partner_values("d6_scorecard_reviews_per_partner",
                "Scorecard reviews with the partner in the 365 days; the ecosystem value is the sum over all "
                "reviews divided by the partners in the programme.")
def scorecard_reviews_by_partner(ctx: SignalContext):
    reviews = _reviews(ctx)
    keys, dates = ctx.partner_grid()
    return ctx.partner_frame(tl.keyed_window_sum(reviews["partner_id"], reviews["occurred_at"], keys, dates, 365),
                             np.ones(len(keys)))


@signal(
    id="d6_targets_met_share", dimension="D6",
    name_en="Partner targets met", name_nl="Behaalde partnertargets",
    question="How many partners meet their target?",
    definition="Share of the partner target periods that ended in the 365 days up to the as-of date in which the "
               "partner's won amount reached the target.",
    formula="count(attainment >= 1 | period_end in (D-365, D]) / count(period_end in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="per target period",
    min_n=3, data_needed=("partner_targets", "opportunities"), level="ecosystem",
    not_applicable="when no target period has ever ended by that date",
    biases="A threshold: 99% of target counts as missed.",
    goalpost_reason="The least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def targets_met_share(ctx: SignalContext) -> SignalResult:
    ratio, ended, _target = _attainment(ctx)
    return common.windowed_share(ctx, ended, (ratio >= 1.0).astype(float), 365,
                                 not_applicable=~ctx.ever_before("partner_targets", "period_end"))


@signal(
    id="d6_mdf_roi", dimension="D6",
    name_en="Return on market development funds", name_nl="Rendement van marketingfondsen (MDF)",
    question="What do the funds we give partners for marketing bring back?",
    definition="Won amount of opportunities from MDF-funded campaigns closed in the 365 days up to the as-of date, "
               "divided by the MDF paid out to partners in those 365 days.",
    formula="sum(amount_eur | won, campaign funded by an approved MDF request, closed in (D-365, D]) / "
            "sum(paid claim amount_eur | paid_on in (D-365, D])",
    unit="ratio", direction="higher", window_days=365,
    attribution="the campaign on the opportunity, funded by an approved MDF request",
    min_n=3, data_needed=("mdf_requests", "mdf_claims", "opportunities"), level="ecosystem",
    not_applicable="when the organisation has no MDF programme (no allocation ever made by that date)",
    biases="Deals influenced by the campaign but not tagged with it are missed; payouts and wins fall in different "
           "windows for long cycles.",
    goalpost_reason="1:1 is funds that only pay for themselves; 12:1 is MDF that builds a channel (Channelscaler).",
)
def mdf_roi(ctx: SignalContext) -> SignalResult:
    requests = ctx.table("mdf_requests")
    approved = requests[requests["status"].eq("approved") & requests["campaign_id"].notna()]
    funded_on = approved.groupby("campaign_id")["decided_on"].min().reset_index()
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won") & opps["campaign_id"].isin(funded_on["campaign_id"])]
    claims = ctx.table("mdf_claims")
    paid = claims[claims["paid_on"].notna()]
    # A deal counts from the day its campaign's funding was decided: as of D, only funding decided by D.
    known = common.lookup_days(won["campaign_id"], funded_on, "campaign_id", "decided_on")
    returned = tl.known_window_sum(won["closed_on"], known, ctx.dates, 365,
                                   np.nan_to_num(won["amount_eur"].to_numpy(float)))
    spent = tl.window_sum(paid["paid_on"], ctx.dates, 365, paid["amount_eur"].to_numpy(float))
    return SignalResult(tl.ratio(returned, spent), tl.window_sum(paid["paid_on"], ctx.dates, 365),
                        not_applicable=~ctx.ever_before("mdf_allocations", "period_start"))


@signal(
    id="d6_scorecard_review_delay", dimension="D6",
    name_en="Days from quarter end to partner feedback", name_nl="Dagen van kwartaaleinde tot partnerfeedback",
    question="How soon after a quarter do partners hear how they did?",
    definition="Median days from the end of the previous calendar quarter to each scorecard review held in the 365 "
               "days up to the as-of date.",
    formula="median(occurred_on - last day of the quarter before occurred_on | scorecard_review, occurred in "
            "(D-365, D])",
    unit="days", direction="lower", window_days=365,
    attribution="per scorecard review",
    min_n=3, data_needed=("activities",), level="ecosystem",
    not_applicable="when no scorecard review has ever been held by that date",
    biases="A review late in a quarter counts as a long delay even if it discusses the current quarter.",
    goalpost_reason="Two months after the quarter is feedback too late to act on; a week is a steering rhythm.",
)
def scorecard_review_delay(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    reviews = acts[acts["activity_type"].eq("scorecard_review")]
    day = pd.to_datetime(reviews["occurred_at"]).dt.normalize()
    quarter_end = day.dt.to_period("Q").dt.start_time - pd.Timedelta(days=1)
    delay = (day - quarter_end).dt.days.to_numpy(float)
    return common.windowed_median(ctx, day, delay, 365, not_applicable=tl.cumulative_sum(day, ctx.dates) == 0)


@signal(
    id="d6_strategic_scorecard_coverage", dimension="D6",
    name_en="Scorecards for strategic partners", name_nl="Scorecards voor strategische partners",
    question="Do the most important partners get regular performance feedback?",
    definition="Share of gold and platinum partners on the as-of date with a scorecard review in the 92 days up to "
               "it.",
    formula="count(gold/platinum partners on D with a scorecard_review in (D-92, D]) / count(gold/platinum "
            "partners on D)",
    unit="share", direction="higher", window_days=92,
    attribution="per partner; tier as of the date",
    min_n=3, data_needed=("activities", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="Counts that a review was logged, not what it said.",
    goalpost_reason="As for scorecard coverage of all partners.",
)
def strategic_scorecard_coverage(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    reviews = acts[acts["activity_type"].eq("scorecard_review")]
    return common.share_of_strategic(ctx, tl.event_coverage(reviews["partner_id"].to_numpy(), reviews["occurred_at"],
                                                            92))


@signal(
    id="d6_forecast_slip_days", dimension="D6",
    name_en="Forecast slip of partner deals", name_nl="Afwijking van de prognose bij partnerdeals",
    question="By how many days does the expected close of a partner deal miss?",
    definition="Median absolute difference in days between the expected and the actual close of partner deals won "
               "in the 365 days up to the as-of date.",
    formula="median(|closed_on - expected_close_on| | won, partner, closed in (D-365, D])",
    unit="days", direction="lower", window_days=365,
    attribution="partner = sourced or influenced",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Only the forecast made at creation is kept; later re-forecasts are not judged.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): a month and more against "
                    "forecasts that land within the fortnight."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def forecast_slip_days(ctx: SignalContext) -> SignalResult:
    won = common.partner_won(ctx)
    won = won[won["expected_close_on"].notna()]
    slip = np.abs(common.duration_days(won["closed_on"], won["expected_close_on"]))
    return common.windowed_median(ctx, won["closed_on"], slip, 365)


@signal(
    id="d6_strategic_target_coverage", dimension="D6",
    name_en="Strategic partners with a target", name_nl="Strategische partners met een target",
    question="Do the partners that matter most know what is expected of them?",
    definition="Share of gold and platinum partners on the as-of date with a revenue target for a period that "
               "includes that day.",
    formula="count(gold/platinum partners on D with period_start <= D <= period_end) / count(gold/platinum "
            "partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner; tier as of the date",
    min_n=3, data_needed=("partner_targets", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="A target on paper, not a target agreed with the partner.",
    goalpost_reason="As for target coverage of all partners."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def strategic_target_coverage(ctx: SignalContext) -> SignalResult:
    targets = ctx.table("partner_targets")
    return common.share_of_strategic(ctx, common.interval_frame(
        targets["partner_id"], targets["period_start"], tl.as_days(targets["period_end"]) + np.timedelta64(1, "D")))


@signal(
    id="d6_forecast_accuracy_91d", dimension="D6",
    name_en="Forecast accuracy this quarter", name_nl="Voorspelnauwkeurigheid dit kwartaal",
    question="Are partner deals closing when we said they would, lately?",
    definition="Share of partner deals won in the 91 days up to the as-of date that closed within 15 days of the "
               "close date expected when they were created.",
    formula="count(|closed_on - expected_close_on| <= 15 | won, partner, closed in (D-91, D]) / count(won, "
            "partner, closed in (D-91, D])",
    unit="share", direction="higher", window_days=91,
    attribution="partner = sourced or influenced",
    min_n=5, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="A quarter holds few deals in a small programme; n says how many.",
    goalpost_reason="As for the yearly forecast accuracy.",
)
def forecast_accuracy_91d(ctx: SignalContext) -> SignalResult:
    won = common.partner_won(ctx)
    won = won[won["expected_close_on"].notna()]
    slip = np.abs(common.duration_days(won["closed_on"], won["expected_close_on"]))
    return common.windowed_share(ctx, won["closed_on"], (slip <= FORECAST_TOLERANCE_DAYS).astype(float), 91)
