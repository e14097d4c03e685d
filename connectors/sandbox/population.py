"""The partner population: onboarding, churn, tiers, owners, sponsors, and who is engaged or on the portal.

Grain: one array element per partner ever onboarded (index = partner number - 1). Attribute changes are logged as
partner snapshots (the `partners` stream's versions): one at onboarding, one whenever tier, owner or sponsor change,
one at churn. Behaviour comes from the anchors of D2 (owners), D3 (types, regions, churn, engagement), D4
(activation), D7 (portal, record completeness) and D8 (sponsors).
"""

from __future__ import annotations

import numpy as np

import pandas as pd

from connectors.sandbox.anchors import anchor
from connectors.sandbox.randomness import DAY, Block, add_months, business_times, entry_lag, random_days
from connectors.sandbox.records import DATE, STR, Step, build_versions
from connectors.sandbox.world import World

PARTNER_TYPES = ("reseller", "system_integrator", "isv", "msp", "referral", "distributor")
# A broad, healthy mix; low D3 quality collapses it onto resellers (entropy anchor d3_type_entropy).
BROAD_TYPE_MIX = np.array([0.26, 0.20, 0.18, 0.14, 0.12, 0.10])
TIERS = ("registered", "silver", "gold", "platinum")
GOLD = 2
# Rank percentiles above which a partner deserves silver, gold, platinum: a 50/30/15/5 pyramid.
TIER_CUTS = np.array([0.50, 0.80, 0.95])
REGIONS = ("emea", "na", "apac", "latam")           # the order in which a broadening portfolio adds regions
REGION_MIX = np.array([0.62, 0.20, 0.11, 0.07])
COUNTRIES = {
    "emea": (("NL", "DE", "GB", "FR", "BE", "ES", "IT", "SE"), (0.24, 0.2, 0.16, 0.12, 0.08, 0.08, 0.07, 0.05)),
    "na": (("US", "CA"), (0.85, 0.15)),
    "apac": (("AU", "SG", "JP", "IN"), (0.35, 0.25, 0.2, 0.2)),
    "latam": (("BR", "MX", "AR"), (0.5, 0.3, 0.2)),
}
COUNTRY_CURRENCY = {"GB": "GBP", "US": "USD", "CA": "USD", "AU": "USD", "SG": "USD", "JP": "USD", "IN": "USD",
                    "BR": "USD", "MX": "USD", "AR": "USD"}
TIER_CHURN_WEIGHT = np.array([1.6, 1.0, 0.5, 0.3])
ENGAGEMENT_MIXING = 0.08    # per month: engagement is sticky, a dormant partner wakes up slowly
PORTAL_MIXING = 0.35
NAME_HEADS = ("Nord", "Blue", "Apex", "Delta", "Orion", "Vector", "Pioneer", "Summit", "Cobalt", "Lumen", "Harbor",
              "Quantum", "Nimbus", "Atlas", "Crest", "Vertex", "Polar", "Zenith", "Bright", "Iron", "Silver", "Oak",
              "Falcon", "Beacon", "Meridian", "Sterling", "Granite", "Evergreen", "Northstar", "Keystone")
NAME_TAILS = ("Systems", "Consulting", "Digital", "Partners", "Solutions", "IT", "Labs", "Group", "Networks",
              "Technologies", "Cloud", "Services", "Integration", "Data")
TLDS = np.array([".com", ".eu", ".io", ".net"])

_COLUMNS = {
    "pid": object, "name": object, "domain": object, "ptype": np.int8, "region": np.int8, "country": object,
    "currency": object, "onboarded": "datetime64[D]", "churned": "datetime64[D]", "tier": np.int8,
    "owner": np.int32, "sponsor": np.int32, "strength": np.float64, "activated": "datetime64[D]",
    "engaged": bool, "portal": bool, "people": np.int16, "miss_domain": np.float64, "miss_region": np.float64,
    "miss_country": np.float64, "miss_tier": np.float64,
}


