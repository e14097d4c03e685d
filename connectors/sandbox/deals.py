"""Deal flow: direct and partner opportunities, deal registrations, and the partners involved in each deal.

Grain: `opportunities` one row per opportunity (versions at creation and at close), `deal_registrations` one row per
registration (versions at submission, decision, conflict resolution, conversion or expiry), `opportunity_partners`
one row per opportunity and involved partner (one version when the partner is added).

A partner deal starts as an "intent" on the day the partner first touches it: either a registration (which may be
approved and converted into an opportunity later) or an opportunity created directly. The whole life of a deal is
drawn in the month of its intent, so later months never rewrite it; what lies after `end` is simply not visible yet.

Volumes: the direct channel is the stage's volume times the D1 growth index; the partner channel is sized so that
the partner-attributed share of won amount is the D1 anchor given the D5 win-rate and deal-size uplifts. Partner
intents are spread over engaged partners with a concentration set by the D3 HHI anchor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import ndtri

from connectors.sandbox.anchors import anchor
from connectors.sandbox.randomness import (DAY, SECONDS_PER_DAY, Block, add_months, blocks, business_times,
                                           entry_lag, lognormal, month_start, random_days, to_days)
from connectors.sandbox.records import AMOUNT, BOOL, DATE, STR, TS, Step, build_versions, later
from connectors.sandbox.world import World

SEGMENTS = np.array(["smb", "mid_market", "enterprise"], dtype=object)
SEGMENT_MIX = np.array([0.55, 0.33, 0.12])
AMOUNT_MEDIAN_EUR = np.array([9_000.0, 38_000.0, 160_000.0])
AMOUNT_SIGMA = 0.55
CYCLE_MEDIAN_DAYS = np.array([35.0, 75.0, 150.0])
CYCLE_SIGMA = 0.45
MEAN_AMOUNT_EUR = float((SEGMENT_MIX * AMOUNT_MEDIAN_EUR).sum() * np.exp(AMOUNT_SIGMA**2 / 2))
DIRECT_WIN_RATE = 0.22
SOURCED_SHARE = 0.65
NEW_LOGO_DIRECT, NEW_LOGO_INFLUENCED = 0.35, 0.25
APPROVAL, APPROVAL_CONFLICT, CONVERSION = 0.85, 0.5, 0.92
TAIL_SHARE = 0.1             # of the sourced flow, left to partners outside the leading group
WARM_UP_MONTHS = 12          # deals started this long before history_start may still be open on it
REGIONS = np.array(["emea", "na", "apac", "latam"], dtype=object)
DIRECT_REGION_MIX = np.array([0.70, 0.15, 0.09, 0.06])
FX_EUR_PER_UNIT = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}   # dbt_like_sql/seeds/ref_fx_rates.csv
SECONDARY_ROLES = np.array(["implementation", "influenced", "co_sell"], dtype=object)
SECONDARY_ROLE_MIX = np.array([0.6, 0.2, 0.2])
VENDOR_CAMPAIGN_SHARE = 0.15   # direct deals that come from a vendor campaign, when one runs
MDF_TAG_SHARE = 0.5            # partner deals of a partner running an MDF campaign that come from it


@dataclass(frozen=True)
class Mix:
    """Expected channel volumes and rates for one block."""

    direct_opps: float
    partner_intents: float
    partner_win_rate: float
    size_factor: float
    conversion: float          # partner intents that become opportunities
    sourced_new_logo: float


def channel_mix(world: World, day: np.datetime64, days: int, growth_index: float) -> Mix:
    q = world.quality.on(day)
    share = float(anchor("d1_partner_won_share", q["D1"]))
    win = DIRECT_WIN_RATE + float(anchor("d5_win_rate_uplift", q["D5"]))
    size = 1 + float(anchor("d5_deal_size_uplift", q["D5"]))
    ratio = share / (1 - share) / (win / DIRECT_WIN_RATE * size)
    direct = world.stage.direct_opportunities_per_year / 365.25 * days * growth_index
    partner_opps = ratio * direct
    registered = float(registration_rate(world, np.array([day]))[0])
    conflict = float(anchor("d2_registration_conflict_share", q["D2"]))
    approval = APPROVAL * (1 - conflict) + APPROVAL_CONFLICT * conflict
    conversion = 1 - registered * (1 - approval * CONVERSION)
    # New-logo won deals: pick the sourced deals' new-logo rate so the partner-sourced share is the D1 anchor.
    target = float(anchor("d1_new_logo_partner_sourced_share", q["D1"]))
    sourced = partner_opps * SOURCED_SHARE * win
    others = partner_opps * (1 - SOURCED_SHARE) * win * NEW_LOGO_INFLUENCED + direct * DIRECT_WIN_RATE * NEW_LOGO_DIRECT
    new_logo = float(np.clip(target * others / ((1 - target) * max(sourced, 1e-9)), 0.02, 0.98))
    return Mix(direct, partner_opps / conversion, win, size, conversion, new_logo)


def sourced_shares(strength_engaged: np.ndarray, strength_all: np.ndarray, top_share: float,
                   hhi: float) -> tuple[np.ndarray, float]:
    """Each partner's share of the *sourced* flow (as if engaged), shaped by the D3 concentration anchors.

    The k strongest engaged partners lead with equal shares and the rest share a thin tail, with k chosen so that
    the top partner's share and the normalised HHI both sit near their anchors: a power law cannot give both (its
    top share is about the square root of its HHI), a group of equal leaders can. Returns the shares and the
    strength of the weakest leader.
    """
    n = len(strength_engaged)
    if n <= 1:
        return np.ones(len(strength_all)), float(strength_engaged.min(initial=np.inf))
    ranked = np.sort(strength_engaged)[::-1]
    tail_weight = np.sqrt(ranked)
    best, best_cost = (1, TAIL_SHARE), np.inf
    for k in range(1, n + 1):
        tail = TAIL_SHARE if k < n else 0.0
        rest = tail * tail_weight[k:] / max(tail_weight[k:].sum(), 1e-12)
        shares = np.concatenate([np.full(k, (1 - tail) / k), rest])
        norm = ((shares**2).sum() - 1 / n) / (1 - 1 / n)
        cost = abs(shares.max() - top_share) + abs(norm - hhi)
        if cost < best_cost:
            best, best_cost = (k, tail), cost
        if (1 - tail) / k < min(top_share, hhi) / 2:
            break
    k, tail = best
    cut = ranked[k - 1]
    leader = strength_all >= cut
    tail_total = max(tail_weight[k:].sum(), 1e-12)
    return np.where(leader, (1 - tail) / k, tail * np.sqrt(strength_all) / tail_total), float(cut)


def influenced_shares(strength_engaged: np.ndarray, strength_all: np.ndarray) -> np.ndarray:
    """Influence is broad: every engaged partner takes part, bigger ones a little more."""
    if not len(strength_engaged):
        return np.zeros(len(strength_all))
    return np.sqrt(strength_all) / np.sqrt(strength_engaged).sum()


def plan_partner_flow(world: World, block: Block, advance: bool = True, growth: float | None = None) -> None:
    """Expected partner flow for the block: per partner intents (engaged) and expected won amount (if engaged).

    Sourced deals follow the D3 concentration anchors, influenced ones spread over all engaged partners. With
    `advance=False` (the programme's state before history_start) the D1 growth index is not moved on; `growth`
    then overrides it.
    """
    pop = world.partners
    state = world.state.setdefault("deals", {"growth_log": 0.0})
    days = np.arange(block.start, block.stop, dtype="datetime64[D]")
    daily = np.log1p(anchor("d1_partner_won_growth", world.q("D1", days))) / 365.25
    if growth is None:
        growth = float(np.exp(state["growth_log"] + daily[: len(days) // 2 + 1].sum()))
    if advance:
        state["growth_log"] += float(daily.sum())
    mix = channel_mix(world, block.mid, block.days, growth)
    alive = ~(pop.churned <= block.start)
    started = alive & (pop.activated < block.stop)
    engaged = pop.engaged & alive
    basis = engaged if engaged.any() else started
    q3 = world.q("D3", block.mid)
    top, hhi = float(anchor("d3_top_partner_share", q3)), float(anchor("d3_sourced_revenue_hhi", q3))
    sourced = np.zeros(len(pop))
    influenced = np.zeros(len(pop))
    if basis.any():
        sourced[started], state["leader_cut"] = sourced_shares(pop.strength[basis], pop.strength[started], top, hhi)
        influenced[started] = influenced_shares(pop.strength[basis], pop.strength[started])
    share = SOURCED_SHARE * sourced + (1 - SOURCED_SHARE) * influenced
    with np.errstate(invalid="ignore", divide="ignore"):
        state["sourced_probability"] = np.where(share > 0, SOURCED_SHARE * sourced / share, SOURCED_SHARE)
    expected = mix.partner_intents * share
    per_month = 30.44 / block.days
    state["mix"] = mix
    state["growth"] = growth
    state["intents"] = expected * engaged
    state["expected_intents_month"] = expected * per_month
    state["expected_won_month_eur"] = (expected * per_month * mix.conversion * mix.partner_win_rate
                                       * MEAN_AMOUNT_EUR * mix.size_factor)


def decision_hours(rng: np.random.Generator, q2: np.ndarray) -> np.ndarray:
    """Registration decision time (D2): lognormal with the geometric median anchor (240 h -> 12 h) and the spread
    that puts the within-48-hours anchor where it can; near q = 0.5 the two anchors contradict each other (a median
    above 48 h with more than half decided within 48 h), and the spread is clamped there."""
    median = anchor("d2_registration_decision_hours", q2)
    within = anchor("d2_registration_decided_48h", q2)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.log(48 / median) / ndtri(within)
    sigma = np.where(np.isfinite(sigma) & (sigma > 0), np.clip(sigma, 0.5, 1.6), 0.5)
    return lognormal(rng, median, sigma, len(q2))


def registration_rate(world: World, days: np.ndarray) -> np.ndarray:
    """Share of partner intents that go through registration, so that the share of partner *opportunities* with a
    registration_id is the D7 anchor (rejected and lapsed registrations never become opportunities)."""
    target = anchor("d7_registered_opportunity_share", world.q("D7", days))
    conflict = anchor("d2_registration_conflict_share", world.q("D2", days))
    kept = (APPROVAL * (1 - conflict) + APPROVAL_CONFLICT * conflict) * CONVERSION
    return target / (kept + target - target * kept)


def _opportunities(world: World, rng: np.random.Generator, created: np.ndarray, pidx: np.ndarray,
                   first: np.ndarray) -> dict[str, np.ndarray]:
    """Segment, amount, cycle, outcome and forecast of opportunities created on `created` (pidx -1 = direct)."""
    n = len(created)
    partner = pidx >= 0
    seg = rng.choice(3, n, p=SEGMENT_MIX)
    q5 = world.q("D5", created)
    size = np.where(partner, 1 + anchor("d5_deal_size_uplift", q5), 1.0)
    amount_eur = AMOUNT_MEDIAN_EUR[seg] * np.exp(AMOUNT_SIGMA * rng.standard_normal(n)) * size
    speed = np.where(partner, 1 - anchor("d5_cycle_reduction", q5), 1.0)
    cycle = CYCLE_MEDIAN_DAYS[seg] * np.exp(CYCLE_SIGMA * rng.standard_normal(n)) * speed
    # A partner's first deal (D4): small and quick when enablement is good, long and shaky when it is not.
    q4 = world.q("D4", created)
    cycle = np.where(first, lognormal(rng, 110 - 100 * q4, 0.6, n), cycle)
    closed = created + np.maximum(1, np.rint(cycle)).astype(np.int64).astype("timedelta64[D]")
    q5c = world.q("D5", closed)
    win_rate = np.where(partner, DIRECT_WIN_RATE + anchor("d5_win_rate_uplift", q5c), DIRECT_WIN_RATE)
    win_rate = np.where(first, 0.5 + 0.45 * world.q("D4", closed), win_rate)
    won = rng.random(n) < win_rate
    accurate = rng.random(n) < anchor("d6_forecast_within_15d", world.q("D6", closed))
    miss = (16 + rng.exponential(30.0, n)).astype(np.int64) * rng.choice([-1, 1], n)
    error = np.where(accurate, rng.integers(-15, 16, n), miss)
    expected = closed - error.astype("timedelta64[D]")
    too_early = expected <= created
    expected = np.where(too_early & ~accurate, closed + np.abs(error).astype("timedelta64[D]"), expected)
    expected = np.maximum(expected, created + DAY)
    return dict(segment=SEGMENTS[seg], amount_eur=amount_eur, closed=closed, won=won, expected=expected)


def _campaign_tags(world: World, rng: np.random.Generator, pidx: np.ndarray, created: np.ndarray) -> np.ndarray:
    """campaign_id of each new opportunity: a joint campaign (D5), an MDF campaign, or a vendor campaign."""
    tags = np.full(len(pidx), None, dtype=object)
    log = world.logs["campaign_index"]
    if not len(log) or not len(pidx):
        return tags
    camps = log.frame(["campaign_id", "pidx", "kind", "start_on", "end_on"])
    camps = camps[(camps["end_on"] >= created.min()) & (camps["start_on"] <= created.max())]
    opps = pd.DataFrame({"row": np.arange(len(pidx)), "pidx": pidx, "created": created})
    live = opps.merge(camps, on="pidx")
    live = live[(live["start_on"] <= live["created"]) & (live["end_on"] >= live["created"])]
    if live.empty:
        return tags
    live = live.iloc[rng.permutation(len(live))].drop_duplicates(["row", "kind"])
    p_joint = _joint_tag_probability(world, camps)
    u = rng.random(len(pidx))
    taken = np.zeros(len(pidx), bool)
    # MDF first: the partner's own funded campaign is where its deals come from while it runs.
    for kind, p in (("mdf", MDF_TAG_SHARE), ("joint", p_joint), ("vendor", VENDOR_CAMPAIGN_SHARE)):
        sel = live[live["kind"] == kind]
        rows = sel["row"].to_numpy()
        hit = ~taken[rows] & (u[rows] < p)
        tags[rows[hit]] = sel["campaign_id"].to_numpy()[hit]
        taken[rows[hit]] = True
        u[rows[~hit]] = rng.random((~hit).sum())
    return tags


def _joint_tag_probability(world: World, camps: pd.DataFrame) -> float:
    """Tag rate for deals of partners with a live joint campaign, so the share of partner pipeline from joint
    campaigns is the D5 anchor whatever share of the flow those partners carry."""
    state = world.state["deals"]
    block_mid = world.state["block"].mid
    target = float(anchor("d5_joint_campaign_pipeline_share", world.q("D5", block_mid)))
    live = camps[(camps["start_on"] <= block_mid) & (camps["end_on"] >= block_mid)]
    joint = live[live["kind"] == "joint"]
    flow = state["intents"]
    total = flow.sum()
    if total <= 0 or joint.empty:
        return 0.0
    # Deals of partners that also run an MDF campaign go to it first (MDF_TAG_SHARE of them).
    free = np.ones(len(flow))
    free[live.loc[live["kind"] == "mdf", "pidx"].to_numpy()] = 1 - MDF_TAG_SHARE
    covered = (flow * free)[np.unique(joint["pidx"].to_numpy())].sum() / total
    return float(min(1.0, target / max(covered, 1e-9)))


def _customers(world: World, rng: np.random.Generator, block: Block, new_logo: np.ndarray) -> np.ndarray:
    state = world.state["deals"]
    if "customers" not in state:   # the installed base before the history
        size = max(20, int(world.stage.direct_opportunities_per_year))
        state["customers"] = [np.array([f"CUS-0-{i:05d}" for i in range(size)], dtype=object)]
    pool = state["customers"]
    known = np.concatenate(pool)
    out = known[rng.integers(0, len(known), len(new_logo))]
    fresh = np.array([f"CUS-{block.label}-{i:05d}" for i in range(int(new_logo.sum()))], dtype=object)
    out[new_logo] = fresh
    pool.append(fresh)
    return out


def step(world: World, block: Block) -> None:
    pop = world.partners
    state = world.state["deals"]
    mix: Mix = state["mix"]
    rng = world.rng("deals", block.index)

    # Partner intents: the engaged partners' flow, plus the first deal of each partner activated this block.
    counts = rng.poisson(state["intents"])
    pidx = np.repeat(np.arange(len(pop)), counts)
    day = random_days(rng, block.start, block.stop, len(pidx))
    ok = (day >= pop.activated[pidx]) & ~(day >= pop.churned[pidx])
    pidx, day = pidx[ok], day[ok]
    first_idx = np.flatnonzero((pop.activated >= block.start) & (pop.activated < block.stop)
                               & ~(pop.churned <= pop.activated))
    pidx = np.concatenate([first_idx, pidx])
    day = np.concatenate([pop.activated[first_idx], day])
    first = np.arange(len(pidx)) < len(first_idx)
    sourced = first | (rng.random(len(pidx)) < state["sourced_probability"][pidx])
    attribution = np.where(sourced, "sourced", "influenced").astype(object)
    registered = rng.random(len(pidx)) < registration_rate(world, day)

    # Registrations (D2 decision speed and conflicts, D7 conversion lag).
    rrng = world.rng("registrations", block.index)
    r = np.flatnonzero(registered)
    nr = len(r)
    submitted = business_times(rrng, day[r])
    q2 = world.q("D2", day[r])
    conflicted = rrng.random(nr) < anchor("d2_registration_conflict_share", q2)
    conflict = np.where(conflicted, np.where(rrng.random(nr) < 0.4, "partner", "direct"), "none").astype(object)
    decided = submitted + (decision_hours(rrng, q2) * 3600).astype(np.int64).astype("timedelta64[s]")
    resolve_days = lognormal(rrng, anchor("d2_conflict_resolution_days", q2), 0.8, nr)
    resolved = submitted + (resolve_days * SECONDS_PER_DAY).astype(np.int64).astype("timedelta64[s]")
    resolved = np.where(conflicted, resolved, np.datetime64("NaT", "s"))
    approved = rrng.random(nr) < np.where(conflicted, APPROVAL_CONFLICT, APPROVAL)
    converting = approved & (rrng.random(nr) < CONVERSION)
    decided_day = decided.astype("datetime64[D]")
    lag = lognormal(rrng, anchor("d7_registration_to_opportunity_days", world.q("D7", decided_day)), 0.8, nr)
    created = day.copy()
    created[r] = decided_day + to_days(lag)

    orng = world.rng("opportunities", block.index)
    drawn = _opportunities(world, orng, created, pidx, first)
    keep = ~registered
    keep[r[converting]] = True
    n_direct = int(orng.poisson(mix.direct_opps))
    direct_day = random_days(orng, block.start, block.stop, n_direct)
    direct = _opportunities(world, orng, direct_day, np.full(n_direct, -1), np.zeros(n_direct, bool))

    # Opportunities: direct first, then partner deals, in intent order.
    k = np.flatnonzero(keep)
    opp_pidx = np.concatenate([np.full(n_direct, -1), pidx[k]])
    n = len(opp_pidx)
    partner = opp_pidx >= 0
    opp = {key: np.concatenate([direct[key], drawn[key][k]]) for key in drawn}
    opp_created = np.concatenate([direct_day, created[k]])
    opp_ids = np.array([f"OPP-{block.label}-{i:06d}" for i in range(n)], dtype=object)
    reg_ids = np.array([f"REG-{block.label}-{i:05d}" for i in range(nr)], dtype=object)
    intent_reg = np.full(len(pidx), None, dtype=object)
    intent_reg[r] = reg_ids
    registration_id = np.concatenate([np.full(n_direct, None, dtype=object), intent_reg[k]])
    attr = np.concatenate([np.full(n_direct, "none", dtype=object), attribution[k]])
    direct_region = REGIONS[orng.choice(4, n_direct, p=DIRECT_REGION_MIX)]
    direct_currency = np.where(direct_region == "emea", np.where(orng.random(n_direct) < 0.15, "GBP", "EUR"),
                               "USD").astype(object)
    safe = np.maximum(opp_pidx, 0)
    padding = np.empty(n - n_direct, object)
    region = np.where(partner, REGIONS[pop.region[safe]], np.concatenate([direct_region, padding]))
    currency = np.where(partner, pop.currency[safe], np.concatenate([direct_currency, padding]))
    fx = np.array([FX_EUR_PER_UNIT[c] for c in currency])
    new_logo_p = np.select([attr == "sourced", attr == "influenced"],
                           [mix.sourced_new_logo, NEW_LOGO_INFLUENCED], NEW_LOGO_DIRECT)
    new_logo = orng.random(n) < new_logo_p
    customer = _customers(world, orng, block, new_logo)
    campaign = _campaign_tags(world, world.rng("tagging", block.index), opp_pidx, opp_created)

    lrng = world.rng("lags", block.index)
    ts_created = business_times(lrng, opp_created) + entry_lag(lrng, n)
    decided_of_opp = np.full(n, np.datetime64("NaT", "s"))
    intent_decided = np.full(len(pidx), np.datetime64("NaT", "s"))
    intent_decided[r] = decided
    decided_of_opp[n_direct:] = intent_decided[k]
    ts_created = later(ts_created, decided_of_opp)
    ts_closed = later(business_times(lrng, opp["closed"]) + entry_lag(lrng, n), ts_created)
    world.logs["opportunities"].append(
        opportunity_id=opp_ids, pidx=opp_pidx, attribution=attr, created_on=opp_created, closed_on=opp["closed"],
        status=np.where(opp["won"], "won", "lost").astype(object), amount=opp["amount_eur"] / fx,
        amount_eur=opp["amount_eur"], currency=currency, segment=opp["segment"], region=region,
        customer_id=customer, is_new_logo=new_logo, campaign_id=campaign, registration_id=registration_id,
        expected_close_on=opp["expected"], ts_created=ts_created, ts_closed=ts_closed,
    )
    won_partner = partner & opp["won"]
    world.logs["won_deals"].append(pidx=opp_pidx[won_partner], closed_on=opp["closed"][won_partner],
                                   amount_eur=opp["amount_eur"][won_partner])

    # Registration rows: the converted ones point at their opportunity from the moment it is created.
    intent_opp = np.full(len(pidx), None, dtype=object)
    intent_opp[k] = opp_ids[n_direct:]
    intent_ts = np.full(len(pidx), np.datetime64("NaT", "s"))
    intent_ts[k] = ts_created[n_direct:]
    reg_fx = np.array([FX_EUR_PER_UNIT[c] for c in pop.currency[pidx[r]]]) if nr else np.empty(0)
    estimate = drawn["amount_eur"][r] * rrng.uniform(0.8, 1.25, nr) / reg_fx
    expired = np.where(approved & ~converting, decided + np.timedelta64(90 * SECONDS_PER_DAY, "s"),
                       np.datetime64("NaT", "s"))
    world.logs["registrations"].append(
        registration_id=reg_ids, pidx=pidx[r], submitted_at=submitted, decided_at=decided,
        decision=np.where(approved, "approved", "rejected").astype(object), conflict=conflict,
        conflict_resolved_at=resolved, opportunity_id=intent_opp[r], converted_at=intent_ts[r],
        expired_at=expired, estimated_amount=estimate, currency=pop.currency[pidx[r]],
    )
    _opportunity_partners(world, block, opp_ids, opp_pidx, attr, opp_created, opp["closed"], ts_created)


def _opportunity_partners(world: World, block: Block, opp_ids, opp_pidx, attr, created, closed, ts_created):
    """The primary partner of each partner deal (co-selling or not, D5) and sometimes a second partner."""
    rng = world.rng("roles", block.index)
    partner = np.flatnonzero(opp_pidx >= 0)
    n = len(partner)
    q5 = world.q("D5", created[partner])
    multi = anchor("d5_multi_partner_share", q5)
    co_sell = anchor("d5_co_sell_share", q5)
    primary_co_sell = np.clip((co_sell - 0.2 * multi) / (1 - 0.2 * multi), 0, 1)
    role = np.where(rng.random(n) < primary_co_sell, "co_sell", attr[partner]).astype(object)
    rows = [dict(opportunity_id=opp_ids[partner], pidx=opp_pidx[partner], role=role, added_on=created[partner],
                 ts=ts_created[partner], primary=np.ones(n, bool))]
    flow = world.state["deals"]["intents"]
    candidates = np.flatnonzero(flow > 0)
    second = rng.random(n) < multi
    if len(candidates) > 1 and second.any():
        s = partner[second]
        weights = flow[candidates] / flow[candidates].sum()
        other = candidates[rng.choice(len(candidates), len(s), p=weights)]
        for _ in range(3):   # a deal's second partner is another partner: redraw the clashes
            clash = other == opp_pidx[s]
            other[clash] = candidates[rng.choice(len(candidates), int(clash.sum()), p=weights)]
        distinct = other != opp_pidx[s]
        s, other = s[distinct], other[distinct]
        span = np.minimum(30, (closed[s] - created[s]) / DAY).astype(np.int64)
        added = created[s] + (rng.random(len(s)) * (span + 1)).astype(np.int64).astype("timedelta64[D]")
        ts = later(business_times(rng, added) + entry_lag(rng, len(s)), ts_created[s])
        rows.append(dict(opportunity_id=opp_ids[s], pidx=other,
                         role=SECONDARY_ROLES[rng.choice(3, len(s), p=SECONDARY_ROLE_MIX)], added_on=added, ts=ts,
                         primary=np.zeros(len(s), bool)))
    for row in rows:
        world.logs["opportunity_partners"].append(**row)


def warm_up(world: World) -> None:
    """Deals already in flight on history_start: the months before it are simulated with the programme's state on
    history_start and only what is still open (or undecided) on that day is kept, back-dated like the partners.
    Without it every signal would see an empty pipeline fill up during the first year."""
    hs = world.history_start
    first = add_months(month_start(hs), -WARM_UP_MONTHS)
    months = [replace(b, stop=min(b.stop, hs)) for b in blocks(first, hs - DAY)]
    rate = np.log1p(float(anchor("d1_partner_won_growth", world.q("D1", hs))))
    for block in months:
        years_before = (hs - block.mid) / DAY / 365.25
        plan_partner_flow(world, block, advance=False, growth=float(np.exp(-rate * years_before)))
        world.state["block"] = block
        step(world, block)
    opps = world.logs["opportunities"]
    kept = opps.column("closed_on") >= hs
    opps.keep(kept)
    kept_ids = set(opps.column("opportunity_id").tolist())
    regs = world.logs["registrations"]
    if len(regs):
        linked = np.array([o in kept_ids for o in regs.column("opportunity_id")], dtype=bool)
        open_ = (regs.column("opportunity_id") == None) & (  # noqa: E711 - element-wise None test
            (regs.column("decided_at") >= hs) | (regs.column("expired_at") >= hs))
        regs.keep(linked | open_)
    rows = world.logs["opportunity_partners"]
    if len(rows):
        rows.keep(np.array([o in kept_ids for o in rows.column("opportunity_id")], dtype=bool))


OPPORTUNITY_SCHEMA = {
    "opportunity_id": STR, "partner_id": STR, "attribution": STR, "created_on": DATE, "closed_on": DATE,
    "status": STR, "amount": AMOUNT, "currency": STR, "segment": STR, "region": STR, "customer_id": STR,
    "is_new_logo": BOOL, "campaign_id": STR, "registration_id": STR, "expected_close_on": DATE,
}
REGISTRATION_SCHEMA = {
    "registration_id": STR, "partner_id": STR, "submitted_at": TS, "decided_at": TS, "status": STR,
    "conflict": STR, "conflict_resolved_at": TS, "opportunity_id": STR, "estimated_amount": AMOUNT, "currency": STR,
}
OPPORTUNITY_PARTNER_SCHEMA = {"opportunity_id": STR, "partner_id": STR, "role": STR, "added_on": DATE}


def partner_ids(world: World, pidx: np.ndarray) -> np.ndarray:
    pidx = np.asarray(pidx, dtype=np.int64)
    out = np.full(len(pidx), None, dtype=object)
    out[pidx >= 0] = world.partners.pid[pidx[pidx >= 0]]
    return out


def build(world: World, visible_before: np.datetime64) -> dict[str, pd.DataFrame]:
    log = world.logs["opportunities"]
    o = {c: log.column(c) for c in ("opportunity_id", "pidx", "attribution", "created_on", "closed_on", "status",
                                    "amount", "currency", "segment", "region", "customer_id", "is_new_logo",
                                    "campaign_id", "registration_id", "expected_close_on", "ts_created", "ts_closed")}
    base = {**o, "partner_id": partner_ids(world, o["pidx"]), "status": "open",
            "closed_on": np.datetime64("NaT", "D")}
    close = Step(o["ts_closed"], {"status": o["status"], "closed_on": o["closed_on"]})
    opportunities = build_versions(o["opportunity_id"], base, [Step(o["ts_created"]), close], OPPORTUNITY_SCHEMA,
                                   visible_before)

    log = world.logs["registrations"]
    g = {c: log.column(c) for c in ("registration_id", "pidx", "submitted_at", "decided_at", "decision", "conflict",
                                    "conflict_resolved_at", "opportunity_id", "converted_at", "expired_at",
                                    "estimated_amount", "currency")}
    base = {**g, "partner_id": partner_ids(world, g["pidx"]), "status": "pending",
            "decided_at": np.datetime64("NaT", "s"), "conflict_resolved_at": np.datetime64("NaT", "s"),
            "opportunity_id": None}
    steps = [
        Step(g["submitted_at"]),
        Step(g["decided_at"], {"status": g["decision"], "decided_at": g["decided_at"]}),
        Step(g["conflict_resolved_at"], {"conflict_resolved_at": g["conflict_resolved_at"]}),
        Step(g["converted_at"], {"opportunity_id": g["opportunity_id"]}),
        Step(g["expired_at"], {"status": "expired"}),
    ]
    registrations = build_versions(g["registration_id"], base, steps, REGISTRATION_SCHEMA, visible_before)

    log = world.logs["opportunity_partners"]
    p = {c: log.column(c) for c in ("opportunity_id", "pidx", "role", "added_on", "ts")}
    pid = partner_ids(world, p["pidx"])
    # A second partner added after its own churn is not plausible: drop it (the primary stays with its deal).
    keep = log.column("primary") | ~(p["added_on"] > world.partners.churned[p["pidx"]])
    source_id = np.char.add(np.char.add(p["opportunity_id"].astype(str), ":"), pid.astype(str)).astype(object)
    base = {**p, "partner_id": pid}
    base = {key: np.asarray(v)[keep] if np.ndim(v) else v for key, v in base.items()}
    partners = build_versions(source_id[keep], base, [Step(p["ts"][keep])], OPPORTUNITY_PARTNER_SCHEMA,
                              visible_before)
    return {"opportunities": opportunities, "deal_registrations": registrations, "opportunity_partners": partners}
