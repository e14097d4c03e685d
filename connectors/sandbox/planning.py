"""Agreements, targets and joint business plans: how the programme contracts, plans and sets goals with partners.

Grain: `partner_agreements` one row per signed term (versions at signature and at renewal); `partner_targets` one row
per partner and quarter (one version, entered in the quarter's first days); `joint_business_plans` one row per plan
(versions draft -> active -> completed or abandoned).

Renewal on time is D2; target coverage and attainment are D6; plan coverage of gold/platinum partners and plan
attainment are D1. Target and plan amounts are the partner's expected partner-attributed won amount divided by the
anchored attainment, so actual attainment lands on the anchor on average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.sandbox.anchors import anchor
from connectors.sandbox.deals import FX_EUR_PER_UNIT, partner_ids
from connectors.sandbox.population import GOLD, _track
from connectors.sandbox.randomness import DAY, Block, add_months, business_times, entry_lag, random_days
from connectors.sandbox.records import AMOUNT, DATE, STR, Step, build_versions, later
from connectors.sandbox.world import World

YEAR = np.timedelta64(365, "D")


def _fx(currency: np.ndarray) -> np.ndarray:
    return np.array([FX_EUR_PER_UNIT[c] for c in currency])


def _agreements(world: World, rng, label: str, pidx, start, ts) -> None:
    n = len(pidx)
    world.logs["agreements"].append(
        agreement_id=np.array([f"AGR-{label}-{i:05d}" for i in range(n)], dtype=object), pidx=pidx,
        start_on=start, end_on=start + YEAR - DAY, ts=ts,
    )


def _renewals(world: World, rng: np.random.Generator, label: str, lo: np.datetime64, hi: np.datetime64) -> None:
    """Decide every agreement whose renewal window (30 days before its end) opens in [lo, hi)."""
    log = world.logs["agreements"]
    if not len(log):
        return
    end = log.column("end_on")
    due = np.flatnonzero((end - np.timedelta64(30, "D") >= lo) & (end - np.timedelta64(30, "D") < hi))
    if not len(due):
        return
    ids, pidx, end = log.column("agreement_id")[due], log.column("pidx")[due], end[due]
    n = len(due)
    on_time = rng.random(n) < anchor("d2_agreement_renewed_on_time", world.q("D2", end - np.timedelta64(30, "D")))
    late = ~on_time & (rng.random(n) < 0.6)
    renewed = np.where(on_time, end - rng.integers(0, 31, n).astype("timedelta64[D]"),
                       end + rng.integers(1, 91, n).astype("timedelta64[D]"))
    r = on_time | late
    ts = business_times(rng, renewed[r]) + entry_lag(rng, int(r.sum()))
    world.logs["renewals"].append(agreement_id=ids[r], pidx=pidx[r], renewed_on=renewed[r], ts=ts)
    next_start = np.where(on_time[r], end[r] + DAY, renewed[r])
    _agreements(world, rng, f"{label}R", pidx[r], next_start, ts)


def _expected_won(world: World, pidx: np.ndarray, months: float) -> np.ndarray:
    return world.state["deals"]["expected_won_month_eur"][pidx] * months


def _realised(world: World, pidx: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Partner-attributed won amount (EUR) of each partner between start and end (inclusive)."""
    log = world.logs["won_deals"]
    out = np.zeros(len(pidx))
    if not len(log) or not len(pidx):
        return out
    frame = pd.DataFrame({"pidx": log.column("pidx"), "closed": log.column("closed_on"),
                          "eur": log.column("amount_eur")})
    rows = pd.DataFrame({"row": np.arange(len(pidx)), "pidx": pidx, "start": start, "end": end})
    hit = rows.merge(frame, on="pidx")
    hit = hit[(hit["closed"] >= hit["start"]) & (hit["closed"] <= hit["end"])]
    np.add.at(out, hit["row"].to_numpy(), hit["eur"].to_numpy())
    return out


