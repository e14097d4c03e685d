"""D3 Partner Portfolio: a deliberate mix of partner types and dependencies, or a monoculture?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal

PARTNER_TYPES = ("reseller", "system_integrator", "isv", "msp", "referral", "distributor")


@signal(
    id="d3_type_mix_entropy", dimension="D3",
    name_en="Partner-type mix", name_nl="Mix van partnertypes",
    question="Is the partner base a healthy mix of roles, or one type only?",
    definition="Shannon entropy of the partner types of the partners in the programme on the as-of date, divided "
               "by its maximum (all six types equally present).",
    formula="-sum(p_t * ln p_t) / ln 6, p_t = share of active partners of type t on D",
    unit="ratio", direction="higher", window_days=None,
    attribution="per partner, by its recorded type",
    min_n=3, data_needed=("partners",), level="ecosystem",
    not_applicable="never",
    biases="Counts partners, not revenue: twenty dormant ISVs look like diversity.",
    goalpost_reason="One dominant type is a monoculture; 0.85 is a broad, deliberate mix. A dozen partners cannot "
                    "spread as widely, so the early-stage goalposts are lower.",
)
def type_mix_entropy(ctx: SignalContext) -> SignalResult:
    partners = ctx.table("partners")
    counts = np.column_stack([
        tl.open_on(partners["onboarded_on"], partners["churned_on"], ctx.dates,
                   partners["partner_type"].eq(t).to_numpy(float))
        for t in PARTNER_TYPES
    ])
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / total[:, None]
        entropy = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1) / np.log(len(PARTNER_TYPES))
    return SignalResult(np.where(total > 0, entropy, np.nan), total)


def _partner_window_sums(partner_ids, event_days, amounts, dates: np.ndarray, window_days: int) -> np.ndarray:
    """dates x partners matrix of each partner's amount in (D - window, D]: one cumulative pass over a day grid."""
    days = tl.as_days(event_days)
    keep = ~np.isnat(days) & ~np.isnan(amounts)
    if not keep.any():
        return np.zeros((len(dates), 0))
    days, amounts = days[keep], np.asarray(amounts, float)[keep]
    codes, _ = pd.factorize(np.asarray(partner_ids)[keep])
    origin = min(days.min(), (dates - np.timedelta64(window_days, "D")).min())
    span = int((max(days.max(), dates.max()) - origin).astype(int)) + 2
    grid = np.zeros((span, codes.max() + 1))
    np.add.at(grid, ((days - origin).astype(int) + 1, codes), amounts)
    cumulative = np.cumsum(grid, axis=0)
    hi = (dates - origin).astype(int) + 1
    lo = (dates - np.timedelta64(window_days, "D") - origin).astype(int) + 1
    return cumulative[hi] - cumulative[lo]


