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


def _link_days(ctx: SignalContext, links, opps) -> np.ndarray:
    """The day each link row was recorded; a link without one counts from its opportunity's creation."""
    from signals.common import lookup_days

    added = tl.as_days(links["added_on"])
    created = lookup_days(links["opportunity_id"], opps, "opportunity_id", "created_on")
    return np.where(np.isnat(added), created, added)


def _per_opportunity(opps, keys, days) -> np.ndarray:
    """For each opportunity in `opps`: the day in `days` of its row in `keys` (NaT when it has none)."""
    from signals.common import lookup_days

    table = pd.DataFrame({"opportunity_id": np.asarray(keys, dtype=object),
                          "day": np.asarray(days, dtype="datetime64[D]").astype("datetime64[ns]")})
    return lookup_days(opps["opportunity_id"], table, "opportunity_id", "day")


def _co_sold_on(ctx: SignalContext, opps) -> np.ndarray:
    """Per opportunity: the day a co-selling partner was first recorded on it (NaT if never)."""
    links = ctx.table("opportunity_partners")
    co = links[links["role"].eq("co_sell")]
    first = pd.DataFrame({"opportunity_id": co["opportunity_id"].to_numpy(dtype=object),
                          "day": _link_days(ctx, co, opps)}).dropna().groupby("opportunity_id")["day"].min()
    return _per_opportunity(opps, first.index.to_numpy(dtype=object), first.to_numpy())


