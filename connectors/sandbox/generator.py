"""The sandbox ecosystem generator: a seeded organisation's PRM and CRM history as record versions per stream.

`generate_ecosystem(profile, end)` simulates the programme month by month from `history_start` to the month of `end`
and returns every record version an API would have served at the end of `end` (UTC). Each month draws from its own
seeded generators and only reads earlier months, so the data of any day is the same whatever later `end` is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from connectors.sandbox import deals, enablement, marketing, planning, population, relationship
from connectors.sandbox.profile import SandboxProfile
from connectors.sandbox.randomness import DAY, blocks, to_day
from connectors.sandbox.world import World

STREAMS: tuple[str, ...] = (
    "partners", "opportunities", "opportunity_partners", "deal_registrations", "activities", "training_enrolments",
    "certifications", "mdf_allocations", "mdf_requests", "mdf_claims", "campaigns", "joint_business_plans",
    "partner_targets", "partner_agreements", "support_tickets", "partner_surveys", "portal_logins",
)


@dataclass(frozen=True)
class SandboxEcosystem:
    """What the sandbox API holds at the end of `end`.

    - `streams`: one DataFrame per canonical entity, one row per record version: `source_id` (str),
      `source_updated_at` (UTC), `is_deleted` (bool), `payload` (dict with the canonical columns of the table minus
      `org_id`, `source` and the `*_eur` conversions; ISO dates, ISO UTC timestamps with `Z`, None for missing).
    - `truth`: the latent quality D1..D8 in force on each day from history_start to end (index `date`).
    - `level`: the profile's maturity level.
    """

    streams: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    level: int


def simulate(profile: SandboxProfile, end: date) -> World:
    """Run the month-by-month simulation up to the month of `end` (whole months; truncation comes later)."""
    world = World.create(profile)
    months = blocks(world.history_start, to_day(end))
    population.initialise(world)
    deals.plan_partner_flow(world, months[0], advance=False)
    world.state["block"] = months[0]
    marketing.initialise(world)
    deals.warm_up(world)
    deals.plan_partner_flow(world, months[0], advance=False)
    world.state["block"] = months[0]
    planning.initialise(world)
    enablement.initialise(world)
    for block in months:
        churned, onboarded = population.step(world, block)
        deals.plan_partner_flow(world, block)
        world.state["block"] = block
        marketing.step(world, block)
        deals.step(world, block)
        planning.step(world, block, churned, onboarded)
        enablement.step(world, block)
        relationship.step(world, block)
    return world


def generate_ecosystem(profile: SandboxProfile, end: date) -> SandboxEcosystem:
    if end < profile.history_start:
        raise ValueError(f"end {end} is before history_start {profile.history_start}")
    world = simulate(profile, end)
    visible_before = (to_day(end) + DAY).astype("datetime64[s]")
    streams = {"partners": population.build(world, visible_before)}
    for module in (deals, marketing, planning, enablement, relationship):
        streams.update(module.build(world, visible_before))
    return SandboxEcosystem(
        streams={name: streams[name] for name in STREAMS},
        truth=world.quality.truth(profile.history_start, end),
        level=profile.maturity,
    )