class Population:
    """Column arrays, one element per partner; `add` appends newly onboarded partners."""

    def __init__(self) -> None:
        for name, dtype in _COLUMNS.items():
            setattr(self, name, np.empty(0, dtype=dtype))
        self.initial_active = 0

    def __len__(self) -> int:
        return len(self.pid)

    def add(self, **columns: np.ndarray) -> np.ndarray:
        first = len(self)
        n = len(next(iter(columns.values())))
        for name, dtype in _COLUMNS.items():
            setattr(self, name, np.concatenate([getattr(self, name), np.asarray(columns[name], dtype=dtype)]))
        return np.arange(first, first + n)

    def active(self, day: np.datetime64) -> np.ndarray:
        """Onboarded on or before `day` and not churned by then."""
        return (self.onboarded <= day) & ~(self.churned <= day)


def type_probabilities(q3: float) -> np.ndarray:
    """Mix of partner types whose normalised entropy is the D3 anchor at q3."""
    target = float(anchor("d3_type_entropy", q3))
    w = np.linspace(0.0, 1.0, 401)
    p = (1 - w)[:, None] * np.eye(len(PARTNER_TYPES))[0] + w[:, None] * BROAD_TYPE_MIX
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1) / np.log(len(PARTNER_TYPES))
    mix = float(np.interp(target, h, w))
    return (1 - mix) * np.eye(len(PARTNER_TYPES))[0] + mix * BROAD_TYPE_MIX


def regions_open(q3: float) -> int:
    return int(np.clip(np.rint(anchor("d3_regions_covered", q3)), 1, len(REGIONS)))


def owner_pool(n_owned: float, q2: float) -> int:
    """How many partner managers share the owned partners (D2 partners-per-owner anchor)."""
    per_owner = float(anchor("d2_partners_per_owner", q2))
    return int(np.clip(np.rint(n_owned / per_owner), 1, max(1, round(n_owned))))


def engaged_target(q3, recently_activated: float = 0.0) -> np.ndarray:
    """Monthly engaged share whose 180-day footprint is the D3 anchor.

    A 180-day window also counts partners that were engaged in only part of it: with monthly waking rate
    pi * mixing, the footprint is pi + (1 - pi) * (1 - (1 - pi * mixing) ** 5); invert that on a grid.
    """
    grid = np.linspace(0.0, 1.0, 501)
    footprint = grid + (1 - grid) * (1 - (1 - grid * ENGAGEMENT_MIXING) ** 5)
    aim = np.maximum(anchor("d3_engaged_share_180d", q3) - recently_activated, 0.02)
    return np.clip(np.interp(aim, footprint, grid), 0.02, 0.95)


def activation_delays(world: World, rng: np.random.Generator, onboarded: np.ndarray) -> np.ndarray:
    """Days from onboarding to the first registration or opportunity (D4); NaT-like -1 for never.

    A share (the d4_activated_90d anchor) starts within 90 days, front-loaded; of the rest some never start and
    the others start after 90 days with a tail that shortens as enablement improves.
    """
    n = len(onboarded)
    q4 = world.q("D4", onboarded)
    quick_share = anchor("d4_activated_90d", q4)
    never_share = np.minimum(0.45 - 0.42 * q4, 1 - quick_share)
    late_mean = 200 - 140 * q4
    u = rng.random(n)
    quick = 90 * rng.random(n) ** 2
    late = 91 + rng.exponential(1.0, n) * late_mean
    delay = np.where(u < quick_share, quick, late)
    delay = np.where((u >= quick_share) & (u < quick_share + never_share), -1.0, delay)
    return np.rint(delay).astype(np.int64)


def _names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    heads = rng.choice(np.array(NAME_HEADS), n)
    tails = rng.choice(np.array(NAME_TAILS), n)
    names = np.char.add(np.char.add(heads, " "), tails)
    slugs = np.char.lower(np.char.add(heads, tails))
    domains = np.char.add(slugs, rng.choice(TLDS, n, p=[0.6, 0.2, 0.1, 0.1]))
    return names.astype(object), domains.astype(object)


