"""D1 Strategy & Vision: does the partner ecosystem carry the business outcomes it exists for?"""

from __future__ import annotations

import numpy as np

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal

PARTNER_ATTRIBUTIONS = ("sourced", "influenced")


@signal(
    id="d1_partner_share_of_bookings", dimension="D1",
    name_en="Partner share of bookings", name_nl="Partneraandeel in geboekte omzet",
    question="How much of what we win, we win with partners?",
    definition="Won amount of opportunities sourced or influenced by a partner, as a share of all won amount, over "
               "the 365 days up to the as-of date.",
    formula="sum(amount_eur | won, closed in (D-365, D], attribution in {sourced, influenced}) / "
            "sum(amount_eur | won, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="primary credit on the opportunity: sourced or influenced by its partner; one credit per deal",
    min_n=10, data_needed=("opportunities",), level="partner",
    not_applicable="never: every programme books deals",
    biases="Influence is easy to over-claim; a written attribution rule keeps it honest. Amounts in currencies "
           "without a reference rate are left out.",
    goalpost_reason="5% is a programme in name only; 60% is where partner-led vendors sit (Triad, Pedowitz).",
)
def partner_share_of_bookings(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won")]
    partner = won["attribution"].isin(PARTNER_ATTRIBUTIONS).to_numpy()
    amount = won["amount_eur"].to_numpy(float)
    total = tl.window_sum(won["closed_on"], ctx.dates, 365, amount)
    with_partner = tl.window_sum(won["closed_on"], ctx.dates, 365, np.where(partner, amount, 0.0))
    n = tl.window_sum(won["closed_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(with_partner, total), n)


@signal(
    id="d1_partner_new_logo_share", dimension="D1",
    name_en="New logos via partners", name_nl="Nieuwe klanten via partners",
    question="Do partners open doors to customers we did not have?",
    definition="Share of won new-logo deals that a partner sourced, over the 365 days up to the as-of date.",
    formula="count(won, new logo, sourced, closed in (D-365, D]) / count(won, new logo, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="sourced only (first touch); influenced deals do not count as opened doors",
    min_n=5, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Depends on the CRM's new-logo flag being kept up to date.",
    goalpost_reason="Mirrors the bookings share, slightly lower: new logos are harder to source than expansions.",
)
def partner_new_logo_share(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    new_won = opps[opps["status"].eq("won") & opps["is_new_logo"].fillna(False).astype(bool)]
    sourced = new_won["attribution"].eq("sourced").to_numpy(float)
    n = tl.window_sum(new_won["closed_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(tl.window_sum(new_won["closed_on"], ctx.dates, 365, sourced), n), n)


@signal(
    id="d1_strategic_partner_plan_coverage", dimension="D1",
    name_en="Strategic partners with a joint business plan", name_nl="Strategische partners met joint business plan",
    question="Is the strategy written down with the partners who matter most?",
    definition="Share of gold and platinum partners in the programme on the as-of date that have a joint business "
               "plan running that day (started, not yet ended, not a draft).",
    formula="count(gold/platinum partners on D with a plan where start_on <= D <= end_on, status != draft) / "
            "count(gold/platinum partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner; tier as it was on the as-of date (partner history)",
    min_n=3, data_needed=("partner_versions", "joint_business_plans", "partners"), level="ecosystem",
    not_applicable="when the programme has no gold or platinum tier on that date (no tiers, or none that high)",
    biases="A plan abandoned later still counts for the days it ran, since the source keeps no abandonment date.",
    goalpost_reason="Top-tier partners without a plan are the clearest sign of a strategy kept in heads.",
)
def strategic_partner_plan_coverage(ctx: SignalContext) -> SignalResult:
    plans = ctx.table("joint_business_plans")
    plans = plans[~plans["status"].eq("draft")]
    end = tl.as_days(plans["end_on"]) + np.timedelta64(1, "D")  # end_on is the plan's last day
    planned = tl.merge_intervals(plans["partner_id"], plans["start_on"], end)
    strategic = ctx.strategic_intervals()
    covered = tl.intersect_intervals(planned, strategic)
    n = tl.open_on(strategic["start"], strategic["end"], ctx.dates)
    value = tl.ratio(tl.open_on(covered["start"], covered["end"], ctx.dates), n)
    return SignalResult(value, n, not_applicable=n == 0)


@signal(
    id="d1_partner_bookings_growth", dimension="D1",
    name_en="Growth of partner bookings", name_nl="Groei van partneromzet",
    question="Is the partner channel growing as a route to market?",
    definition="Won amount sourced or influenced by partners in the 365 days up to the as-of date, against the "
               "365 days before that, minus one.",
    formula="sum(partner won amount_eur, (D-365, D]) / sum(partner won amount_eur, (D-730, D-365]) - 1",
    unit="ratio", direction="higher", window_days=730,
    attribution="as for the bookings share",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never; missing in a programme's first two years (no year to compare with)",
    biases="One large deal moves it; a stage change (new segment) is not a strategy change.",
    goalpost_reason="A shrinking channel (-15%) is strategically adrift; +40% a year is a strong, deliberate push.",
)
def partner_bookings_growth(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won") & opps["attribution"].isin(PARTNER_ATTRIBUTIONS)]
    amount = won["amount_eur"].to_numpy(float)
    recent = tl.window_sum(won["closed_on"], ctx.dates, 365, amount)
    earlier = tl.window_sum(won["closed_on"], ctx.dates - np.timedelta64(365, "D"), 365, amount)
    n_earlier = tl.window_sum(won["closed_on"], ctx.dates - np.timedelta64(365, "D"), 365)
    # Until the data spans the whole earlier year, a comparison would count a part-year as a full one.
    created = tl.as_days(opps["created_on"])
    created = created[~np.isnat(created)]
    full_history = (ctx.dates - np.timedelta64(730, "D") >= created.min()) if len(created) else np.zeros(
        len(ctx.dates), bool)
    value = np.where(full_history, tl.ratio(recent, earlier) - 1.0, np.nan)
    return SignalResult(value, np.where(full_history, n_earlier, 0.0))


@partner_values("d1_partner_share_of_bookings",
                "The partner's own won amount (sourced or influenced as primary partner) over the 365 days, as a "
                "share of all won amount: summed over every partner they give the ecosystem value (partners who have left the "
                "programme since have no row, so the rows of a day can add up to less).")
def partner_share_of_bookings_by_partner(ctx: SignalContext):
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won")]
    amount = won["amount_eur"].to_numpy(float)
    total = tl.window_sum(won["closed_on"], ctx.dates, 365, amount)
    mine = won[won["attribution"].isin(PARTNER_ATTRIBUTIONS)]
    keys, dates = ctx.partner_grid()
    own = tl.keyed_window_sum(mine["partner_id"], mine["closed_on"], keys, dates, 365, mine["amount_eur"])
    deals = tl.keyed_window_sum(mine["partner_id"], mine["closed_on"], keys, dates, 365)
    total_on = total[np.searchsorted(ctx.dates, dates)]
    return ctx.partner_frame(tl.ratio(own, total_on), deals)


# --- the wider catalogue -------------------------------------------------------------------------------------------
from signals import common  # noqa: E402


@signal(
    id="d1_plan_attainment", dimension="D1",
    name_en="Joint business plans achieved", name_nl="Realisatie van joint business plans",
    question="Do the revenue goals written down with partners come true?",
    definition="For completed joint business plans whose period ended in the 365 days up to the as-of date: the "
               "won amount (sourced or influenced) of each plan's partner closed within its plan period, summed, "
               "divided by the plans' summed target revenue.",
    formula="sum over completed plans with end_on in (D-365, D] of sum(partner won amount_eur, closed in "
            "[start_on, end_on]) / sum(target_revenue_eur)",
    unit="ratio", direction="higher", window_days=365,
    attribution="per plan: the deals the plan's partner won as primary partner during the plan",
    min_n=3, data_needed=("joint_business_plans", "opportunities"), level="ecosystem",
    not_applicable="when no plan has ever ended by that date (no planning practice to judge)",
    biases="Plans with inflated targets look worse, sandbagged ones better; large plans weigh most. A plan's "
           "status is its latest one (the source keeps no status history).",
    goalpost_reason="20% of plan is a plan nobody steers on; 100% is a plan that is a real commitment.",
)
def plan_attainment(ctx: SignalContext) -> SignalResult:
    plans = ctx.table("joint_business_plans")
    plans = plans[plans["status"].eq("completed") & plans["target_revenue_eur"].gt(0)]
    won = common.partner_won(ctx)
    achieved = common.amount_between(won, plans["partner_id"].to_numpy(), plans["start_on"], plans["end_on"])
    target = plans["target_revenue_eur"].to_numpy(float)
    value = tl.ratio(tl.window_sum(plans["end_on"], ctx.dates, 365, achieved),
                     tl.window_sum(plans["end_on"], ctx.dates, 365, target))
    return SignalResult(value, tl.window_sum(plans["end_on"], ctx.dates, 365),
                        not_applicable=~ctx.ever_before("joint_business_plans", "end_on"))


@signal(
    id="d1_partner_pipeline_share", dimension="D1",
    name_en="Partner share of new pipeline", name_nl="Partneraandeel in nieuwe pijplijn",
    question="Is the future revenue being built with partners?",
    definition="Amount of opportunities created in the 365 days up to the as-of date with a partner as primary "
               "credit (sourced or influenced), as a share of the amount of all opportunities created then.",
    formula="sum(amount_eur | created in (D-365, D], attribution in {sourced, influenced}) / "
            "sum(amount_eur | created in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="primary credit on the opportunity",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never: every programme builds pipeline",
    biases="Pipeline is easier to claim than bookings; read it next to the bookings share.",
    goalpost_reason="As for the bookings share: pipeline leads bookings, so the same strategic range applies.",
)
def partner_pipeline_share(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    partner = opps["attribution"].isin(PARTNER_ATTRIBUTIONS).to_numpy(float)
    return common.windowed_share(ctx, opps["created_on"], partner, 365, opps["amount_eur"].to_numpy(float))


@signal(
    id="d1_partner_sourced_share_of_bookings", dimension="D1",
    name_en="Partner-sourced share of bookings", name_nl="Door partners aangebrachte omzet",
    question="How much of what we win did a partner bring to us in the first place?",
    definition="Won amount of opportunities a partner sourced, as a share of all won amount, over the 365 days up "
               "to the as-of date.",
    formula="sum(amount_eur | won, sourced, closed in (D-365, D]) / sum(amount_eur | won, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="sourced only: the partner brought the opportunity",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Stricter than the bookings share: influence does not count, so it under-reports co-selling programmes.",
    goalpost_reason="Sourced deals are about half of partner bookings in practice, so the range is the bookings "
                    "share's, halved.",
)
def partner_sourced_share_of_bookings(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won")]
    return common.windowed_share(ctx, won["closed_on"], won["attribution"].eq("sourced").to_numpy(float), 365,
                                 won["amount_eur"].to_numpy(float))


@signal(
    id="d1_enterprise_partner_share", dimension="D1",
    name_en="Partner share in the enterprise segment", name_nl="Partneraandeel in het enterprise-segment",
    question="Do partners carry us in the segment that matters most for revenue?",
    definition="Won amount in the enterprise segment with a partner as primary credit, as a share of all won "
               "enterprise amount, over the 365 days up to the as-of date.",
    formula="sum(amount_eur | won, enterprise, sourced/influenced, closed in (D-365, D]) / "
            "sum(amount_eur | won, enterprise, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="primary credit on the opportunity",
    min_n=5, data_needed=("opportunities",), level="ecosystem",
    not_applicable="when the organisation has never won an enterprise deal by that date",
    biases="Enterprise is taken as the target segment for every organisation; a mid-market strategy is not "
           "judged on its own target.",
    goalpost_reason="As for the bookings share: a strategy that targets a segment should show there first.",
)
def enterprise_partner_share(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won") & opps["segment"].eq("enterprise")]
    ever = tl.cumulative_sum(won["closed_on"], ctx.dates) > 0
    return common.windowed_share(ctx, won["closed_on"], won["attribution"].isin(PARTNER_ATTRIBUTIONS).to_numpy(float),
                                 365, won["amount_eur"].to_numpy(float), not_applicable=~ever)


@signal(
    id="d1_partner_won_deal_share", dimension="D1",
    name_en="Partner share of won deals", name_nl="Partneraandeel in gewonnen deals",
    question="In how many of our wins is a partner the reason?",
    definition="Won opportunities with a partner as primary credit, as a share of all won opportunities, over the "
               "365 days up to the as-of date (counts, not amounts).",
    formula="count(won, sourced/influenced, closed in (D-365, D]) / count(won, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="primary credit on the opportunity",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Counts small and large deals alike; next to the amount share it shows whether partners bring the "
           "small or the large deals.",
    goalpost_reason="As for the bookings share.",
)
def partner_won_deal_share(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won")]
    return common.windowed_share(ctx, won["closed_on"], won["attribution"].isin(PARTNER_ATTRIBUTIONS).to_numpy(float),
                                 365)


@signal(
    id="d1_partner_plan_coverage", dimension="D1",
    name_en="Partners with a joint business plan", name_nl="Partners met een joint business plan",
    question="Is the strategy written down with partners beyond the top tier?",
    definition="Share of partners in the programme on the as-of date with a joint business plan running that day "
               "(started, not yet ended, not a draft).",
    formula="count(active partners with a plan where start_on <= D <= end_on, status != draft) / "
            "count(active partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner",
    min_n=3, data_needed=("joint_business_plans", "partners"), level="partner",
    not_applicable="never",
    biases="Long-tail partners rarely merit a plan; the strategic-partner coverage is the sharper view.",
    goalpost_reason="Plans for a tenth of all partners is a focused, written strategy; none is a strategy in heads.",
)
def partner_plan_coverage(ctx: SignalContext) -> SignalResult:
    share, active = ctx.share_of_active(_plan_intervals(ctx))
    return SignalResult(share, active)


def _plan_intervals(ctx: SignalContext):
    plans = ctx.table("joint_business_plans")
    plans = plans[~plans["status"].eq("draft")]
    return common.interval_frame(plans["partner_id"], plans["start_on"],
                                 tl.as_days(plans["end_on"]) + np.timedelta64(1, "D"))


@partner_values("d1_partner_plan_coverage",
                "1 when the partner has a joint business plan running on the date, else 0; the ecosystem value is "
                "the mean over the partners in the programme.")
def partner_plan_by_partner(ctx: SignalContext):
    return ctx.partner_coverage(_plan_intervals(ctx))


@signal(
    id="d1_partner_share_of_bookings_91d", dimension="D1",
    name_en="Partner share of bookings this quarter", name_nl="Partneraandeel in omzet dit kwartaal",
    question="Where does the partner share stand now, not averaged over a year?",
    definition="Won amount with a partner as primary credit, as a share of all won amount, over the 91 days up to "
               "the as-of date.",
    formula="sum(amount_eur | won, sourced/influenced, closed in (D-91, D]) / sum(amount_eur | won, closed in "
            "(D-91, D])",
    unit="share", direction="higher", window_days=91,
    attribution="primary credit on the opportunity",
    min_n=5, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="A quarter is noisy with few large deals; the year view is steadier.",
    goalpost_reason="As for the yearly bookings share.",
)
def partner_share_of_bookings_91d(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won")]
    return common.windowed_share(ctx, won["closed_on"], won["attribution"].isin(PARTNER_ATTRIBUTIONS).to_numpy(float),
                                 91, won["amount_eur"].to_numpy(float))


@signal(
    id="d1_new_logo_partner_involved_share", dimension="D1",
    name_en="New logos with a partner involved", name_nl="Nieuwe klanten met een partner erbij",
    question="When we win a new customer, is a partner part of the story?",
    definition="Share of won new-logo deals with a partner as primary credit (sourced or influenced), over the 365 "
               "days up to the as-of date.",
    formula="count(won, new logo, sourced/influenced, closed in (D-365, D]) / count(won, new logo, closed in "
            "(D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="sourced or influenced",
    min_n=5, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Depends on the CRM's new-logo flag; influence is easy to over-claim.",
    goalpost_reason="Above the sourced new-logo share, since influence adds to sourcing.",
)
def new_logo_partner_involved_share(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    new_won = opps[opps["status"].eq("won") & opps["is_new_logo"].fillna(False).astype(bool)]
    return common.windowed_share(ctx, new_won["closed_on"],
                                 new_won["attribution"].isin(PARTNER_ATTRIBUTIONS).to_numpy(float), 365)