def _ended(world: World, name: str, day: np.datetime64, lookback: np.timedelta64) -> dict[str, np.ndarray] | None:
    """Targets or plans that ended in the lookback before `day` (partner alive to the end), with realised EUR."""
    log = world.logs[name]
    if not len(log):
        return None
    end = log.column("period_end")
    pidx = log.column("pidx")
    done = (end < day) & (end >= day - lookback) & ~(world.partners.churned[pidx] <= end)
    if done.sum() < 5:
        return None
    rows = {c: log.column(c)[done] for c in ("pidx", "period_start", "period_end", "expected_eur", "engaged", "gold")}
    rows["realised"] = _realised(world, rows["pidx"], rows["period_start"], rows["period_end"])
    return rows


def _target_ratio(world: World, q_start: np.datetime64, engaged: np.ndarray, aim: float) -> float:
    """Target = expected quarter x ratio / aim, with the ratio read from the last two quarters' outcomes.

    Partners that close nothing attain 0 whatever their target, so the median over the new targets is the
    quantile (0.5 - z) / (1 - z) of the realised/expected ratios of partners that did close something, z being the
    share expected to close nothing (from the past zero rates of engaged and dormant partners). A vendor sets the
    next targets from how the last ones went; here it keeps the median attainment on its anchor where it can be.
    """
    rows = _ended(world, "targets", q_start, np.timedelta64(183, "D"))
    if rows is None:
        return world.state.get("target_ratio", 0.5)
    ratio = rows["realised"] / rows["expected_eur"]
    zero = ratio <= 0
    rate = {flag: zero[rows["engaged"] == flag].mean() if (rows["engaged"] == flag).any() else float(flag is False)
            for flag in (True, False)}
    z = float(np.where(engaged, rate[True], rate[False]).mean())
    positive = ratio[~zero]
    if len(positive) < 5:
        return world.state.get("target_ratio", 0.5)
    p = float(np.clip((0.5 - z) / max(1e-9, 1 - z), 0.02, 0.98))
    value = float(np.clip(np.quantile(positive, p), 0.02, 20.0))
    world.state["target_ratio"] = value
    return value


def _targets(world: World, rng: np.random.Generator, label: str, q_start: np.datetime64, day: np.datetime64):
    """Quarterly targets for a D6 share of active partners, engaged partners first (see `_target_ratio`)."""
    pop = world.partners
    active = np.flatnonzero(pop.active(day))
    if not len(active):
        return
    coverage = float(anchor("d6_target_coverage", world.q("D6", q_start)))
    n = int(rng.binomial(len(active), coverage))
    priority = np.where(pop.engaged[active], 0.0, 1.0) + rng.random(len(active))
    chosen = active[np.argsort(priority, kind="stable")[:n]]
    if not len(chosen):
        return
    aim = float(anchor("d6_target_attainment", world.q("D6", q_start)))
    expected = np.maximum(_expected_won(world, chosen, 3.0), 500.0)
    ratio = _target_ratio(world, q_start, pop.engaged[chosen], aim)
    target_eur = np.maximum(np.round(expected * ratio / aim * rng.lognormal(0, 0.15, len(chosen)), -2), 500.0)
    currency = pop.currency[chosen]
    entered = q_start + rng.integers(0, 8, len(chosen)).astype("timedelta64[D]")
    world.logs["targets"].append(
        target_id=np.array([f"TGT-{label}-{i:05d}" for i in range(len(chosen))], dtype=object), pidx=chosen,
        period_start=np.full(len(chosen), q_start), period_end=np.full(len(chosen), add_months(q_start, 3) - DAY),
        target_amount=target_eur / _fx(currency), currency=currency, expected_eur=expected,
        engaged=pop.engaged[chosen], gold=pop.tier[chosen] >= GOLD, ts=business_times(rng, entered),
    )