def _new_partners(world: World, rng: np.random.Generator, onboarded: np.ndarray, tier: np.ndarray,
                  owner_k: int) -> dict[str, np.ndarray]:
    """Attributes of partners onboarded on `onboarded`; quality is read on each onboarding day."""
    n = len(onboarded)
    pop: Population = world.partners
    q3 = world.q("D3", onboarded)
    q2 = world.q("D2", onboarded)
    ptype = np.array([rng.choice(len(PARTNER_TYPES), p=type_probabilities(q)) for q in np.round(q3, 2)])
    region = np.empty(n, dtype=np.int8)
    country = np.empty(n, dtype=object)
    for i, q in enumerate(q3):
        k = regions_open(q)
        mix = REGION_MIX[:k] / REGION_MIX[:k].sum()
        region[i] = rng.choice(k, p=mix)
        names, probs = COUNTRIES[REGIONS[region[i]]]
        country[i] = names[rng.choice(len(names), p=probs)]
    currency = np.array([COUNTRY_CURRENCY.get(c, "EUR") for c in country], dtype=object)
    names, domains = _names(rng, n)
    strength = rng.lognormal(0.0, 1.0, n)
    owned = rng.random(n) < anchor("d2_owner_coverage", q2)
    owner = np.where(owned, rng.integers(0, owner_k, n), -1)
    delay = activation_delays(world, rng, onboarded)
    activated = np.where(delay >= 0, onboarded + delay.clip(0).astype("timedelta64[D]"),
                         np.datetime64("NaT", "D"))
    lo, hi = world.stage.people_per_partner
    people = np.clip(lo + rng.poisson(strength * 1.5), lo, hi)
    pids = np.array([f"PTR-{len(pop) + i + 1:05d}" for i in range(n)], dtype=object)
    portal = rng.random(n) < anchor("d7_portal_active_30d", world.q("D7", onboarded))
    return dict(
        pid=pids, name=names, domain=domains, ptype=ptype, region=region, country=country, currency=currency,
        onboarded=onboarded, churned=np.full(n, np.datetime64("NaT", "D")), tier=tier, owner=owner,
        sponsor=np.full(n, -1), strength=strength, activated=activated, engaged=np.zeros(n, bool), portal=portal,
        people=people, miss_domain=rng.random(n), miss_region=rng.random(n), miss_country=rng.random(n),
        miss_tier=rng.random(n),
    )


def snapshot(world: World, idx: np.ndarray, ts: np.ndarray) -> None:
    """Log the partners' current tier/owner/sponsor/churn as versions stamped `ts`."""
    pop: Population = world.partners
    world.logs["partner_snapshots"].append(
        idx=idx, ts=ts, tier=pop.tier[idx], owner=pop.owner[idx], sponsor=pop.sponsor[idx],
        churned=pop.churned[idx],
    )