@signal(
    id="d3_partner_revenue_concentration", dimension="D3",
    name_en="Concentration of partner revenue", name_nl="Concentratie van partneromzet",
    question="Does the partner channel hang on a few partners?",
    definition="Normalised Herfindahl-Hirschman index of partner-sourced won amount by partner, over the 365 days "
               "up to the as-of date: 0 when spread evenly over all earning partners, 1 when one partner earns all.",
    formula="(sum(s_i^2) - 1/N) / (1 - 1/N), s_i = partner i's share of partner-sourced won amount_eur in "
            "(D-365, D], N = partners with any",
    unit="ratio", direction="lower", window_days=365,
    attribution="sourced deals, credited to their primary partner",
    min_n=3, data_needed=("opportunities",), level="partner",
    not_applicable="never",
    biases="Normalisation removes the 1/N floor, so a 3-partner channel can look unconcentrated; read it with "
           "the number of earning partners.",
    goalpost_reason="Above 0.5 one partner effectively is the channel; 0.05 is a broad base. Small programmes are "
                    "concentrated by construction, so early-stage partners get a higher floor.",
)
def partner_revenue_concentration(ctx: SignalContext) -> SignalResult:
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won") & opps["attribution"].eq("sourced") & opps["partner_id"].notna()]
    sums = _partner_window_sums(won["partner_id"].to_numpy(), won["closed_on"], won["amount_eur"].to_numpy(float),
                                ctx.dates, 365)
    total = sums.sum(axis=1)
    earning = (sums > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = sums / total[:, None]
        hhi = np.nansum(shares ** 2, axis=1)
        normalised = np.where(earning > 1, (hhi - 1.0 / earning) / (1.0 - 1.0 / earning), 1.0)
    value = np.where(total > 0, normalised, np.nan)
    return SignalResult(value, tl.window_sum(won["closed_on"], ctx.dates, 365))


@signal(
    id="d3_active_partner_ratio", dimension="D3",
    name_en="Active partners", name_nl="Actieve partners",
    question="How many of our partners actually do business with us?",
    definition="Share of partners in the programme on the as-of date that registered a deal or brought an "
               "opportunity in the 180 days up to that date.",
    formula="count(active partners with a registration or partner opportunity in (D-180, D]) / "
            "count(active partners on D)",
    unit="share", direction="higher", window_days=180,
    attribution="any registration by the partner, or an opportunity with it as primary partner",
    min_n=3, data_needed=("partners", "deal_registrations", "opportunities"), level="partner",
    not_applicable="never",
    biases="One registration a half-year counts as active; it says nothing about size.",
    goalpost_reason="15% active is a partner list, not a portfolio; 75% is a portfolio kept on purpose.",
)
def active_partner_ratio(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    opps = ctx.table("opportunities")
    opps = opps[opps["partner_id"].notna()]
    keys = np.concatenate([regs["partner_id"].to_numpy(), opps["partner_id"].to_numpy()])
    days = np.concatenate([tl.as_days(regs["submitted_at"]), tl.as_days(opps["created_on"])])
    share, active = ctx.share_of_active(tl.event_coverage(keys, days, 180))
    return SignalResult(share, active)


@signal(
    id="d3_partner_churn_rate", dimension="D3",
    name_en="Partner churn", name_nl="Partnerverloop",
    question="How many partners that were with us a year ago have left since?",
    definition="Of the partners in the programme 365 days before the as-of date, the share that left the "
               "programme by the as-of date.",
    formula="count(active on D-365, churned in (D-365, D]) / count(active on D-365)",
    unit="share", direction="lower", window_days=365,
    attribution="per partner",
    min_n=5, data_needed=("partners",), level="ecosystem",
    not_applicable="never",
    biases="Pruning dormant partners on purpose shows as churn; read it with the active-partner ratio.",
    goalpost_reason="Losing 45% a year is the fragile pattern of the frame; 5% is a stable base.",
)
def partner_churn_rate(ctx: SignalContext) -> SignalResult:
    iv = ctx.active_intervals()
    year = np.timedelta64(365, "D")
    starts = tl.as_days(iv["start"])
    cohort = tl.open_on(starts, iv["end"], ctx.dates - year)
    # Still in on D and already in a year earlier <=> the interval [start + 365, end) holds on D.
    stayed = tl.open_on(starts + year, iv["end"], ctx.dates)
    return SignalResult(tl.ratio(cohort - stayed, cohort), cohort)


@partner_values("d3_partner_revenue_concentration",
                "The partner's share of partner-sourced won revenue over the 365 days; the ecosystem value is the "
                "normalised sum of the squares of every earning partner's share (HHI), including partners who have left "
                "since.")
def revenue_share_by_partner(ctx: SignalContext):
    opps = ctx.table("opportunities")
    won = opps[opps["status"].eq("won") & opps["attribution"].eq("sourced") & opps["partner_id"].notna()]
    total = tl.window_sum(won["closed_on"], ctx.dates, 365, won["amount_eur"].to_numpy(float))
    keys, dates = ctx.partner_grid()
    own = tl.keyed_window_sum(won["partner_id"], won["closed_on"], keys, dates, 365, won["amount_eur"])
    deals = tl.keyed_window_sum(won["partner_id"], won["closed_on"], keys, dates, 365)
    return ctx.partner_frame(tl.ratio(own, total[np.searchsorted(ctx.dates, dates)]), deals)


@partner_values("d3_active_partner_ratio",
                "1 when the partner registered a deal or brought an opportunity in the 180 days, else 0; the "
                "ecosystem value is the mean over the partners in the programme.")
def active_partner_by_partner(ctx: SignalContext):
    regs = ctx.table("deal_registrations")
    opps = ctx.table("opportunities")
    opps = opps[opps["partner_id"].notna()]
    keys = np.concatenate([regs["partner_id"].to_numpy(), opps["partner_id"].to_numpy()])
    days = np.concatenate([tl.as_days(regs["submitted_at"]), tl.as_days(opps["created_on"])])
    return ctx.partner_coverage(tl.event_coverage(keys, days, 180))
