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
    keys, days = ctx.commercial_events()
    share, active = ctx.share_of_active(ctx.event_coverage(keys, days, 180))
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
    keys, days = ctx.commercial_events()
    return ctx.partner_coverage(ctx.event_coverage(keys, days, 180))


# --- the wider catalogue -------------------------------------------------------------------------------------------
from signals import common  # noqa: E402

REGIONS = ("emea", "na", "latam", "apac")


def _sourced_sums(ctx: SignalContext) -> tuple[np.ndarray, np.ndarray]:
    """(dates x partners matrix of partner-sourced won amount over 365 days, number of such deals per date)."""
    def build():
        opps = ctx.table("opportunities")
        won = opps[opps["status"].eq("won") & opps["attribution"].eq("sourced") & opps["partner_id"].notna()]
        sums = _partner_window_sums(won["partner_id"].to_numpy(), won["closed_on"],
                                    won["amount_eur"].to_numpy(float), ctx.dates, 365)
        return sums, tl.window_sum(won["closed_on"], ctx.dates, 365)
    return ctx.cached("d3_sourced_sums", build)


def _top_share(ctx: SignalContext, k: int) -> SignalResult:
    sums, n = _sourced_sums(ctx)
    total = sums.sum(axis=1)
    top = -np.sort(-sums, axis=1)[:, :k].sum(axis=1) if sums.shape[1] else np.zeros(len(ctx.dates))
    return SignalResult(tl.ratio(top, total), n)


@signal(
    id="d3_top_partner_share", dimension="D3",
    name_en="Dependence on the top partner", name_nl="Afhankelijkheid van de grootste partner",
    question="How much of the partner channel walks out if one partner leaves?",
    definition="The largest single partner's share of partner-sourced won amount over the 365 days up to the "
               "as-of date.",
    formula="max_i(amount_i) / sum_i(amount_i), amount_i = partner i's sourced won amount_eur in (D-365, D]",
    unit="share", direction="lower", window_days=365,
    attribution="sourced deals, credited to their primary partner",
    min_n=3, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="A young programme with two partners is concentrated by construction; the stage goalposts allow for it.",
    goalpost_reason="Half the channel in one partner is a single point of failure; 5% is a resilient base.",
)
def top_partner_share(ctx: SignalContext) -> SignalResult:
    return _top_share(ctx, 1)


