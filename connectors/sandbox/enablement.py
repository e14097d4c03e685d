"""Enablement (D4): training enrolments, certifications and support tickets.

Grain: `training_enrolments` one row per enrolment (versions at enrolment and completion); `certifications` one row
per certification earned by a partner's person (one version when earned; a renewal is a new certification of the
same person and name); `support_tickets` one row per ticket (versions at open and resolve).

Certifications are tracked as chains per person: each expires a year after it is earned; 45 days before expiry the
person renews (D4 renewal anchor) or lets it lapse. New people certify at a rate that keeps the share of partners
holding a valid certification at the D4 coverage anchor, so an enablement collapse shows at once as fewer new
certifications and fewer renewals, and then as falling coverage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectors.sandbox.anchors import anchor
from connectors.sandbox.deals import partner_ids
from connectors.sandbox.randomness import (DAY, Block, business_times, entry_lag, lognormal, random_days)
from connectors.sandbox.records import DATE, STR, TS, Step, build_versions, later
from connectors.sandbox.world import World

COURSES = np.array([f"CRS-{n}" for n in (101, 102, 110, 201, 202, 210, 301, 302, 310, 401)], dtype=object)
CERTIFICATIONS = np.array(["Certified Sales Professional", "Certified Solution Architect",
                           "Certified Implementation Engineer", "Certified Support Specialist"], dtype=object)
VALIDITY = np.timedelta64(365, "D")
RENEWAL_WINDOW = np.timedelta64(45, "D")
PRIORITIES = (np.array(["low", "normal", "high", "urgent"], dtype=object), np.array([0.25, 0.5, 0.2, 0.05]))
CATEGORIES = (np.array(["deal_registration", "portal_access", "technical", "licensing", "billing", "training",
                        "mdf"], dtype=object), np.array([0.18, 0.14, 0.3, 0.14, 0.08, 0.1, 0.06]))


def person_ids(world: World, pidx: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Partner staff ids (`PTR-00012-003`): shared by training, certifications and portal users."""
    pid = world.partners.pid[pidx]
    return np.array([f"{p}-{k:03d}" for p, k in zip(pid, number)], dtype=object)