def _second_partner_on(ctx: SignalContext, opps) -> np.ndarray:
    """Per opportunity: the day a second distinct partner was on it (the primary partner counts from creation)."""
    links = ctx.table("opportunity_partners")
    rows = pd.concat([
        pd.DataFrame({"opportunity_id": opps["opportunity_id"].to_numpy(dtype=object),
                      "partner_id": opps["partner_id"].to_numpy(dtype=object),
                      "day": tl.as_days(opps["created_on"])}),
        pd.DataFrame({"opportunity_id": links["opportunity_id"].to_numpy(dtype=object),
                      "partner_id": links["partner_id"].to_numpy(dtype=object),
                      "day": _link_days(ctx, links, opps)})], ignore_index=True).dropna()
    per_partner = rows.groupby(["opportunity_id", "partner_id"])["day"].min().reset_index()
    per_partner = per_partner.sort_values(["opportunity_id", "day"], kind="stable")
    second = per_partner.groupby("opportunity_id").nth(1)
    return _per_opportunity(opps, second["opportunity_id"].to_numpy(dtype=object), second["day"].to_numpy())


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
    # Co-sold as of D: the co-selling partner was recorded on or before D, not merely by today.
    co_sold = tl.known_window_sum(opps["created_on"], _co_sold_on(ctx, opps), ctx.dates, 365)
    n = tl.window_sum(opps["created_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(co_sold, n), n)


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
    biases="Implementation partners added after the sale count too (from the day they were added).",
    goalpost_reason="Almost none is partners standing side by side; one in five is an ecosystem that composes.",
)
def multi_partner_deal_share(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    multi = tl.known_window_sum(opps["created_on"], _second_partner_on(ctx, opps), ctx.dates, 365)
    n = tl.window_sum(opps["created_on"], ctx.dates, 365)
    return SignalResult(tl.ratio(multi, n), n)


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
    keys, dates = ctx.partner_grid()
    n = tl.keyed_window_sum(opps["partner_id"], opps["created_on"], keys, dates, 365)
    hits = tl.keyed_known_window_sum(opps["partner_id"], opps["created_on"], _co_sold_on(ctx, opps), keys, dates,
                                     365)
    return ctx.partner_frame(tl.ratio(hits, n), n)


# --- the wider catalogue -------------------------------------------------------------------------------------------
from signals import common  # noqa: E402


def _closed_won(ctx: SignalContext):
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won")]
    return won, ~won["attribution"].eq("none").to_numpy()


@signal(
    id="d5_deal_size_lift", dimension="D5",
    name_en="Deal-size lift with partners", name_nl="Grotere deals met partners",
    question="Are deals larger when a partner is in them?",
    definition="Average won amount of partner deals divided by the average won amount of direct deals, minus one, "
               "over deals closed in the 365 days up to the as-of date.",
    formula="mean(amount_eur | won, partner, closed in (D-365, D]) / mean(amount_eur | won, direct, closed in "
            "(D-365, D]) - 1",
    unit="ratio", direction="higher", window_days=365,
    attribution="partner = sourced or influenced; direct = no partner attribution",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="when the organisation has never won a direct deal by that date",
    biases="Partners may be brought into large deals on purpose (selection); n is the smaller group.",
    goalpost_reason="Smaller partner deals (-10%) means partners add nothing to scope; +50% is partners adding "
                    "services and reach (Crossbeam, Forrester).",
)
def deal_size_lift(ctx: SignalContext) -> SignalResult:
    won, partner = _closed_won(ctx)
    amount = won["amount_eur"].to_numpy(float)
    day = won["closed_on"]
    n_p = tl.window_sum(day, ctx.dates, 365, partner.astype(float))
    n_d = tl.window_sum(day, ctx.dates, 365, (~partner).astype(float))
    mean_p = tl.ratio(tl.window_sum(day, ctx.dates, 365, np.where(partner, amount, 0.0)), n_p)
    mean_d = tl.ratio(tl.window_sum(day, ctx.dates, 365, np.where(partner, 0.0, amount)), n_d)
    ever_direct = tl.cumulative_sum(day, ctx.dates, (~partner).astype(float)) > 0
    return SignalResult(tl.ratio(mean_p, mean_d) - 1.0, np.minimum(n_p, n_d), not_applicable=~ever_direct)


@signal(
    id="d5_cycle_time_reduction", dimension="D5",
    name_en="Faster deals with partners", name_nl="Snellere deals met partners",
    question="Do partners shorten the sales cycle?",
    definition="One minus the ratio of the median sales cycle (created to closed, in days) of won partner deals to "
               "that of won direct deals, over deals closed in the 365 days up to the as-of date.",
    formula="1 - median(closed_on - created_on | won, partner, closed in (D-365, D]) / "
            "median(closed_on - created_on | won, direct, closed in (D-365, D])",
    unit="ratio", direction="higher", window_days=365,
    attribution="partner = sourced or influenced; direct = no partner attribution",
    min_n=10, data_needed=("opportunities",), level="ecosystem",
    not_applicable="when the organisation has never won a direct deal by that date",
    biases="Partner deals are often registered later in the cycle, which flatters them.",
    goalpost_reason="Slower partner deals (-10%) are hand-offs that add friction; 35% faster is a partner who "
                    "brings the customer ready to buy.",
)
def cycle_time_reduction(ctx: SignalContext) -> SignalResult:
    won, partner = _closed_won(ctx)
    cycle = common.duration_days(won["closed_on"], won["created_on"])
    day = won["closed_on"]
    med_p, n_p = tl.window_quantile(day[partner], cycle[partner], ctx.dates, 365)
    med_d, n_d = tl.window_quantile(day[~partner], cycle[~partner], ctx.dates, 365)
    ever_direct = tl.cumulative_sum(day, ctx.dates, (~partner).astype(float)) > 0
    return SignalResult(1.0 - tl.ratio(med_p, med_d), np.minimum(n_p, n_d), not_applicable=~ever_direct)


def _joint_campaigns(ctx: SignalContext):
    campaigns = ctx.table("campaigns")
    return campaigns[campaigns["is_joint"].fillna(False).astype(bool)]


@signal(
    id="d5_joint_campaign_pipeline_share", dimension="D5",
    name_en="Pipeline from joint campaigns", name_nl="Pijplijn uit gezamenlijke campagnes",
    question="Does joint marketing produce pipeline?",
    definition="Amount of partner opportunities created in the 365 days up to the as-of date that came from a joint "
               "campaign, as a share of the amount of all partner opportunities created then.",
    formula="sum(amount_eur | partner opportunity, campaign is joint, created in (D-365, D]) / "
            "sum(amount_eur | partner opportunity, created in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="the campaign recorded on the opportunity",
    min_n=10, data_needed=("opportunities", "campaigns"), level="ecosystem",
    not_applicable="never",
    biases="Depends on campaign attribution being recorded on the opportunity; last-touch at best.",
    goalpost_reason="No pipeline from joint campaigns is co-marketing for show; 35% is marketing that sells.",
)
def joint_campaign_pipeline_share(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    joint = opps["campaign_id"].isin(_joint_campaigns(ctx)["campaign_id"]).to_numpy(float)
    return common.windowed_share(ctx, opps["created_on"], joint, 365, opps["amount_eur"].to_numpy(float))


@signal(
    id="d5_live_joint_propositions", dimension="D5",
    name_en="Joint propositions in the market", name_nl="Gezamenlijke proposities in de markt",
    question="Do we have offers in the market that we built together with partners?",
    definition="Number of joint-proposition campaigns running on the as-of date.",
    formula="count(campaigns of type joint_proposition with start_on <= D <= end_on)",
    unit="count", direction="higher", window_days=None,
    attribution="campaigns of type joint_proposition",
    min_n=1, data_needed=("campaigns",), level="ecosystem",
    not_applicable="never; missing while no campaign at all is recorded (no marketing data connected)",
    biases="Counts propositions, not their uptake; a count grows with the size of the programme, so the goalposts "
           "are set per stage.",
    goalpost_reason="None is standing beside each other; two (early stage) to twelve (mature) live joint offers is "
                    "co-innovation as a practice.",
)
def live_joint_propositions(ctx: SignalContext) -> SignalResult:
    campaigns = ctx.table("campaigns")
    props = campaigns[campaigns["campaign_type"].eq("joint_proposition")]
    live = tl.open_on(props["start_on"], tl.as_days(props["end_on"]) + np.timedelta64(1, "D"), ctx.dates)
    # Without any campaign data by that date a zero would be a guess: missing, not "no propositions".
    known = ctx.ever_before("campaigns", "start_on")
    return SignalResult(np.where(known, live, np.nan), ctx.active_partners())


@signal(
    id="d5_partner_win_rate", dimension="D5",
    name_en="Win rate of partner deals", name_nl="Winkans van partnerdeals",
    question="How often do deals with a partner end in a win?",
    definition="Won partner opportunities as a share of partner opportunities closed (won or lost) in the 365 days "
               "up to the as-of date.",
    formula="count(won, partner, closed in (D-365, D]) / count(won or lost, partner, closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="partner = sourced or influenced",
    min_n=10, data_needed=("opportunities",), level="partner",
    not_applicable="never",
    biases="Market conditions move all win rates; the lift against direct deals corrects for that.",
    goalpost_reason="At the direct win rate (about 22%) partners add nothing; 42% is the strong lift on top of it.",
)
def partner_win_rate(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    closed = opps[opps["status"].isin(["won", "lost"])]
    return common.windowed_share(ctx, closed["closed_on"], closed["status"].eq("won").to_numpy(float), 365)


@partner_values("d5_partner_win_rate",
                "Won share of the partner's own closed opportunities (as primary partner) in the 365 days; the "
                "ecosystem value pools all partner opportunities.")
def partner_win_rate_by_partner(ctx: SignalContext):
    opps = _partner_opportunities(ctx)
    closed = opps[opps["status"].isin(["won", "lost"])]
    keys, dates = ctx.partner_grid()
    n = tl.keyed_window_sum(closed["partner_id"], closed["closed_on"], keys, dates, 365)
    won = tl.keyed_window_sum(closed["partner_id"], closed["closed_on"], keys, dates, 365,
                              closed["status"].eq("won").to_numpy(float))
    return ctx.partner_frame(tl.ratio(won, n), n)


@signal(
    id="d5_co_sold_won_share", dimension="D5",
    name_en="Partner revenue won by co-selling", name_nl="Partneromzet gewonnen met co-selling",
    question="Of the revenue partners bring, how much did we win side by side?",
    definition="Won amount of partner opportunities with a co-selling partner, as a share of all partner won "
               "amount, over deals closed in the 365 days up to the as-of date.",
    formula="sum(amount_eur | won, partner, co_sell row, closed in (D-365, D]) / sum(amount_eur | won, partner, "
            "closed in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="opportunity_partners rows with role co_sell",
    min_n=10, data_needed=("opportunities", "opportunity_partners"), level="ecosystem",
    not_applicable="never",
    biases="Depends on reps recording the partner's role.",
    goalpost_reason="As for the co-selling share, on amounts.",
)
def co_sold_won_share(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    won = opps[opps["status"].eq("won")]
    amount = np.nan_to_num(won["amount_eur"].to_numpy(float))
    co_sold = tl.known_window_sum(won["closed_on"], _co_sold_on(ctx, won), ctx.dates, 365, amount)
    total = tl.window_sum(won["closed_on"], ctx.dates, 365, amount)
    return SignalResult(tl.ratio(co_sold, total), tl.window_sum(won["closed_on"], ctx.dates, 365))


@signal(
    id="d5_joint_campaigns_started_per_10_partners", dimension="D5",
    name_en="Joint campaigns started this year", name_nl="Gezamenlijke campagnes gestart dit jaar",
    question="How often do we start something new together with partners?",
    definition="Joint campaigns started in the 365 days up to the as-of date, per ten partners in the programme on "
               "that date.",
    formula="10 * count(joint campaigns with start_on in (D-365, D]) / count(active partners on D)",
    unit="per_10_partners", direction="higher", window_days=365,
    attribution="campaigns flagged joint",
    min_n=3, data_needed=("campaigns", "partners"), level="ecosystem",
    not_applicable="never",
    biases="Counts starts, not results.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py).",
)
def joint_campaigns_started_per_10_partners(ctx: SignalContext) -> SignalResult:
    joint = _joint_campaigns(ctx)
    active = ctx.active_partners()
    return SignalResult(10.0 * tl.ratio(tl.window_sum(joint["start_on"], ctx.dates, 365), active), active)


@signal(
    id="d5_campaign_opportunity_share", dimension="D5",
    name_en="Partner deals from campaigns", name_nl="Partnerdeals uit campagnes",
    question="Do partner deals come out of marketing we do together, or out of nowhere?",
    definition="Share of partner opportunities created in the 365 days up to the as-of date that came from a "
               "joint campaign (count of deals).",
    formula="count(partner opportunity, joint campaign, created in (D-365, D]) / count(partner opportunity, "
            "created in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="the campaign recorded on the opportunity",
    min_n=10, data_needed=("opportunities", "campaigns"), level="ecosystem",
    not_applicable="never",
    biases="Last-touch attribution at best.",
    goalpost_reason="As for the pipeline share from joint campaigns, on counts.",
)
def campaign_opportunity_share(ctx: SignalContext) -> SignalResult:
    opps = _partner_opportunities(ctx)
    joint = opps["campaign_id"].isin(_joint_campaigns(ctx)["campaign_id"]).to_numpy(float)
    return common.windowed_share(ctx, opps["created_on"], joint, 365)