def _plan_ratio(world: World, day: np.datetime64) -> float:
    """Realised / expected won amount (sums) of the plans that ended in the past year and started inside the
    history (earlier ones ran partly before any deal was simulated); until there are some, the same ratio over the
    last two quarters' targets of engaged gold and platinum partners (the ones plans are made with)."""
    rows = _ended(world, "plans", day, YEAR)
    if rows is not None:
        inside = rows["period_start"] >= world.history_start
        if inside.sum() >= 5 and rows["expected_eur"][inside].sum() > 0:
            return float(np.clip(rows["realised"][inside].sum() / rows["expected_eur"][inside].sum(), 0.02, 20.0))
    rows = _ended(world, "targets", day, np.timedelta64(183, "D"))
    if rows is not None and (rows["engaged"] & rows["gold"]).any():
        e = rows["engaged"] & rows["gold"]
        return float(np.clip(rows["realised"][e].sum() / rows["expected_eur"][e].sum(), 0.02, 20.0))
    return world.state.get("plan_ratio", 0.5)


def _new_plans(world: World, rng, label: str, pidx: np.ndarray, created: np.ndarray) -> None:
    """Plans of a year; the target is the expected year over the D1 attainment anchor, scaled by how realised
    business compared with expectations on the plans that ended in the past year."""
    pop = world.partners
    n = len(pidx)
    if not n:
        return
    start = created + rng.integers(5, 26, n).astype("timedelta64[D]")
    end = start + YEAR - DAY
    aim = anchor("d1_plan_attainment", world.q("D1", created))
    expected = np.maximum(_expected_won(world, pidx, 12.0), 10_000.0)
    world.state["plan_ratio"] = _plan_ratio(world, created.min())
    ratio = world.state["plan_ratio"]
    target_eur = np.maximum(np.round(expected * ratio / aim, -3), 5_000.0)
    currency = pop.currency[pidx]
    ts_created = business_times(rng, created)
    ts_active = later(business_times(rng, start), ts_created)
    ts_done = later(business_times(rng, end + rng.integers(0, 11, n).astype("timedelta64[D]")), ts_active)
    ids = np.array([f"JBP-{label}-{i:04d}" for i in range(n)], dtype=object)
    world.logs["plans"].append(plan_id=ids, pidx=pidx, period_start=start, period_end=end,
                               target_revenue=target_eur / _fx(currency), currency=currency, expected_eur=expected,
                               engaged=pop.engaged[pidx], gold=pop.tier[pidx] >= GOLD,
                               ts_created=ts_created, ts_active=ts_active, ts_done=ts_done)
    plans = world.state.setdefault("plans", {})
    for i, p in enumerate(pidx):
        plans[int(p)] = (ids[i], end[i])


def _gain_count(rng: np.random.Generator, has: np.ndarray, eligible: np.ndarray, target: float) -> int:
    # Aim a little above the anchor: new plans spend their first weeks as drafts, and promotions bring in
    # uncovered gold partners every quarter.
    gap = (min(0.98, target + 0.05) * eligible.sum() - (has & eligible).sum()) * 0.8
    return int(rng.poisson(gap)) if gap > 0 else 0


