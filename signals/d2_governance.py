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


# --- the wider catalogue -------------------------------------------------------------------------------------------
import pandas as pd  # noqa: E402

from signals import common  # noqa: E402

CONFLICTED = ("partner", "direct")


@signal(
    id="d2_conflict_resolution_days", dimension="D2",
    name_en="Time to resolve a channel conflict", name_nl="Doorlooptijd van kanaalconflicten",
    question="When partners collide over a deal, how fast do we settle it?",
    definition="Median days from submission to resolution of the conflicting deal registrations resolved in the "
               "180 days up to the as-of date.",
    formula="median(conflict_resolved_at - submitted_at in days | conflict != none, resolved in (D-180, D])",
    unit="days", direction="lower", window_days=180,
    attribution="per conflicting registration",
    min_n=3, data_needed=("deal_registrations",), level="ecosystem",
    not_applicable="when no registration has ever been in conflict by that date",
    biases="Conflicts never resolved do not count until they are: a backlog hides here; read it with the "
           "conflict rate.",
    goalpost_reason="45 days is a partner giving up on the deal; 3 days is a written rule applied at once.",
)
def conflict_resolution_days(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    conflicts = regs[regs["conflict"].isin(CONFLICTED)]
    resolved = conflicts[conflicts["conflict_resolved_at"].notna()]
    days = common.duration_hours(resolved["conflict_resolved_at"], resolved["submitted_at"]) / 24.0
    ever = tl.cumulative_sum(conflicts["submitted_at"], ctx.dates) > 0
    return common.windowed_median(ctx, resolved["conflict_resolved_at"], days, 180, not_applicable=~ever)


@signal(
    id="d2_strategic_qbr_coverage", dimension="D2",
    name_en="Quarterly business reviews with strategic partners", name_nl="Kwartaalreviews met strategische partners",
    question="Do we keep the steering rhythm with the partners who matter most?",
    definition="Share of gold and platinum partners on the as-of date with a QBR logged in the 120 days up to it.",
    formula="count(gold/platinum partners on D with a qbr activity in (D-120, D]) / count(gold/platinum partners on D)",
    unit="share", direction="higher", window_days=120,
    attribution="per partner; tier as of the date",
    min_n=3, data_needed=("activities", "partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="Counts that a QBR was logged, not that it was any good.",
    goalpost_reason="One in ten is reviews by accident; 95% is a cadence that is kept (a quarter plus a month's slack).",
)
def strategic_qbr_coverage(ctx: SignalContext) -> SignalResult:
    acts = ctx.table("activities")
    qbr = acts[acts["activity_type"].eq("qbr")]
    return common.share_of_strategic(ctx, tl.event_coverage(qbr["partner_id"].to_numpy(), qbr["occurred_at"], 120))


@signal(
    id="d2_agreements_renewed_on_time", dimension="D2",
    name_en="Agreements renewed on time", name_nl="Overeenkomsten op tijd verlengd",
    question="Do partner agreements lapse, or are they renewed before they end?",
    definition="Of the partner agreements whose term ended in the 365 days up to the as-of date (of partners still "
               "in the programme at the end of the term), the share renewed on or before the end date.",
    formula="count(renewed_on <= end_on | end_on in (D-365, D]) / count(end_on in (D-365, D])",
    unit="share", direction="higher", window_days=365,
    attribution="per agreement",
    min_n=3, data_needed=("partner_agreements", "partners"), level="ecosystem",
    not_applicable="when no agreement has ever ended by that date",
    biases="A partner that left is not a late renewal; agreements of churned partners ending after their exit are "
           "left out.",
    goalpost_reason="30% on time is contracts managed by accident; 98% is a renewal calendar that is kept.",
)
def agreements_renewed_on_time(ctx: SignalContext) -> SignalResult:
    agreements = ctx.table("partner_agreements")
    partners = ctx.table("partners")[["partner_id", "churned_on"]]
    agreements = agreements.merge(partners, on="partner_id", how="left")
    end = tl.as_days(agreements["end_on"])
    churned = tl.as_days(agreements["churned_on"])
    keep = np.isnat(churned) | (churned > end)
    renewed = tl.as_days(agreements["renewed_on"])
    on_time = (~np.isnat(renewed) & (renewed <= end)).astype(float)
    return common.windowed_share(ctx, end[keep], on_time[keep], 365,
                                 not_applicable=~ctx.ever_before("partner_agreements", "end_on"))


@signal(
    id="d2_registrations_undecided_14d", dimension="D2",
    name_en="Registrations left undecided for two weeks", name_nl="Registraties twee weken zonder besluit",
    question="Do deal registrations get stuck waiting for a decision?",
    definition="Of the deal registrations whose 14-day mark fell in the 90 days up to the as-of date, the share "
               "without a decision 14 days after submission.",
    formula="count(decided_at is null or decided_at > submitted_at + 14d | submitted_at + 14d in (D-90, D]) / "
            "count(submitted_at + 14d in (D-90, D])",
    unit="share", direction="lower", window_days=104,
    attribution="per registration",
    min_n=5, data_needed=("deal_registrations",), level="ecosystem",
    not_applicable="when no registration was ever submitted by that date (no registration programme)",
    biases="Registrations withdrawn by the partner count as undecided.",
    goalpost_reason="Half undecided after two weeks is a queue nobody owns; 2% is a decision process that works."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def registrations_undecided_14d(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    mark = regs["submitted_at"] + pd.Timedelta(days=14)
    undecided = (regs["decided_at"].isna() | (regs["decided_at"] > mark)).to_numpy(float)
    return common.windowed_share(ctx, tl.as_days(mark), undecided, 90,
                                 not_applicable=~ctx.ever_before("deal_registrations", "submitted_at"))


@signal(
    id="d2_strategic_owner_coverage", dimension="D2",
    name_en="Strategic partners with an owner", name_nl="Strategische partners met een eigenaar",
    question="Does every top-tier partner have someone on our side who answers for it?",
    definition="Share of gold and platinum partners on the as-of date with a named partner manager that day.",
    formula="count(gold/platinum partners on D with owner_id) / count(gold/platinum partners on D)",
    unit="share", direction="higher", window_days=None,
    attribution="per partner; tier and owner as of the date",
    min_n=3, data_needed=("partner_versions", "partners"), level="ecosystem",
    not_applicable="when there is no gold or platinum partner that day",
    biases="A name in a field, not the quality of the relationship.",
    goalpost_reason="As for owner coverage: a strategic partner without an owner is the clearest governance gap.",
)
def strategic_owner_coverage(ctx: SignalContext) -> SignalResult:
    versions = ctx.table("partner_versions")
    return common.share_of_strategic(ctx, ctx.version_intervals(versions["owner_id"].notna()))


@signal(
    id="d2_direct_conflict_rate", dimension="D2",
    name_en="Conflicts with our own sales", name_nl="Conflicten met de eigen sales",
    question="Do partners and our own sales team chase the same deals?",
    definition="Share of deal registrations submitted in the 180 days up to the as-of date that collided with an "
               "opportunity our own sales already had.",
    formula="count(conflict = direct | submitted in (D-180, D]) / count(submitted in (D-180, D])",
    unit="share", direction="lower", window_days=180,
    attribution="per registration",
    min_n=10, data_needed=("deal_registrations",), level="ecosystem",
    not_applicable="when no registration was ever submitted by that date",
    biases="Depends on the CRM flagging the collision; an unflagged conflict is invisible.",
    goalpost_reason="Direct conflicts are about half of all conflicts: half the conflict-rate range."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def direct_conflict_rate(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    return common.windowed_share(ctx, regs["submitted_at"], regs["conflict"].eq("direct").to_numpy(float), 180,
                                 not_applicable=~ctx.ever_before("deal_registrations", "submitted_at"))


@signal(
    id="d2_conflicts_resolved_14d", dimension="D2",
    name_en="Conflicts resolved within two weeks", name_nl="Conflicten binnen twee weken opgelost",
    question="Is there an escalation path that settles conflicts while the deal is still alive?",
    definition="Of the conflicting registrations whose 14-day mark fell in the 180 days up to the as-of date, the "
               "share resolved within 14 days of submission.",
    formula="count(conflict_resolved_at <= submitted_at + 14d | conflict, submitted_at + 14d in (D-180, D]) / "
            "count(conflict, submitted_at + 14d in (D-180, D])",
    unit="share", direction="higher", window_days=194,
    attribution="per conflicting registration",
    min_n=3, data_needed=("deal_registrations",), level="ecosystem",
    not_applicable="when no registration has ever been in conflict by that date",
    biases="Few conflicts make it jumpy; n says how many.",
    goalpost_reason="One in ten within two weeks is no escalation path; nine in ten is a rule everyone knows."
                    " Goalposts: the least-squares line through its sandbox response at quality 0, 0.5 and 1 "
                    "(bench/signal_calibration.py), as it does not respond linearly.",
)
def conflicts_resolved_14d(ctx: SignalContext) -> SignalResult:
    regs = ctx.table("deal_registrations")
    conflicts = regs[regs["conflict"].isin(CONFLICTED)]
    mark = conflicts["submitted_at"] + pd.Timedelta(days=14)
    resolved = (conflicts["conflict_resolved_at"].notna() & (conflicts["conflict_resolved_at"] <= mark)).to_numpy(float)
    ever = tl.cumulative_sum(conflicts["submitted_at"], ctx.dates) > 0
    return common.windowed_share(ctx, tl.as_days(mark), resolved, 180, not_applicable=~ever)


@signal(
    id="d2_partner_qbr_coverage", dimension="D2",
    name_en="Partners in a review rhythm", name_nl="Partners in een reviewritme",
    question="Beyond the top tier, do partners get a regular business review?",
    definition="Share of partners in the programme on the as-of date with a QBR logged in the 120 days up to it.",
    formula="count(active partners with a qbr activity in (D-120, D]) / count(active partners on D)",
    unit="share", direction="higher", window_days=120,
    attribution="per partner",
    min_n=3, data_needed=("activities", "partners"), level="partner",
    not_applicable="never",
    biases="Long-tail partners are often reviewed in groups, which a per-partner log does not show.",
    goalpost_reason="Set from the sandbox's response (bench/signal_calibration.py); QBRs for a quarter of all "
                    "partners is a well-governed programme.",
)
def partner_qbr_coverage(ctx: SignalContext) -> SignalResult:
    share, active = ctx.share_of_active(_qbr_coverage(ctx))
    return SignalResult(share, active)


def _qbr_coverage(ctx: SignalContext):
    acts = ctx.table("activities")
    qbr = acts[acts["activity_type"].eq("qbr")]
    return tl.event_coverage(qbr["partner_id"].to_numpy(), qbr["occurred_at"], 120)


@partner_values("d2_partner_qbr_coverage",
                "1 when the partner had a QBR in the 120 days, else 0; the ecosystem value is the mean over the "
                "partners in the programme.")
def partner_qbr_by_partner(ctx: SignalContext):
    return ctx.partner_coverage(_qbr_coverage(ctx))
