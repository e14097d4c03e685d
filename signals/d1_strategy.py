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