def _plan_tracking(world: World, rng: np.random.Generator, label: str, lo: np.datetime64, hi: np.datetime64):
    """Gold/platinum partners gain or lose a plan so coverage moves towards the D1 anchor."""
    pop = world.partners
    plans: dict[int, tuple[str, np.datetime64]] = world.state.setdefault("plans", {})
    alive = pop.active(lo) & ~(pop.churned < hi)
    # A plan ending within a month no longer covers: its successor is drafted before it runs out.
    covered = np.zeros(len(pop), bool)
    for p, (_, end) in plans.items():
        covered[p] = end >= lo + np.timedelta64(30, "D")
    eligible = alive & (pop.tier >= GOLD)
    coverage = float(anchor("d1_gold_plus_plan_coverage", world.q("D1", lo)))
    gain, lose = _track(rng, covered, eligible, coverage, speed=0.5)
    # Plans go to partners with business first: an engaged partner is the one a vendor plans with.
    pool = np.flatnonzero(eligible & ~covered)
    order = pool[np.argsort(np.where(pop.engaged[pool], 0.0, 1.0) + rng.random(len(pool)), kind="stable")]
    gain = np.zeros(len(pop), bool)
    gain[order[: int(_gain_count(rng, covered, eligible, coverage))]] = True
    days = random_days(rng, lo, hi, len(pop))
    for p in np.flatnonzero(lose):
        world.logs["plan_abandoned"].append(plan_id=np.array([plans[int(p)][0]], dtype=object),
                                            ts=business_times(rng, days[p:p + 1]))
        del plans[int(p)]
    for p in np.flatnonzero(gain):
        plans.pop(int(p), None)
    _new_plans(world, rng, label, np.flatnonzero(gain), days[gain])


def _churned_plans(world: World, rng: np.random.Generator, churned: np.ndarray) -> None:
    plans = world.state.setdefault("plans", {})
    pop = world.partners
    for p in churned:
        if int(p) in plans:
            plan_id, end = plans.pop(int(p))
            if end >= pop.churned[p]:
                world.logs["plan_abandoned"].append(plan_id=np.array([plan_id], dtype=object),
                                                    ts=business_times(rng, pop.churned[p:p + 1]))


def initialise(world: World) -> None:
    rng = world.rng("agreements", 0)
    pop = world.partners
    hs = world.history_start
    idx = np.flatnonzero(pop.active(hs))
    years = ((hs - pop.onboarded[idx]) / DAY / 365).astype(np.int64)
    start = pop.onboarded[idx] + (years * 365).astype("timedelta64[D]")
    _agreements(world, rng, "0", idx, start, business_times(rng, start))
    _renewals(world, rng, "0", np.datetime64("1900-01-01"), hs)
    q_start = add_months(hs.astype("datetime64[M]").astype("datetime64[D]"),
                         -(int(hs.astype("datetime64[M]").astype(np.int64)) % 3))
    if q_start < hs:   # a history starting on a quarter's first day gets that quarter's targets in its first block
        _targets(world, world.rng("targets", 0), "0", q_start, hs)
    # Plans in force on history_start, started up to ten months before.
    rng = world.rng("plans", 0)
    gold = idx[pop.tier[idx] >= GOLD]
    coverage = float(anchor("d1_gold_plus_plan_coverage", world.q("D1", hs)))
    chosen = gold[(rng.random(len(gold)) < coverage) & (pop.engaged[gold] | (rng.random(len(gold)) < 0.3))]
    created = hs - rng.integers(30, 330, len(chosen)).astype("timedelta64[D]")
    _new_plans(world, rng, "0", chosen, np.maximum(created, pop.onboarded[chosen]))


def step(world: World, block: Block, churned: np.ndarray, onboarded: np.ndarray) -> None:
    rng = world.rng("agreements", block.index)
    pop = world.partners
    _agreements(world, rng, block.label, onboarded, pop.onboarded[onboarded],
                business_times(rng, pop.onboarded[onboarded]) + entry_lag(rng, len(onboarded)))
    _renewals(world, rng, block.label, block.start, block.stop)
    if block.quarter_start:
        _targets(world, world.rng("targets", block.index), block.label, block.start, block.start)
    rng = world.rng("plans", block.index)
    _churned_plans(world, rng, churned)
    _plan_tracking(world, rng, block.label, block.start, block.stop)


AGREEMENT_SCHEMA = {"agreement_id": STR, "partner_id": STR, "start_on": DATE, "end_on": DATE, "renewed_on": DATE}
TARGET_SCHEMA = {"target_id": STR, "partner_id": STR, "period_start": DATE, "period_end": DATE,
                 "target_amount": AMOUNT, "currency": STR}
