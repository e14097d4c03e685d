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
