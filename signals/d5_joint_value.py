"""D5 Joint Value Creation: do we create together what neither could alone?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal


def _partner_opportunities(ctx: SignalContext):
    opps = ctx.table("opportunities")
    return opps[~opps["attribution"].eq("none") & opps["partner_id"].notna()]


@signal(
    id="d5_co_sell_share", dimension="D5",
    name_en="Co-selling", name_nl="Co-selling",
    question="Do we sell together with partners, or do they just pass deals on?",
    definition="Share of partner opportunities created in the 365 days up to the as-of date where a partner works "
               "the deal with us in a co-sell role.",
    formula="count(partner opportunities with a co_sell partner | created in (D-365, D]) / "
            "count(partner opportunities | created in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="opportunity_partners rows with role co_sell",
    min_n=10, data_needed=("opportunities", "opportunity_partners"), level="partner",
    not_applicable="never",
    biases="Depends on reps recording the partner's role.",
    goalpost_reason="2% co-sold is pass-through work; 45% is a real co-selling motion.",
)
def co_sell_share(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    links = ctx.table("opportunity_partners")
    co_sold = opps["opportunity_id"].isin(links.loc[links["role"].eq("co_sell"), "opportunity_id"]).to_numpy(float)
    n = tl.window_sum(opps["created_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(tl.window_sum(opps["created_on"], ctx.dates, 365, co_sold), n), n)


@signal(
    id="d5_win_rate_lift", dimension="D5",
    name_en="Win-rate lift with partners", name_nl="Hogere winkans met partners",
    question="Do we win more often when a partner is in the deal?",
    definition="Win rate of partner opportunities minus win rate of direct opportunities, over opportunities "
               "closed in the 365 days up to the as-of date.",
    formula="won/closed (partner, closed in (D-365, D]) - won/closed (direct, closed in (D-365, D])",
    unit="ratio", direction="higher", window_days=365,
    attribution="partner = sourced or influenced; direct = no partner attribution",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="when the organisation has no direct sales to compare with (no direct deal ever closed)",
    biases="Selection bias: partners attach to deals that were likelier to be won (Crossbeam). n is the smaller "
           "of the two groups.",
    goalpost_reason="No lift means partners add nothing to a deal; +20 points is the strong end of Crossbeam's "
                    "network data (average lift 11.7%).",
)
def win_rate_lift(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    closed = opps[opps["status"].isin(["won", "lost"])]
    partner = ~closed["attribution"].eq("none").to_numpy()
    won = closed["status"].eq("won").to_numpy(float)
    day = closed["closed_on"]
    n_partner = tl.window_sum(day, ctx.dates, 365, partner.astype(float))
    n_direct = tl.window_sum(day, ctx.dates, 365, (~partner).astype(float))
    rate_partner = tl.ratio(tl.window_sum(day, ctx.dates, 365, won * partner), n_partner)
    rate_direct = tl.ratio(tl.window_sum(day, ctx.dates, 365, won * ~partner), n_direct)
    ever_direct = tl.cumulative_sum(day, ctx.dates, (~partner).astype(float)) > 0
    return SignalResult(rate_partner - rate_direct, np.minimum(n_partner, n_direct), not_applicable=~ever_direct)


@signal(
    id="d5_multi_partner_deal_share", dimension="D5",
    name_en="Multi-partner deals", name_nl="Deals met meerdere partners",
    question="Do partners combine with each other around our customers?",
    definition="Share of partner opportunities created in the 365 days up to the as-of date that involve two or "
               "more distinct partners.",
    formula="count(partner opportunities with >= 2 partners | created in (D-365, D]) / "
            "count(partner opportunities | created in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="distinct partners in opportunity_partners, plus the primary partner",
    min_n=10, data_needed=("opportunities", "opportunity_partners"), level="ecosystem",
    not_applicable="never",
    biases="Implementation partners added after the sale count too.",
    goalpost_reason="Almost none is partners standing side by side; one in five is an ecosystem that composes.",
)
def multi_partner_deal_share(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    links = ctx.table("opportunity_partners")[["opportunity_id", "partner_id"]]
    involved = (pd.concat([opps[["opportunity_id", "partner_id"]], links], ignore_index=True)
                .groupby("opportunity_id")["partner_id"].nunique())
    multi = opps["opportunity_id"].map(involved).fillna(1).ge(2).to_numpy(float)
    n = tl.window_sum(opps["created_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(tl.window_sum(opps["created_on"], ctx.dates, 365, multi), n), n)


@signal(
    id="d5_joint_campaigns_per_10_partners", dimension="D5",
    name_en="Joint campaigns running", name_nl="Lopende gezamenlijke campagnes",
    question="How much do we go to market together with partners right now?",
    definition="Joint campaigns running on the as-of date, per ten partners in the programme.",
    formula="10 * count(joint campaigns with start_on <= D <= end_on) / count(active partners on D)",
    unit="per_10_partners", direction="higher", window_days=None,
    attribution="campaigns flagged joint",
    min_n=3, data_needed=("campaigns", "partners"), level="ecosystem",
    not_applicable="never",
    biases="Counts campaigns, not their reach or result.",
    goalpost_reason="One joint campaign per hundred partners is incidental; three per ten is systematic co-marketing.",
)
def joint_campaigns_per_10_partners(ctx: SignalContext) -> SignalResult:
    campaigns = ctx.table("campaigns")
    joint = campaigns[campaigns["is_joint"].fillna(False).astype(bool)]
    end = tl.as_days(joint["end_on"]) + np.timedelta64(1, "D")  # end_on is the campaign's last day
    running = tl.open_on(joint["start_on"], end, ctx.dates)
    active = ctx.active_partners()
    return SignalResult(10.0 * tl.ratio(running, active), active)


@partner_values("d5_co_sell_share",
                "Share of the partner's own opportunities (as primary partner) created in the 365 days that are "
                "co-sold; the ecosystem value pools all partner opportunities.")
def co_sell_by_partner(ctx: SignalContext):
    opps = _partner_opportunities(ctx)
    links = ctx.table("opportunity_partners")
    co_sold = opps["opportunity_id"].isin(links.loc[links["role"].eq("co_sell"), "opportunity_id"]).to_numpy(float)
    keys, dates = ctx.partner_grid()
    n = tl.keyed_window_sum(opps["partner_id"], opps["created_on"], keys, dates, 365)
    hits = tl.keyed_window_sum(opps["partner_id"], opps["created_on"], keys, dates, 365, co_sold)
    return ctx.partner_frame(tl.ratio(hits, n), n)