PLAN_SCHEMA = {"plan_id": STR, "partner_id": STR, "start_on": DATE, "end_on": DATE, "status": STR,
               "target_revenue": AMOUNT, "currency": STR}


def build(world: World, visible_before: np.datetime64) -> dict[str, pd.DataFrame]:
    pop = world.partners
    log = world.logs["agreements"]
    a = {c: log.column(c) for c in ("agreement_id", "pidx", "start_on", "end_on", "ts")}
    churned = pop.churned[a["pidx"]]
    # Terms that would start after the partner churned were never signed.
    keep = ~(a["ts"].astype("datetime64[D]") > churned)
    a = {k: v[keep] for k, v in a.items()}
    rlog = world.logs["renewals"]
    renewed_on = np.full(len(a["agreement_id"]), np.datetime64("NaT", "D"))
    ts_renewed = np.full(len(a["agreement_id"]), np.datetime64("NaT", "s"))
    if len(rlog):
        r_ids, r_on, r_ts = rlog.column("agreement_id"), rlog.column("renewed_on"), rlog.column("ts")
        valid = ~(r_on > pop.churned[rlog.column("pidx")])
        pos = pd.Index(a["agreement_id"]).get_indexer(r_ids[valid])
        found = pos >= 0
        renewed_on[pos[found]] = r_on[valid][found]
        ts_renewed[pos[found]] = later(r_ts[valid][found], a["ts"][pos[found]])
    base = {**a, "partner_id": partner_ids(world, a["pidx"]), "renewed_on": np.datetime64("NaT", "D")}
    agreements = build_versions(a["agreement_id"], base, [Step(a["ts"]), Step(ts_renewed, {"renewed_on": renewed_on})],
                                AGREEMENT_SCHEMA, visible_before)

    log = world.logs["targets"]
    t = {c: log.column(c) for c in ("target_id", "pidx", "period_start", "period_end", "target_amount", "currency",
                                    "ts")}
    keep = ~(t["period_start"] > pop.churned[t["pidx"]]) if len(t["pidx"]) else np.zeros(0, bool)
    t = {k: v[keep] for k, v in t.items()}
    t["partner_id"] = partner_ids(world, t["pidx"])
    targets = build_versions(t["target_id"], t, [Step(t["ts"])], TARGET_SCHEMA, visible_before)

    log = world.logs["plans"]
    p = {c: log.column(c) for c in ("plan_id", "pidx", "period_start", "period_end", "target_revenue", "currency",
                                    "ts_created", "ts_active", "ts_done")}
    p["start_on"], p["end_on"] = p.pop("period_start"), p.pop("period_end")
    ts_abandoned = np.full(len(p["plan_id"]), np.datetime64("NaT", "s"))
    alog = world.logs["plan_abandoned"]
    if len(alog):
        pos = pd.Index(p["plan_id"]).get_indexer(alog.column("plan_id"))
        ts_abandoned[pos] = alog.column("ts")
    # An abandoned plan never completes; abandoned while still a draft, it never went active.
    ts_abandoned = later(ts_abandoned, p["ts_created"])
    ts_done = np.where(np.isnat(ts_abandoned), p["ts_done"], np.datetime64("NaT", "s"))
    ts_active = np.where(~np.isnat(ts_abandoned) & (ts_abandoned <= p["ts_active"]), np.datetime64("NaT", "s"),
                         p["ts_active"])
    base = {**p, "partner_id": partner_ids(world, p["pidx"]), "status": "draft"}
    steps = [Step(p["ts_created"]), Step(ts_active, {"status": "active"}), Step(ts_done, {"status": "completed"}),
             Step(ts_abandoned, {"status": "abandoned"})]
    plans = build_versions(p["plan_id"], base, steps, PLAN_SCHEMA, visible_before)
    return {"partner_agreements": agreements, "partner_targets": targets, "joint_business_plans": plans}