@signal(
    id="d3_top5_partner_share", dimension="D3",
    name_en="Share of the five largest partners", name_nl="Aandeel van de vijf grootste partners",
    question="Is the channel a handful of partners and a long silent tail?",
    definition="The five largest partners' share of partner-sourced won amount over the 365 days up to the as-of "
               "date.",
    formula="sum of the 5 largest amount_i / sum_i(amount_i), amount_i as for the top-partner share",
    unit="share", direction="lower", window_days=365,
    attribution="sourced deals, credited to their primary partner",
    min_n=5, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="With fewer than six earning partners it is 1 by construction; n and the stage goalposts allow for it.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): the whole channel in five "
                    "partners against a fifth of it in a large, broad base."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def top5_partner_share(ctx: SignalContext) -> SignalResult:
    return _top_share(ctx, 5)


@signal(
    id="d3_elephant_factor", dimension="D3",
    name_en="Elephant factor", name_nl="Olifantfactor",
    question="How few partners together bring half of the partner-sourced revenue?",
    definition="The smallest number of partners whose partner-sourced won amount over the 365 days up to the as-of "
               "date adds up to at least half of the total (CHAOSS elephant factor).",
    formula="min k such that the k largest amount_i sum to >= 0.5 * sum_i(amount_i)",
    unit="count", direction="higher", window_days=365,
    attribution="sourced deals, credited to their primary partner",
    min_n=3, data_needed=("opportunities",), level="ecosystem",
    not_applicable="never",
    biases="Grows with the size of the programme; the goalposts are set per stage.",
    goalpost_reason="One partner carrying half is an elephant; a handful (early stage) to a dozen or more (mature) "
                    "is a channel that survives a loss."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def elephant_factor(ctx: SignalContext) -> SignalResult:
    sums, n = _sourced_sums(ctx)
    total = sums.sum(axis=1)
    if not sums.shape[1]:
        return SignalResult(np.full(len(ctx.dates), np.nan), n)
    running = np.cumsum(-np.sort(-sums, axis=1), axis=1)
    k = (running < 0.5 * total[:, None]).sum(axis=1) + 1
    return SignalResult(np.where(total > 0, k.astype(float), np.nan), n)


def _region_counts(ctx: SignalContext) -> np.ndarray:
    """dates x regions: active partners per region (region as recorded on the partner)."""
    def build():
        partners = ctx.table("partners")
        cols = []
        for region in REGIONS:
            mine = partners["region"].eq(region).to_numpy()
            cols.append(tl.open_on(partners["onboarded_on"][mine], partners["churned_on"][mine], ctx.dates))
        return np.column_stack(cols)
    return ctx.cached("d3_region_counts", build)


@signal(
    id="d3_regions_covered", dimension="D3",
    name_en="Regions covered by partners", name_nl="Regio's gedekt door partners",
    question="Do partners reach the markets we sell in, or one home region only?",
    definition="Number of the four sales regions (EMEA, NA, LATAM, APAC) with at least one partner in the "
               "programme on the as-of date.",
    formula="count(regions r with active partners in r on D)",
    unit="count", direction="higher", window_days=None,
    attribution="per partner, by its recorded region",
    min_n=3, data_needed=("partners",), level="ecosystem",
    not_applicable="never",
    biases="A vendor that sells in one region only is judged against four; the region list is fixed.",
    goalpost_reason="One region is a home-market programme; all four is global coverage.",
)
def regions_covered(ctx: SignalContext) -> SignalResult:
    counts = _region_counts(ctx)
    total = counts.sum(axis=1)
    return SignalResult(np.where(total > 0, (counts > 0).sum(axis=1).astype(float), np.nan), total)


@signal(
    id="d3_region_balance", dimension="D3",
    name_en="Regional balance of partners", name_nl="Regionale spreiding van partners",
    question="Are partners spread over the regions, or piled up in one?",
    definition="Shannon entropy of the regions of the partners in the programme on the as-of date, divided by its "
               "maximum (all four regions equally present).",
    formula="-sum(p_r * ln p_r) / ln 4, p_r = share of active partners in region r on D",
    unit="ratio", direction="higher", window_days=None,
    attribution="per partner, by its recorded region",
    min_n=3, data_needed=("partners",), level="ecosystem",
    not_applicable="never",
    biases="Even spread is not always the goal: a vendor's own market may rightly dominate.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): one home region against a "
                    "spread over all four.",
)
def region_balance(ctx: SignalContext) -> SignalResult:
    counts = _region_counts(ctx)
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / total[:, None]
        entropy = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1) / np.log(len(REGIONS))
    return SignalResult(np.where(total > 0, entropy, np.nan), total)


@signal(
    id="d3_earning_partner_share", dimension="D3",
    name_en="Partners that win business", name_nl="Partners die omzet maken",
    question="How much of the portfolio actually closes deals?",
    definition="Share of partners in the programme on the as-of date that won at least one deal as primary partner "
               "(sourced or influenced) in the 365 days up to it.",
    formula="count(active partners with a won partner deal closed in (D-365, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=365,
    attribution="primary partner of the opportunity",
    min_n=3, data_needed=("opportunities", "partners"), level="partner",
    not_applicable="never",
    biases="One small deal counts as much as a large one.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): a few earners in a list of "
                    "names against a portfolio where most partners sell.",
)
def earning_partner_share(ctx: SignalContext) -> SignalResult:
    share, active = ctx.share_of_active(_earning(ctx))
    return SignalResult(share, active)


def _earning(ctx: SignalContext):
    won = common.partner_won(ctx)
    return ctx.event_coverage(won["partner_id"].to_numpy(), won["closed_on"], 365)


@partner_values("d3_earning_partner_share",
                "1 when the partner won a deal as primary partner in the 365 days, else 0; the ecosystem value is "
                "the mean over the partners in the programme.")
def earning_by_partner(ctx: SignalContext):
    return ctx.partner_coverage(_earning(ctx))


@signal(
    id="d3_engaged_partner_share_90d", dimension="D3",
    name_en="Partners engaged this quarter", name_nl="Partners actief dit kwartaal",
    question="How much of the portfolio did business with us in the last quarter?",
    definition="Share of partners in the programme on the as-of date that registered a deal or brought an "
               "opportunity in the 90 days up to it.",
    formula="count(active partners with a registration or partner opportunity in (D-90, D]) / count(active "
            "partners on D)",
    unit="share", direction="higher", window_days=90,
    attribution="per partner",
    min_n=3, data_needed=("deal_registrations", "opportunities", "partners"), level="ecosystem",
    not_applicable="never",
    biases="Seasonal businesses dip in quiet quarters; the 180-day active ratio is steadier.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py), below the 180-day ratio's range.",
)
def engaged_partner_share_90d(ctx: SignalContext) -> SignalResult:
    keys, days = ctx.commercial_events()
    share, active = ctx.share_of_active(ctx.event_coverage(keys, days, 90))
    return SignalResult(share, active)


@signal(
    id="d3_first_year_retention", dimension="D3",
    name_en="New partners still with us after a year", name_nl="Nieuwe partners na een jaar nog actief",
    question="Do the partners we recruit stay?",
    definition="Of the partners whose first anniversary in the programme fell in the 365 days up to the as-of "
               "date, the share still in the programme on that anniversary.",
    formula="count(churned_on is null or churned_on > onboarded_on + 365 | onboarded_on + 365 in (D-365, D]) / "
            "count(onboarded_on + 365 in (D-365, D])",
    unit="share", direction="higher", window_days=730,
    attribution="per partner",
    min_n=3, data_needed=("partners",), level="ecosystem",
    not_applicable="never; missing until partners have been in the programme a year",
    biases="A recruiting drive a year ago weighs heavily; a partner that rejoined counts from its first onboarding.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py): the first year is where a "
                    "careless recruiting policy shows.",
)
def first_year_retention(ctx: SignalContext) -> SignalResult:
    partners = ctx.table("partners")
    onboarded = tl.as_days(partners["onboarded_on"])
    anniversary = onboarded + np.timedelta64(365, "D")
    churned = tl.as_days(partners["churned_on"])
    stayed = (np.isnat(churned) | (churned > anniversary)).astype(float)
    return common.windowed_share(ctx, anniversary, stayed, 365)
