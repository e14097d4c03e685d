"""Relationship data: activities (D2 QBRs, D6 scorecard reviews, D8 everything else), surveys and portal logins.

Grain: `activities` one row per logged interaction (one version; about 1 % are logged twice and the duplicate is
deleted a few days later, the only deletions the sandbox sends); `partner_surveys` one row per invitation (versions
at send and at response); `portal_logins` one row per partner, portal user and day with a login (one version).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.sandbox.anchors import anchor
from connectors.sandbox.deals import partner_ids
from connectors.sandbox.enablement import active_window, person_ids
from connectors.sandbox.population import GOLD
from connectors.sandbox.randomness import DAY, SECONDS_PER_DAY, Block, business_times, random_days
from connectors.sandbox.records import DATE, INT, STR, TS, Step, build_versions, later
from connectors.sandbox.world import World

FILLER_TYPES = (np.array(["meeting", "call", "email", "joint_planning", "feedback", "training_session"], dtype=object),
                np.array([0.3, 0.3, 0.2, 0.08, 0.06, 0.06]))
SURVEY_MONTHS = (3, 9)
SURVEY_DAY = 9          # sent on the 10th
DUPLICATE_SHARE = 0.01
SCORE_DETRACTOR = np.array([1, 1, 2, 3, 4, 6, 8], dtype=float)


def staff_ids(owner: np.ndarray) -> np.ndarray:
    return np.array([f"USR-{o + 1:03d}" if o >= 0 else None for o in owner], dtype=object)


def _log(world: World, rng, label: str, kind: str, pidx: np.ndarray, types: np.ndarray, at: np.ndarray,
         deleted_at: np.ndarray | None = None) -> None:
    n = len(pidx)
    if not n:
        return
    pop = world.partners
    initiated = rng.random(n) < anchor("d8_partner_initiated_share", world.q("D8", at.astype("datetime64[D]")))
    owner = pop.owner[pidx]
    pool = max(1, int(pop.owner.max()) + 1) if len(pop.owner) else 1
    owner = np.where(owner >= 0, owner, rng.integers(0, pool, n))
    world.logs["activities"].append(
        activity_id=np.array([f"ACT-{label}-{kind}{i:05d}" for i in range(n)], dtype=object), pidx=pidx,
        activity_type=types, occurred_at=at,
        initiated_by=np.where(initiated, "partner", "vendor").astype(object), owner=owner,
        deleted_at=np.full(n, np.datetime64("NaT", "s")) if deleted_at is None else deleted_at,
    )


def _activities(world: World, block: Block) -> None:
    rng = world.rng("activities", block.index)
    pop = world.partners
    idx, lo, hi = active_window(world, block)
    if not len(idx):
        return
    q = world.quality.on(block.mid)
    gold = pop.tier[idx] >= GOLD
    # The anchor counts every activity; the structured ones (QBRs, reviews, exec meetings) come out of it.
    structured = (gold.mean() * float(anchor("d2_gold_plus_qbr_120d", q["D2"]))
                  + float(anchor("d6_scorecard_review_share", q["D6"]))
                  + gold.mean() * float(anchor("d8_exec_meetings_per_gold_plus_half_year", q["D8"])) / 2)
    filler = max(0.3, float(anchor("d8_activities_per_partner_90d", q["D8"])) - structured)
    span = (hi - lo) / DAY
    counts = rng.poisson(filler * span / 91.3)
    pidx = np.repeat(idx, counts)
    at = business_times(rng, random_days(rng, np.repeat(lo, counts), np.repeat(hi, counts)))
    types = FILLER_TYPES[0][rng.choice(len(FILLER_TYPES[0]), len(pidx), p=FILLER_TYPES[1])]
    _log(world, rng, block.label, "F", pidx, types, at)
    # Some are logged twice by mistake; the duplicate is deleted a few days later.
    dup = np.flatnonzero(rng.random(len(pidx)) < DUPLICATE_SHARE)
    if len(dup):
        deleted_at = at[dup] + rng.integers(1, 6, len(dup)) * np.timedelta64(SECONDS_PER_DAY, "s")
        _log(world, rng, block.label, "D", pidx[dup], types[dup], at[dup] + np.timedelta64(120, "s"), deleted_at)
    # Executive meetings (D8) with gold and platinum partners.
    g = idx[gold]
    rate = float(anchor("d8_exec_meetings_per_gold_plus_half_year", q["D8"])) / 6 * span[gold] / 30.44
    counts = rng.poisson(rate)
    pidx = np.repeat(g, counts)
    at = business_times(rng, random_days(rng, np.repeat(lo[gold], counts), np.repeat(hi[gold], counts)))
    _log(world, rng, block.label, "X", pidx, np.full(len(pidx), "exec_meeting", dtype=object), at)
    if block.quarter_start:
        _quarterly(world, block, rng)


def _quarterly(world: World, block: Block, rng: np.random.Generator) -> None:
    """QBRs with gold/platinum partners early in the quarter (D2) and scorecard reviews of the past quarter (D6)."""
    pop = world.partners
    start = block.start
    active = np.flatnonzero(pop.active(start))
    gold = active[pop.tier[active] >= GOLD]
    share = float(anchor("d2_gold_plus_qbr_120d", world.q("D2", start)))
    held = gold[rng.random(len(gold)) < share]
    day = start + rng.integers(0, 61, len(held)).astype("timedelta64[D]")
    keep = ~(day >= pop.churned[held])
    _log(world, rng, block.label, "Q", held[keep], np.full(keep.sum(), "qbr", dtype=object),
         business_times(rng, day[keep]))
    reviewed_quarter_end = start - DAY
    eligible = active[pop.onboarded[active] <= reviewed_quarter_end - np.timedelta64(30, "D")]
    q6 = world.q("D6", start)
    reviewed = eligible[rng.random(len(eligible)) < anchor("d6_scorecard_review_share", q6)]
    delay = np.clip(np.rint(rng.lognormal(np.log(float(anchor("d6_scorecard_review_delay", q6))), 0.5,
                                          len(reviewed))), 1, 88).astype(np.int64)
    day = reviewed_quarter_end + delay.astype("timedelta64[D]")
    keep = ~(day >= pop.churned[reviewed])
    _log(world, rng, block.label, "S", reviewed[keep], np.full(keep.sum(), "scorecard_review", dtype=object),
         business_times(rng, day[keep]))


def _surveys(world: World, block: Block) -> None:
    if block.month not in SURVEY_MONTHS:
        return
    sent = block.month_start + np.timedelta64(SURVEY_DAY, "D")
    if sent < block.start:
        return
    rng = world.rng("surveys", block.index)
    pop = world.partners
    idx = np.flatnonzero(pop.active(sent))
    n = len(idx)
    q8 = float(world.q("D8", sent))
    answered = rng.random(n) < anchor("d8_survey_response_rate", q8)
    responded = sent + (1 + np.minimum(27, rng.exponential(6.0, n))).astype(np.int64).astype("timedelta64[D]")
    responded = np.where(answered & ~(responded >= pop.churned[idx]), responded, np.datetime64("NaT", "D"))
    promoter, detractor = 0.15 + 0.55 * q8, 0.55 - 0.45 * q8
    u = rng.random(n)
    score = np.where(u < promoter, rng.integers(9, 11, n),
                     np.where(u < promoter + detractor, rng.choice(7, n, p=SCORE_DETRACTOR / SCORE_DETRACTOR.sum()),
                              rng.integers(7, 9, n))).astype(float)
    score = np.where(np.isnat(responded), np.nan, score)
    ts_sent = business_times(rng, np.full(n, sent))
    world.logs["surveys"].append(
        response_id=np.array([f"SRV-{block.label}-{i:05d}" for i in range(n)], dtype=object), pidx=idx,
        sent_on=np.full(n, sent), responded_on=responded, nps_score=score, ts_sent=ts_sent,
        ts_responded=later(business_times(rng, responded), ts_sent),
    )


def _logins(world: World, block: Block) -> None:
    """Portal-active partners (D7) log in on a few days per user; one row per partner, user and day."""
    rng = world.rng("logins", block.index)
    pop = world.partners
    idx, lo, hi = active_window(world, block)
    on = pop.portal[idx]
    idx, lo, hi = idx[on], lo[on], hi[on]
    users = np.minimum(pop.people[idx], 1 + rng.poisson(0.5 * (1 + pop.tier[idx])))
    u_pidx = np.repeat(idx, users)
    u_number = np.concatenate([np.arange(1, k + 1) for k in users]) if len(users) else np.empty(0, np.int64)
    u_lo, u_hi = np.repeat(lo, users), np.repeat(hi, users)
    days = 1 + rng.poisson(3.0 * (u_hi - u_lo) / DAY / 30.44)
    l_user = np.repeat(np.arange(len(u_pidx)), days)
    l_day = random_days(rng, np.repeat(u_lo, days), np.repeat(u_hi, days))
    key = np.unique(l_user.astype(np.int64) * 100_000 + (l_day - block.start).astype(np.int64))
    l_user, offset = key // 100_000, key % 100_000
    l_day = block.start + offset.astype("timedelta64[D]")
    n = len(l_user)
    pidx = u_pidx[l_user]
    user = person_ids(world, pidx, u_number[l_user])
    sessions = 1 + rng.poisson(0.8, n)
    source = np.array([f"{p}:{u}:{d}" for p, u, d in zip(pop.pid[pidx], user, l_day.astype(str))], dtype=object)
    world.logs["logins"].append(source_id=source, pidx=pidx, user=user, login_on=l_day, sessions=sessions,
                                ts=business_times(rng, l_day))


def step(world: World, block: Block) -> None:
    _activities(world, block)
    _surveys(world, block)
    _logins(world, block)


ACTIVITY_SCHEMA = {"activity_id": STR, "partner_id": STR, "activity_type": STR, "occurred_at": TS,
                   "initiated_by": STR, "owner_id": STR}
SURVEY_SCHEMA = {"response_id": STR, "partner_id": STR, "sent_on": DATE, "responded_on": DATE, "nps_score": INT}
LOGIN_SCHEMA = {"partner_id": STR, "user_id": STR, "login_on": DATE, "sessions": INT}


def build(world: World, visible_before: np.datetime64) -> dict[str, pd.DataFrame]:
    pop = world.partners
    log = world.logs["activities"]
    a = {c: log.column(c) for c in ("activity_id", "pidx", "activity_type", "occurred_at", "initiated_by", "owner",
                                    "deleted_at")}
    keep = ~(a["occurred_at"].astype("datetime64[D]") >= pop.churned[a["pidx"]])
    a = {k: v[keep] for k, v in a.items()}
    base = {**a, "partner_id": partner_ids(world, a["pidx"]), "owner_id": staff_ids(a["owner"])}
    steps = [Step(a["occurred_at"]), Step(a["deleted_at"], deleted=True)]
    activities = build_versions(a["activity_id"], base, steps, ACTIVITY_SCHEMA, visible_before)

    log = world.logs["surveys"]
    s = {c: log.column(c) for c in ("response_id", "pidx", "sent_on", "responded_on", "nps_score", "ts_sent",
                                    "ts_responded")}
    base = {**s, "partner_id": partner_ids(world, s["pidx"]), "responded_on": np.datetime64("NaT", "D"),
            "nps_score": np.nan}
    steps = [Step(s["ts_sent"]), Step(s["ts_responded"], {"responded_on": s["responded_on"],
                                                          "nps_score": s["nps_score"]})]
    surveys = build_versions(s["response_id"], base, steps, SURVEY_SCHEMA, visible_before)

    log = world.logs["logins"]
    g = {c: log.column(c) for c in ("source_id", "pidx", "user", "login_on", "sessions", "ts")}
    base = {**g, "partner_id": partner_ids(world, g["pidx"]), "user_id": g["user"]}
    logins = build_versions(g["source_id"], base, [Step(g["ts"])], LOGIN_SCHEMA, visible_before)
    return {"activities": activities, "partner_surveys": surveys, "portal_logins": logins}
