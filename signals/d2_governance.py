"""D2 Governance & Steering: is the ecosystem owned, and are decisions and conflicts handled?"""

from __future__ import annotations

import numpy as np

from signals import timeline as tl
from signals.card import SignalResult
from signals.context import SignalContext
from signals.registry import partner_values, signal

SLA_HOURS = 48


@signal(
    id="d2_owner_coverage", dimension="D2",
    name_en="Partners with a named owner", name_nl="Partners met een benoemde eigenaar",
    question="Does every partner have someone on our side who owns the relationship?",
    definition="Share of partners in the programme on the as-of date that have a partner manager (owner) recorded "
               "that day.",
    formula="count(active partners on D with owner_id on D) / count(active partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner; owner as it was on the as-of date (partner history)",
    min_n=3, data_needed=("partner_versions", "partners"), level="partner",
    not_applicable="never",
    biases="A named owner is necessary, not sufficient: an owner of 200 partners owns none of them.",
    goalpost_reason="Below 20% nobody owns the ecosystem; every partner owned is the governance baseline.",
)
def owner_coverage(ctx: SignalContext) -> SignalResult:
    versions = ctx.table("partner_versions")
    share, active = ctx.share_of_active(ctx.version_intervals(versions["owner_id"].notna()))
    return SignalResult(share, active)


@signal(
    id="d2_registration_decision_hours", dimension="D2",
    name_en="Deal-registration decision time", name_nl="Beslistijd dealregistratie",
    question="How long does a partner wait before we say yes or no to a registered deal?",
    definition="Median hours from submission to decision, over deal registrations decided in the 90 days up to "
               "the as-of date.",
    formula="median(decided_at - submitted_at in hours | decided in (D-90, D])",
    unit="hours", direction="lower", window_days=90,
    attribution="per registration",
    min_n=5, data_needed=("deal_registrations",), level="ecosystem",
    not_applicable="when the programme has no deal registration (none ever submitted by that date)",
    biases="Calendar hours, not business hours: weekends count. Auto-approvals pull the median down.",
    goalpost_reason="Ten days (240 h) loses the deal's momentum; half a business day is best practice "
                    "(48 h SLA, beefed.ai, PartnerPack).",
)
def registration_decision_hours(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    decided = regs[regs["decided_at"].notna()]
    hours = (decided["decided_at"] - decided["submitted_at"]).dt.total_seconds().to_numpy() / 3600.0
    median, n = tl.window_quantile(decided["decided_at"], hours, ctx.dates, 90, 0.5)
    return SignalResult(median, n, not_applicable=~ctx.ever_before("deal_registrations", "submitted_at"))


@signal(
    id="d2_registration_sla_rate", dimension="D2",
    name_en="Registrations decided within the SLA", name_nl="Registraties binnen de SLA beslist",
    question="Do we keep our promise to decide on registrations within 48 hours?",
    definition="Of the deal registrations whose 48-hour decision deadline fell in the 90 days up to the as-of "
               "date, the share decided by that deadline.",
    formula="count(decided_at <= submitted_at + 48h | deadline in (D-90, D]) / count(deadline in (D-90, D])",
    unit="share", direction="higher", window_days=90,
    attribution="per registration; a registration still undecided at its deadline counts as missed",
    min_n=5, data_needed=("deal_registrations",), level="ecosystem",
    not_applicable="when the programme has no deal registration",
    biases="Assumes the 48-hour SLA common in practice; a programme with a different SLA is judged against 48 h.",
    goalpost_reason="10% on time means no SLA in practice; 95% is a kept promise.",
)
def registration_sla_rate(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    deadline = regs["submitted_at"] + np.timedelta64(SLA_HOURS, "h")
    on_time = (regs["decided_at"].notna() & (regs["decided_at"] <= deadline)).to_numpy(float)
    n = tl.window_sum(deadline, ctx.dates, 90)
    value = tl.ratio(tl.window_sum(deadline, ctx.dates, 90, on_time), n)
    return SignalResult(value, n, not_applicable=~ctx.ever_before("deal_registrations", "submitted_at"))


@signal(
    id="d2_conflict_rate", dimension="D2",
    name_en="Channel conflict rate", name_nl="Kanaalconflicten",
    question="How often do partners collide with each other or with our own sales?",
    definition="Share of deal registrations submitted in the 180 days up to the as-of date that conflicted with "
               "another partner's registration or with a direct deal.",
    formula="count(conflict in {partner, direct} | submitted in (D-180, D]) / count(submitted in (D-180, D])",
    unit="share", direction="lower", window_days=180,
    attribution="per registration",
    min_n=10, data_needed=("deal_registrations",), level="partner",
    not_applicable="when the programme has no deal registration",
    biases="Only conflicts the PRM records; conflicts settled by phone never show.",
    goalpost_reason="Above 10% is high risk and 25% is chaos; under 5% is strong (KPI Depot heuristics).",
)
def conflict_rate(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    conflicted = regs["conflict"].isin(["partner", "direct"]).to_numpy(float)
    n = tl.window_sum(regs["submitted_at"], ctx.dates, 180)
    value = tl.ratio(tl.window_sum(regs["submitted_at"], ctx.dates, 180, conflicted), n)
    return SignalResult(value, n, not_applicable=~ctx.ever_before("deal_registrations", "submitted_at"))


@partner_values("d2_owner_coverage",
                "1 when the partner has a named partner manager on the date, else 0; the ecosystem value is the "
                "mean over the partners in the programme.")
def owner_coverage_by_partner(ctx: SignalContext):
    versions = ctx.table("partner_versions")
    return ctx.partner_coverage(ctx.version_intervals(versions["owner_id"].notna()))


@partner_values("d2_conflict_rate",
                "Share of the partner's own registrations submitted in the 180 days that were in conflict; the "
                "ecosystem value pools all registrations.")
def conflict_rate_by_partner(ctx: SignalContext):
    regs = ctx.table("deal_registrations")
    conflicted = regs["conflict"].isin(["partner", "direct"]).to_numpy(float)
    keys, dates = ctx.partner_grid()
    n = tl.keyed_window_sum(regs["partner_id"], regs["submitted_at"], keys, dates, 180)
    hits = tl.keyed_window_sum(regs["partner_id"], regs["submitted_at"], keys, dates, 180, conflicted)
    return ctx.partner_frame(tl.ratio(hits, n), n)