def initialise(world: World) -> None:
    """Partners active on history_start, onboarded over the programme's age before it (block 0)."""
    rng = world.rng("population", 0)
    stage = world.stage
    hs = world.history_start
    n0 = int(rng.integers(stage.initial_partners[0], stage.initial_partners[1] + 1))
    age_months = int(rng.integers(stage.programme_age_months[0], stage.programme_age_months[1] + 1))
    programme_start = add_months(hs, -age_months)
    world.state["programme_start"] = programme_start
    span = int((hs - programme_start) / DAY)
    # A growing programme onboarded more partners recently; the first partner founded the programme.
    offsets = np.sort(np.rint(span * rng.random(n0) ** (1 + 3 * stage.partner_growth_per_year))
                      .astype(np.int64).clip(7, span))
    offsets[-1] = span
    onboarded = hs - offsets.astype("timedelta64[D]")
    q = world.quality.on(hs)
    n_owned = n0 * float(anchor("d2_owner_coverage", q["D2"]))
    k = owner_pool(n_owned, q["D2"])
    pop = Population()
    world.partners = pop
    cols = _new_partners(world, rng, onboarded, np.zeros(n0, np.int8), k)
    tenure = (hs - onboarded) / DAY / 365.25
    score = np.log(cols["strength"]) + 0.6 * np.log(tenure + 0.25) + rng.normal(0, 0.4, n0)
    pct = (np.argsort(np.argsort(score)) + 0.5) / n0
    cols["tier"] = np.searchsorted(TIER_CUTS, pct).astype(np.int8)
    gold = cols["tier"] >= GOLD
    sponsored = gold & (rng.random(n0) < anchor("d8_gold_plus_sponsor_share", q["D8"]))
    cols["sponsor"] = np.where(sponsored, rng.integers(0, stage.executives, n0), -1)
    started = cols["activated"] < hs
    cols["engaged"] = started & (rng.random(n0) < engaged_target(q["D3"]))
    strongest = np.argsort(-np.where(started, cols["strength"], -np.inf))[: max(1, n0 // 20)]
    cols["engaged"][strongest] = started[strongest]   # the programme's leading partners are active
    idx = pop.add(**cols)
    pop.initial_active = n0
    snapshot(world, idx, business_times(rng, onboarded))


def _track(rng: np.random.Generator, has: np.ndarray, eligible: np.ndarray, target_share: float,
           speed: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Which eligible elements gain or lose the attribute to move its share `speed` of the way to the target."""
    n = int(eligible.sum())
    gain = np.zeros(len(has), bool)
    lose = np.zeros(len(has), bool)
    if n == 0:
        return gain, lose
    gap = (target_share - (has & eligible).sum() / n) * n * speed
    if gap > 0:
        pool = eligible & ~has
        gain = pool & (rng.random(len(has)) < min(1.0, gap / max(pool.sum(), 1)))
    elif gap < 0:
        pool = eligible & has
        lose = pool & (rng.random(len(has)) < min(1.0, -gap / max(pool.sum(), 1)))
    return gain, lose


def _trailing_partner_won(world: World, day: np.datetime64) -> np.ndarray:
    """Partner-attributed won amount (EUR) per partner closed in the 365 days before `day`."""
    log = world.logs["won_deals"]
    won = np.zeros(len(world.partners))
    if len(log):
        pidx, closed, amount = log.column("pidx"), log.column("closed_on"), log.column("amount_eur")
        window = (pidx >= 0) & (closed < day) & (closed >= day - np.timedelta64(365, "D"))
        won += np.bincount(pidx[window], weights=amount[window], minlength=len(won))
    return won


def step(world: World, block: Block) -> tuple[np.ndarray, np.ndarray]:
    """One month of the population: churn, onboarding, tier reviews, governance, engagement.

    Returns the partners who churn in the block and those onboarded in it.
    """
    pop: Population = world.partners
    stage = world.stage
    days = block.days
    q = world.quality.on(block.mid)
    active = pop.active(block.start)
    n_active = int(active.sum())

    # Churn: D3's annual rate, weighted towards small, dormant and never-activated partners.
    rng = world.rng("churn", block.index)
    # Count-based, like the signal (churned in a year / active partners), not a cohort survival rate.
    monthly = float(anchor("d3_annual_churn", q["D3"])) * days / 365.25
    eligible = active & (pop.onboarded <= block.start - np.timedelta64(90, "D"))
    weight = TIER_CHURN_WEIGHT[pop.tier] * np.where(pop.engaged, 1.0, 1.5)
    weight = weight * np.where(pop.activated < block.start, 1.0, 1.5)
    total = weight[eligible].sum()
    p = np.clip(monthly * n_active * weight / total, 0, 0.9) if total else np.zeros(len(pop))
    churning = eligible & (rng.random(len(pop)) < p)
    cidx_churn = np.flatnonzero(churning)
    pop.churned[cidx_churn] = random_days(rng, block.start, block.stop, len(cidx_churn))
    snapshot(world, cidx_churn, business_times(rng, pop.churned[cidx_churn]) + entry_lag(rng, len(cidx_churn)))

    # Onboarding: follow the stage's growth trajectory, replacing churned partners.
    rng = world.rng("onboarding", block.index)
    years = (block.stop - world.history_start) / DAY / 365.25
    cap = stage.partner_range[1] * 0.92
    target = min(cap, pop.initial_active * (1 + stage.partner_growth_per_year) ** years)
    remaining = n_active - len(cidx_churn)
    n_new = int(rng.poisson(max(0.0, target - remaining)))
    nidx = np.empty(0, dtype=np.int64)
    if n_new:
        onboarded = np.sort(random_days(rng, block.start, block.stop, n_new))
        owned = (pop.owner[active] >= 0).sum()
        k = owner_pool(owned, q["D2"])
        tier = np.where(rng.random(n_new) < 0.15, 1, 0).astype(np.int8)
        nidx = pop.add(**_new_partners(world, rng, onboarded, tier, k))
        snapshot(world, nidx, business_times(rng, onboarded) + entry_lag(rng, n_new))

    stay = pop.active(block.start) & ~(pop.churned < block.stop)
    changed = np.zeros(len(pop), bool)
    governance_rng = world.rng("governance", block.index)
    change_day = random_days(governance_rng, block.start, block.stop, len(pop))

    # Tier review each quarter: partners move one step towards the tier their trailing partner revenue deserves.
    if block.quarter_start:
        rng = world.rng("tiers", block.index)
        reviewable = stay & (pop.onboarded <= block.start - np.timedelta64(180, "D"))
        if reviewable.any():
            won = _trailing_partner_won(world, block.start)
            score = won + pop.strength * 1e-6     # ties among non-sellers broken by latent strength
            ridx = np.flatnonzero(reviewable)
            pct = (np.argsort(np.argsort(score[ridx])) + 0.5) / len(ridx)
            deserved = np.searchsorted(TIER_CUTS, pct)
            current = pop.tier[ridx]
            # Promotions follow performance; demotions are rarer and need a clear miss (two tiers below).
            up = (deserved > current) & (rng.random(len(ridx)) < 0.5)
            down = (deserved < current - 1) & (rng.random(len(ridx)) < 0.5)
            pop.tier[ridx] = current + up.astype(np.int8) - down.astype(np.int8)
            moved = ridx[up | down]
            changed[moved] = True
            change_day[moved] = block.start + rng.integers(0, 20, len(moved)).astype("timedelta64[D]")

    # Owners (D2): coverage moves towards the anchor, the manager pool towards partners-per-owner.
    rng = governance_rng
    has = pop.owner >= 0
    gain, lose = _track(rng, has, stay, float(anchor("d2_owner_coverage", q["D2"])))
    n_owned = (has & stay).sum() + gain.sum() - lose.sum()
    k = owner_pool(n_owned, q["D2"])
    new_owner = pop.owner.copy()
    new_owner[lose] = -1
    reassign = gain | (stay & has & ~lose & (pop.owner >= k) & (rng.random(len(pop)) < 0.35))
    distinct = len(np.unique(pop.owner[stay & has]))
    spread = (1 - distinct / k) * 0.35 if distinct < 0.8 * k else 0.0
    reassign |= stay & has & ~lose & (rng.random(len(pop)) < 0.02 + spread)   # 2 %: ordinary turnover
    new_owner[reassign] = rng.integers(0, k, reassign.sum())
    # Sponsors (D8): gold and platinum partners gain or lose an executive sponsor.
    gold = stay & (pop.tier >= GOLD)
    has_sponsor = pop.sponsor >= 0
    gain, lose = _track(rng, has_sponsor, gold, float(anchor("d8_gold_plus_sponsor_share", q["D8"])), speed=0.5)
    new_sponsor = pop.sponsor.copy()
    new_sponsor[lose] = -1
    new_sponsor[gain] = rng.integers(0, stage.executives, gain.sum())
    governed = (new_owner != pop.owner) | (new_sponsor != pop.sponsor)
    pop.owner, pop.sponsor = new_owner, new_sponsor
    changed |= governed
    cidx = np.flatnonzero(changed)
    if len(cidx):
        snapshot(world, cidx, business_times(rng, change_day[cidx]) + entry_lag(rng, len(cidx)))

    # Engagement (D3) and portal use (D7): sticky monthly states; activation starts engagement.
    rng = world.rng("engagement", block.index)
    now_active = pop.active(block.start) | ((pop.onboarded >= block.start) & (pop.onboarded < block.stop))
    started = now_active & (pop.activated < block.start)
    # Partners activated in the last 180 days are in the anchor's window anyway (their first deal): aim the
    # ordinary engagement at the rest of it.
    recent = now_active & (pop.activated > block.start - np.timedelta64(180, "D")) & (pop.activated < block.start)
    recent_share = recent.sum() / max(1, now_active.sum())
    pi = float(engaged_target(q["D3"], recent_share))
    u = rng.random(len(pop))
    wake = ~pop.engaged & (u < pi * ENGAGEMENT_MIXING)
    # The partners leading the sourced business do not go quiet: that keeps a concentrated portfolio concentrated.
    top = pop.strength >= world.state.get("deals", {}).get("leader_cut", np.inf)
    sleep = pop.engaged & ~top & (u < (1 - pi) * ENGAGEMENT_MIXING)
    pop.engaged = started & ((pop.engaged & ~sleep) | wake)
    pop.engaged |= now_active & (pop.activated >= block.start) & (pop.activated < block.stop)
    pi = float(anchor("d7_portal_active_30d", q["D7"]))
    u = rng.random(len(pop))
    on = ~pop.portal & (u < pi * PORTAL_MIXING)
    off = pop.portal & (u < (1 - pi) * PORTAL_MIXING)
    pop.portal = now_active & ((pop.portal & ~off) | on)
    return cidx_churn, nidx


def completeness_mask(world: World, idx: np.ndarray, days: np.ndarray) -> dict[str, np.ndarray]:
    """Which of domain/region/country/tier a version leaves empty (D7 record completeness).

    owner_id's presence is D2's business, so the four other fields carry the completeness anchor:
    (4 * c4 + owner_coverage) / 5 = anchor when D2 and D7 qualities are alike.
    """
    q7 = world.q("D7", days)
    c5 = anchor("d7_record_completeness", q7)
    c_owner = anchor("d2_owner_coverage", q7)
    missing = 1 - np.clip((5 * c5 - c_owner) / 4, 0, 1)
    pop: Population = world.partners
    return {f: getattr(pop, f"miss_{f}")[idx] < missing for f in ("domain", "region", "country", "tier")}


PARTNER_SCHEMA = {"partner_id": STR, "name": STR, "domain": STR, "partner_type": STR, "tier": STR, "region": STR,
                  "country": STR, "onboarded_on": DATE, "churned_on": DATE, "owner_id": STR,
                  "exec_sponsor_id": STR}


def build(world: World, visible_before: np.datetime64) -> pd.DataFrame:
    """Partner versions: every snapshot is a full record, later ones never stamped before earlier ones."""
    pop: Population = world.partners
    log = world.logs["partner_snapshots"]
    s = {c: log.column(c) for c in ("idx", "ts", "tier", "owner", "sponsor", "churned")}
    order = np.lexsort((np.arange(len(s["idx"])), s["idx"]))
    ts = s["ts"].astype(np.int64)[order]
    first = np.r_[True, s["idx"][order][1:] != s["idx"][order][:-1]]
    # Running maximum per partner, plus a minute per version, keeps a partner's versions in business order.
    group = np.cumsum(first) - 1
    step_no = np.arange(len(ts)) - np.flatnonzero(first)[group]
    adjusted = pd.Series(ts - step_no * 60).groupby(group).cummax().to_numpy() + step_no * 60
    ts_fixed = np.empty(len(ts), dtype=np.int64)
    ts_fixed[order] = adjusted
    s["ts"] = ts_fixed.astype("datetime64[s]")
    idx = s["idx"]
    missing = completeness_mask(world, idx, s["ts"].astype("datetime64[D]"))
    region = np.array(REGIONS, dtype=object)[pop.region[idx]]
    tier = np.array(TIERS, dtype=object)[s["tier"]]
    owner = np.array([f"USR-{o + 1:03d}" if o >= 0 else None for o in s["owner"]], dtype=object)
    sponsor = np.array([f"EXE-{o + 1:02d}" if o >= 0 else None for o in s["sponsor"]], dtype=object)
    base = {
        "partner_id": pop.pid[idx], "name": pop.name[idx],
        "domain": np.where(missing["domain"], None, pop.domain[idx]),
        "partner_type": np.array(PARTNER_TYPES, dtype=object)[pop.ptype[idx]],
        "tier": np.where(missing["tier"], None, tier), "region": np.where(missing["region"], None, region),
        "country": np.where(missing["country"], None, pop.country[idx]), "onboarded_on": pop.onboarded[idx],
        "churned_on": s["churned"], "owner_id": owner, "exec_sponsor_id": sponsor,
    }
    return build_versions(pop.pid[idx], base, [Step(s["ts"])], PARTNER_SCHEMA, visible_before)
