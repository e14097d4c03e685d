"""Campaigns and market development funds (MDF).

Grain: `campaigns` one row per campaign (one version, when it is planned); `mdf_allocations` one row per partner and
quarter (one version); `mdf_requests` one row per request (submitted, decided); `mdf_claims` one row per claim
(submitted, paid or rejected).

Joint campaigns (D5) run with a partner; joint propositions are long joint campaigns. MDF campaigns are run by a
partner with vendor funds: each request funds one campaign, its amount is sized from the partner's expected deal
flow so that won amount from the campaign over MDF paid is the D6 ROI anchor, and the quarter's allocation is sized
so that claimed over allocated is the D6 utilisation anchor. Decision and payout speed are D7.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.sandbox.anchors import anchor
from connectors.sandbox.deals import FX_EUR_PER_UNIT, MDF_TAG_SHARE, partner_ids
from connectors.sandbox.population import GOLD
from connectors.sandbox.randomness import (DAY, Block, add_months, business_times, entry_lag, lognormal,
                                           random_days, to_days)
from connectors.sandbox.records import AMOUNT, BOOL, DATE, STR, Step, build_versions, later
from connectors.sandbox.world import World

JOINT_TYPES = (np.array(["co_marketing", "webinar", "event", "digital"], dtype=object),
               np.array([0.35, 0.25, 0.2, 0.2]), np.array([60, 20, 30, 45]), np.array([120, 40, 60, 75]))
VENDOR_TYPES = (np.array(["webinar", "event", "digital"], dtype=object), np.array([0.4, 0.3, 0.3]),
                np.array([20, 30, 45]), np.array([40, 60, 75]))
PROPOSITION_DAYS = (180, 365)
MDF_TYPES = (np.array(["co_marketing", "event", "webinar", "digital"], dtype=object),
             np.array([0.4, 0.25, 0.2, 0.15]), np.array([30, 30, 30, 30]), np.array([60, 60, 60, 60]))
MDF_APPROVAL = 0.88
CLAIM_RATIO = 0.925            # mean claimed / requested
CLAIM_REJECTED = 0.04


def _mean_days(types) -> float:
    return float((types[1] * (types[2] + types[3]) / 2).sum())


def _draw_types(rng, types, n):
    k = rng.choice(len(types[0]), n, p=types[1])
    return types[0][k], rng.integers(types[2][k], types[3][k] + 1)


def _pick_partners(world: World, rng, n: int, eligible: np.ndarray) -> np.ndarray:
    """Partners to run `n` campaigns, weighted by their deal flow (as if engaged)."""
    weight = world.state["deals"]["expected_intents_month"] * eligible
    if weight.sum() <= 0:
        weight = eligible.astype(float)
    if weight.sum() <= 0 or n == 0:
        return np.empty(0, dtype=np.int64)
    return rng.choice(len(weight), n, p=weight / weight.sum())


def _log_campaigns(world: World, ids, pidx, kind, ctype, is_joint, start, end, ts) -> None:
    world.logs["campaign_index"].append(campaign_id=ids, pidx=pidx, kind=kind, campaign_type=ctype,
                                        is_joint=is_joint, start_on=start, end_on=end, ts=ts)


def _campaign_batch(world: World, rng, label: str, block_start, block_stop, counts: dict[str, int],
                    live_before: bool) -> None:
    """Joint, proposition and vendor campaigns starting in [block_start, block_stop); with `live_before` they
    started earlier and are still running on block_start (the programme's state on history_start)."""
    pop = world.partners
    alive = pop.active(block_start)
    engaged = alive & pop.engaged
    gold = alive & (pop.tier >= GOLD)
    rows = []
    for kind, types, eligible in (("joint", JOINT_TYPES, engaged if engaged.any() else alive),
                                  ("proposition", None, gold if gold.any() else alive),
                                  ("vendor", VENDOR_TYPES, None)):
        n = counts[kind]
        if n == 0:
            continue
        if types is None:
            ctype = np.full(n, "joint_proposition", dtype=object)
            days = rng.integers(PROPOSITION_DAYS[0], PROPOSITION_DAYS[1] + 1, n)
        else:
            ctype, days = _draw_types(rng, types, n)
        pidx = np.full(n, -1) if eligible is None else _pick_partners(world, rng, n, eligible)
        if len(pidx) < n:
            continue
        if live_before:
            start = block_start - (rng.random(n) * days).astype(np.int64).astype("timedelta64[D]")
        else:
            start = random_days(rng, block_start, block_stop, n)
        end = start + (days - 1).astype("timedelta64[D]")
        rows.append((pidx, np.full(n, "vendor" if kind == "vendor" else "joint", dtype=object), ctype,
                     np.full(n, kind != "vendor"), start, end))
    if not rows:
        return
    pidx, kind, ctype, joint, start, end = (np.concatenate(c) for c in zip(*rows))
    ids = np.array([f"CMP-{label}-{i:04d}" for i in range(len(pidx))], dtype=object)
    _log_campaigns(world, ids, pidx, kind, ctype, joint, start, end, business_times(rng, start))


def _live_targets(world: World, day: np.datetime64) -> dict[str, float]:
    """Campaigns that should be running on `day`: joint (D5, per 10 active partners), propositions, vendor."""
    q5 = world.q("D5", day)
    n_active = int(world.partners.active(day).sum())
    joint = float(anchor("d5_joint_campaigns_per_10", q5)) * n_active / 10
    proposition = float(anchor("d5_live_joint_propositions", q5, world.stage.name))
    return {"joint": max(0.0, joint - proposition), "proposition": proposition,
            "vendor": world.stage.vendor_campaigns_live}


def initialise(world: World) -> None:
    rng = world.rng("campaigns", 0)
    live = _live_targets(world, world.history_start)
    counts = {kind: int(rng.poisson(value)) for kind, value in live.items()}
    _campaign_batch(world, rng, "0", world.history_start, world.history_start, counts, live_before=True)
    hs = world.history_start
    quarter = hs.astype("datetime64[M]")
    q_start = (quarter - np.timedelta64(int(quarter.astype(np.int64)) % 3, "M")).astype("datetime64[D]")
    if q_start < hs:
        _mdf_quarter(world, world.rng("mdf", 0), "0", q_start, hs)


def step(world: World, block: Block) -> None:
    rng = world.rng("campaigns", block.index)
    live = _live_targets(world, block.mid)
    per_month = block.days / 30.44
    mean_days = {"joint": _mean_days(JOINT_TYPES), "proposition": sum(PROPOSITION_DAYS) / 2,
                 "vendor": _mean_days(VENDOR_TYPES)}
    counts = {kind: int(rng.poisson(live[kind] / (mean_days[kind] / 30.44) * per_month)) for kind in live}
    _campaign_batch(world, rng, block.label, block.start, block.stop, counts, live_before=False)
    if block.quarter_start:
        _mdf_quarter(world, world.rng("mdf", block.index), block.label, block.start, block.start)


def _mdf_quarter(world: World, rng: np.random.Generator, label: str, q_start: np.datetime64,
                 earliest: np.datetime64) -> None:
    """A quarter of MDF: allocations for engaged silver+ partners, their requests, campaigns and claims."""
    pop = world.partners
    q_stop = add_months(q_start, 3)
    eligible = np.flatnonzero(pop.active(earliest) & pop.engaged & (pop.tier >= 1))
    if not len(eligible):
        return
    n_req = 1 + ((pop.tier[eligible] >= GOLD) & (rng.random(len(eligible)) < 0.5))
    r_pidx = np.repeat(eligible, n_req)
    n = len(r_pidx)
    submitted = random_days(rng, earliest, max(earliest + DAY, q_start + np.timedelta64(50, "D")), n)
    q7 = world.q("D7", submitted)
    decided = submitted + to_days(lognormal(rng, anchor("d7_mdf_decision_days", q7), 0.7, n))
    approved = rng.random(n) < MDF_APPROVAL
    ctype, days = _draw_types(rng, MDF_TYPES, n)
    start = submitted + (35 + rng.integers(0, 11, n)).astype("timedelta64[D]")
    end = start + (days - 1).astype("timedelta64[D]")
    expected_won = world.state["deals"]["expected_won_month_eur"][r_pidx] * days / 30.44
    tagged_won = MDF_TAG_SHARE * expected_won * _mdf_realisation(world, q_start)
    roi = anchor("d6_mdf_roi", world.q("D6", submitted))
    request_eur = np.maximum(100.0, np.round(tagged_won / roi / CLAIM_RATIO, -2))
    currency = pop.currency[r_pidx]
    fx = np.array([FX_EUR_PER_UNIT[c] for c in currency])
    request_ids = np.array([f"MDR-{label}-{i:05d}" for i in range(n)], dtype=object)
    campaign_ids = np.array([f"CMP-{label}-M{i:05d}" for i in range(n)], dtype=object)
    _log_campaigns(world, campaign_ids, r_pidx, np.where(approved, "mdf", "unfunded").astype(object), ctype,
                   np.zeros(n, bool), start, end, business_times(rng, submitted))
    ts_submitted = business_times(rng, submitted)
    ts_decided = later(business_times(rng, decided) + entry_lag(rng, n), ts_submitted)
    world.logs["mdf_requests"].append(
        request_id=request_ids, pidx=r_pidx, campaign_id=campaign_ids, submitted_on=submitted, decided_on=decided,
        end_on=end, approved=approved, expected_eur=tagged_won,
        status=np.where(approved, "approved", "rejected").astype(object), amount=request_eur / fx,
        currency=currency, ts_submitted=ts_submitted, ts_decided=ts_decided,
    )

    # Claims follow the approved campaigns; the allocation was sized so claims use the D6 share of it.
    a = np.flatnonzero(approved)
    claim_submitted = end[a] + rng.integers(3, 21, len(a)).astype("timedelta64[D]")
    claim_eur = np.round(request_eur[a] * rng.uniform(0.85, 1.0, len(a)), 2)
    rejected = rng.random(len(a)) < CLAIM_REJECTED
    payout = lognormal(rng, anchor("d7_claim_payout_days", world.q("D7", claim_submitted)), 0.6, len(a))
    paid = claim_submitted + to_days(payout)
    ts_claim = business_times(rng, claim_submitted) + entry_lag(rng, len(a))
    ts_paid = later(business_times(rng, paid) + entry_lag(rng, len(a)), ts_claim)
    world.logs["mdf_claims"].append(
        claim_id=np.array([f"MDC-{label}-{i:05d}" for i in range(len(a))], dtype=object), request_id=request_ids[a],
        pidx=r_pidx[a], submitted_on=claim_submitted, paid_on=paid,
        status=np.where(rejected, "rejected", "paid").astype(object), amount=claim_eur / fx[a],
        currency=currency[a], ts_submitted=ts_claim, ts_decided=ts_paid,
    )

    claimed = request_eur * MDF_APPROVAL * CLAIM_RATIO * (1 - CLAIM_REJECTED)
    planned = np.bincount(np.searchsorted(eligible, r_pidx), weights=claimed, minlength=len(eligible))
    utilisation = anchor("d6_mdf_utilisation", world.q("D6", q_start))
    allocation_eur = np.maximum(100.0, np.round(planned / utilisation, -2))
    a_currency = pop.currency[eligible]
    a_fx = np.array([FX_EUR_PER_UNIT[c] for c in a_currency])
    a_day = q_start + rng.integers(0, 6, len(eligible)).astype("timedelta64[D]")
    world.logs["mdf_allocations"].append(
        allocation_id=np.array([f"MDA-{label}-{i:05d}" for i in range(len(eligible))], dtype=object),
        pidx=eligible, period_start=np.full(len(eligible), q_start), period_end=np.full(len(eligible), q_stop - DAY),
        amount=allocation_eur / a_fx, currency=a_currency, ts=business_times(rng, a_day),
    )


def _mdf_realisation(world: World, day: np.datetime64) -> float:
    """Won amount realised by past funded campaigns over what was expected of them (campaigns that ended 4 to 13
    months ago, so their deals have closed). Partners size the next requests on it, which keeps MDF ROI on its
    anchor although partners go quiet and deals slip; 0.75 until there is a history to read."""
    log = world.logs["mdf_requests"]
    prior = world.state.get("mdf_realisation", 0.75)
    if not len(log):
        return prior
    end, approved = log.column("end_on"), log.column("approved")
    done = approved & (end < day - np.timedelta64(120, "D")) & (end >= day - np.timedelta64(400, "D"))
    if done.sum() < 5:
        return prior
    opps = world.logs["opportunities"]
    funded = set(log.column("campaign_id")[done].tolist())
    campaign = opps.column("campaign_id")
    won = (opps.column("status") == "won") & (opps.column("closed_on") < day)
    hit = won & np.array([c in funded for c in campaign], dtype=bool)
    realised = opps.column("amount_eur")[hit].sum()
    expected = log.column("expected_eur")[done].sum()
    value = float(np.clip(realised / expected, 0.2, 3.0)) if expected > 0 else prior
    world.state["mdf_realisation"] = value
    return value


CAMPAIGN_SCHEMA = {"campaign_id": STR, "partner_id": STR, "campaign_type": STR, "is_joint": BOOL, "start_on": DATE,
                   "end_on": DATE}
ALLOCATION_SCHEMA = {"allocation_id": STR, "partner_id": STR, "period_start": DATE, "period_end": DATE,
                     "amount": AMOUNT, "currency": STR}
REQUEST_SCHEMA = {"request_id": STR, "partner_id": STR, "campaign_id": STR, "submitted_on": DATE,
                  "decided_on": DATE, "status": STR, "amount": AMOUNT, "currency": STR}
CLAIM_SCHEMA = {"claim_id": STR, "request_id": STR, "partner_id": STR, "submitted_on": DATE, "paid_on": DATE,
                "status": STR, "amount": AMOUNT, "currency": STR}


def _columns(world: World, name: str, columns: list[str]) -> dict[str, np.ndarray]:
    log = world.logs[name]
    out = {c: log.column(c) for c in columns}
    out["partner_id"] = partner_ids(world, out["pidx"]) if len(out["pidx"]) else np.empty(0, dtype=object)
    return out


def build(world: World, visible_before: np.datetime64) -> dict[str, pd.DataFrame]:
    c = _columns(world, "campaign_index", ["campaign_id", "pidx", "campaign_type", "is_joint", "start_on", "end_on",
                                           "ts"])
    campaigns = build_versions(c["campaign_id"], c, [Step(c["ts"])], CAMPAIGN_SCHEMA, visible_before)
    a = _columns(world, "mdf_allocations", ["allocation_id", "pidx", "period_start", "period_end", "amount",
                                            "currency", "ts"])
    allocations = build_versions(a["allocation_id"], a, [Step(a["ts"])], ALLOCATION_SCHEMA, visible_before)
    r = _columns(world, "mdf_requests", ["request_id", "pidx", "campaign_id", "submitted_on", "decided_on", "status",
                                         "amount", "currency", "ts_submitted", "ts_decided"])
    base = {**r, "status": "pending", "decided_on": np.datetime64("NaT", "D")}
    steps = [Step(r["ts_submitted"]), Step(r["ts_decided"], {"status": r["status"], "decided_on": r["decided_on"]})]
    requests = build_versions(r["request_id"], base, steps, REQUEST_SCHEMA, visible_before)
    m = _columns(world, "mdf_claims", ["claim_id", "request_id", "pidx", "submitted_on", "paid_on", "status",
                                       "amount", "currency", "ts_submitted", "ts_decided"])
    paid_on = np.where(m["status"] == "paid", m["paid_on"], np.datetime64("NaT", "D")) if len(m["status"]) else \
        m["paid_on"]
    base = {**m, "status": "pending", "paid_on": np.datetime64("NaT", "D")}
    steps = [Step(m["ts_submitted"]), Step(m["ts_decided"], {"status": m["status"], "paid_on": paid_on})]
    claims = build_versions(m["claim_id"], base, steps, CLAIM_SCHEMA, visible_before)
    return {"campaigns": campaigns, "mdf_allocations": allocations, "mdf_requests": requests, "mdf_claims": claims}