def active_window(world: World, block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Partners active at some point in the block, with the days [lo, hi) they are active in it."""
    pop = world.partners
    lo = np.maximum(pop.onboarded, block.start)
    hi = np.where(pop.churned < block.stop, pop.churned, block.stop)
    idx = np.flatnonzero(lo < hi)
    return idx, lo[idx], hi[idx]


def _certify(world: World, rng, label: str, pidx, person, name, earned) -> np.ndarray:
    n = len(pidx)
    ids = np.array([f"CRT-{label}-{i:05d}" for i in range(n)], dtype=object)
    world.logs["certifications"].append(certification_id=ids, pidx=pidx, person=person, name=name, earned_on=earned,
                                        expires_on=earned + VALIDITY,
                                        ts=business_times(rng, earned) + entry_lag(rng, n))
    return earned + VALIDITY


def _chains(world: World) -> dict[str, np.ndarray]:
    return world.state.setdefault("certification_chains", {
        "pidx": np.empty(0, np.int64), "person": np.empty(0, object), "name": np.empty(0, object),
        "expires": np.empty(0, "datetime64[D]")})


def _renewals(world: World, rng, label: str, lo: np.datetime64, hi: np.datetime64) -> None:
    """Chains whose renewal window opens in [lo, hi): renew before expiry (D4), late, or lapse."""
    c = _chains(world)
    opens = c["expires"] - RENEWAL_WINDOW
    due = np.flatnonzero((opens >= lo) & (opens < hi) & ~(world.partners.churned[c["pidx"]] <= opens))
    if not len(due):
        return
    n = len(due)
    renew = rng.random(n) < anchor("d4_certification_renewed", world.q("D4", opens[due]))
    late = ~renew & (rng.random(n) < 0.3)
    expires = c["expires"][due]
    earned = np.where(renew, expires - rng.integers(0, 46, n).astype("timedelta64[D]"),
                      expires + rng.integers(1, 61, n).astype("timedelta64[D]"))
    go = renew | late
    d = due[go]
    c["expires"][d] = _certify(world, rng, label + "R", c["pidx"][d], c["person"][d], c["name"][d], earned[go])
    c["expires"][due[~go]] = np.datetime64("1900-01-01")  # lapsed: the chain ends


def _start_chains(world: World, rng, label: str, pidx: np.ndarray, earned: np.ndarray) -> None:
    """New certified people: each chain is a person not certified before (numbered on from the last one)."""
    n = len(pidx)
    counter = world.state.setdefault("certified_people", {})
    number = np.empty(n, dtype=np.int64)
    for i, p in enumerate(pidx.tolist()):
        counter[p] = counter.get(p, 0) + 1
        number[i] = counter[p]
    person = person_ids(world, pidx, number)
    name = CERTIFICATIONS[rng.integers(0, len(CERTIFICATIONS), n)]
    expires = _certify(world, rng, label, pidx, person, name, earned)
    c = _chains(world)
    for key, value in (("pidx", pidx), ("person", person), ("name", name), ("expires", expires)):
        c[key] = np.concatenate([c[key], value])


def initialise(world: World) -> None:
    rng = world.rng("certifications", 0)
    pop = world.partners
    hs = world.history_start
    idx = np.flatnonzero(pop.active(hs))
    coverage = float(anchor("d4_certified_partner_share", world.q("D4", hs)))
    holders = idx[rng.random(len(idx)) < coverage]
    holders = np.repeat(holders, 1 + rng.poisson(0.3 * pop.tier[holders]))
    earliest = np.maximum(pop.onboarded[holders], hs - np.timedelta64(364, "D"))
    _start_chains(world, rng, "0", holders, random_days(rng, earliest, hs))
    _renewals(world, rng, "0", np.datetime64("1900-01-01"), hs)


def step(world: World, block: Block) -> None:
    _training(world, block)
    _tickets(world, block)
    rng = world.rng("certifications", block.index)
    _renewals(world, rng, block.label, block.start, block.stop)
    pop = world.partners
    idx, lo, hi = active_window(world, block)
    if not len(idx):
        return
    c = _chains(world)
    valid = c["expires"] > block.start
    covered = np.zeros(len(pop), bool)
    covered[c["pidx"][valid]] = True
    cov_now = covered[idx].mean()
    q4 = world.q("D4", block.mid)
    target = min(0.97, float(anchor("d4_certified_partner_share", q4)))
    renew = float(anchor("d4_certification_renewed", q4))
    months = block.days / 30.44
    # Steady state: new holders replace lapsed ones; below target, close part of the gap each month.
    rate = target * (1 - renew) / 12 / (1 - target) + 0.2 * max(0.0, target - cov_now) / max(1e-9, 1 - cov_now)
    extra = 0.02 * (1 + pop.tier[idx]) * target
    p = np.where(covered[idx], extra, rate) * months
    new = rng.random(len(idx)) < np.minimum(p, 0.9)
    _start_chains(world, rng, block.label, idx[new], random_days(rng, lo[new], hi[new]))


def _training(world: World, block: Block) -> None:
    rng = world.rng("training", block.index)
    pop = world.partners
    idx, lo, hi = active_window(world, block)
    q4 = world.q("D4", block.mid)
    rate = 0.2 * pop.people[idx] * (0.4 + 0.6 * q4) * (hi - lo) / DAY / 30.44
    counts = rng.poisson(rate)
    pidx = np.repeat(idx, counts)
    n = len(pidx)
    enrolled = random_days(rng, np.repeat(lo, counts), np.repeat(hi, counts))
    completion = anchor("d4_training_completed_60d", world.q("D4", enrolled))
    u = rng.random(n)
    quick = enrolled + (1 + np.floor(59 * rng.random(n) ** 1.6)).astype(np.int64).astype("timedelta64[D]")
    slow = enrolled + (61 + rng.exponential(45.0, n)).astype(np.int64).astype("timedelta64[D]")
    completed = np.where(u < completion, quick, np.where(u < completion + (1 - completion) * 0.35, slow,
                                                         np.datetime64("NaT", "D")))
    ts_enrolled = business_times(rng, enrolled) + entry_lag(rng, n)
    world.logs["training"].append(
        enrolment_id=np.array([f"ENR-{block.label}-{i:05d}" for i in range(n)], dtype=object), pidx=pidx,
        person=person_ids(world, pidx, 1 + (rng.random(n) * pop.people[pidx]).astype(np.int64)),
        course_id=COURSES[rng.integers(0, len(COURSES), n)], enrolled_on=enrolled, completed_on=completed,
        ts_enrolled=ts_enrolled, ts_completed=later(business_times(rng, completed) + entry_lag(rng, n), ts_enrolled),
    )


def _tickets(world: World, block: Block) -> None:
    rng = world.rng("tickets", block.index)
    idx, lo, hi = active_window(world, block)
    q4 = world.q("D4", block.mid)
    rate = float(anchor("d4_tickets_per_partner_quarter", q4)) / 3 * (hi - lo) / DAY / 30.44
    counts = rng.poisson(rate)
    pidx = np.repeat(idx, counts)
    n = len(pidx)
    opened = business_times(rng, random_days(rng, np.repeat(lo, counts), np.repeat(hi, counts)))
    opened = opened + rng.integers(-6 * 3600, 5 * 3600, n).astype("timedelta64[s]")  # partners file at all hours
    hours = lognormal(rng, anchor("d7_ticket_resolution_hours", world.q("D7", opened.astype("datetime64[D]"))),
                      1.0, n)
    resolved = opened + np.maximum(300, (hours * 3600).astype(np.int64)).astype("timedelta64[s]")
    world.logs["tickets"].append(
        ticket_id=np.array([f"TKT-{block.label}-{i:05d}" for i in range(n)], dtype=object), pidx=pidx,
        opened_at=opened, resolved_at=resolved,
        priority=PRIORITIES[0][rng.choice(4, n, p=PRIORITIES[1])],
        category=CATEGORIES[0][rng.choice(len(CATEGORIES[0]), n, p=CATEGORIES[1])],
    )


TRAINING_SCHEMA = {"enrolment_id": STR, "partner_id": STR, "person_id": STR, "course_id": STR, "enrolled_on": DATE,
                   "completed_on": DATE}
CERTIFICATION_SCHEMA = {"certification_id": STR, "partner_id": STR, "person_id": STR, "certification_name": STR,
                        "earned_on": DATE, "expires_on": DATE}
TICKET_SCHEMA = {"ticket_id": STR, "partner_id": STR, "opened_at": TS, "resolved_at": TS, "priority": STR,
                 "category": STR}


def _after_churn(world: World, pidx: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.asarray(day, dtype="datetime64[D]") > world.partners.churned[pidx]


def build(world: World, visible_before: np.datetime64) -> dict[str, pd.DataFrame]:
    log = world.logs["training"]
    t = {c: log.column(c) for c in ("enrolment_id", "pidx", "person", "course_id", "enrolled_on", "completed_on",
                                    "ts_enrolled", "ts_completed")}
    # People of a churned partner stop finishing courses there.
    done_after = _after_churn(world, t["pidx"], t["completed_on"])
    t["completed_on"] = np.where(done_after, np.datetime64("NaT", "D"), t["completed_on"])
    t["ts_completed"] = np.where(done_after, np.datetime64("NaT", "s"), t["ts_completed"])
    base = {**t, "partner_id": partner_ids(world, t["pidx"]), "person_id": t["person"],
            "completed_on": np.datetime64("NaT", "D")}
    steps = [Step(t["ts_enrolled"]), Step(t["ts_completed"], {"completed_on": t["completed_on"]})]
    training = build_versions(t["enrolment_id"], base, steps, TRAINING_SCHEMA, visible_before)

    log = world.logs["certifications"]
    c = {k: log.column(k) for k in ("certification_id", "pidx", "person", "name", "earned_on", "expires_on", "ts")}
    keep = ~_after_churn(world, c["pidx"], c["earned_on"])
    c = {k: v[keep] for k, v in c.items()}
    base = {**c, "partner_id": partner_ids(world, c["pidx"]), "person_id": c["person"],
            "certification_name": c["name"]}
    certifications = build_versions(c["certification_id"], base, [Step(c["ts"])], CERTIFICATION_SCHEMA,
                                    visible_before)

    log = world.logs["tickets"]
    k = {c: log.column(c) for c in ("ticket_id", "pidx", "opened_at", "resolved_at", "priority", "category")}
    base = {**k, "partner_id": partner_ids(world, k["pidx"]), "resolved_at": np.datetime64("NaT", "s")}
    steps = [Step(k["opened_at"]), Step(k["resolved_at"], {"resolved_at": k["resolved_at"]})]
    tickets = build_versions(k["ticket_id"], base, steps, TICKET_SCHEMA, visible_before)
    return {"training_enrolments": training, "certifications": certifications, "support_tickets": tickets}
