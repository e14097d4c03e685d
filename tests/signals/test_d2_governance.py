"""D2 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from tests.signals import tiny

D = "2026-06-30"   # windows: 90 days (2026-04-01, D]; 120 days (2026-03-02, D]; 180 days (2026-01-01, D]


def reg(rid, partner, submitted, decided, status, conflict="none", resolved=None):
    return {"registration_id": rid, "partner_id": partner, "submitted_at": submitted, "decided_at": decided,
            "status": status, "conflict": conflict, "conflict_resolved_at": resolved}


REGS = [
    reg("r1", "p1", "2026-06-01 08:00", "2026-06-01 20:00", "approved"),                           # 12 h
    reg("r2", "p1", "2026-06-02 00:00", "2026-06-05 00:00", "approved", "partner", "2026-06-12 00:00"),  # 72 h
    reg("r3", "p2", "2026-05-01 00:00", "2026-05-02 00:00", "rejected", "direct", "2026-06-10 00:00"),   # 24 h
    reg("r4", "p2", "2026-06-10 00:00", None, "pending"),
    reg("r5", "p2", "2025-11-01 00:00", "2025-11-02 00:00", "approved"),                           # long ago
]
ACTS = [
    {"activity_id": "a1", "partner_id": "p1", "activity_type": "qbr", "occurred_at": "2026-04-01 10:00"},
    {"activity_id": "a2", "partner_id": "p3", "activity_type": "qbr", "occurred_at": "2026-02-01 10:00"},
    {"activity_id": "a3", "partner_id": "p2", "activity_type": "qbr", "occurred_at": "2026-03-01 10:00"},
    {"activity_id": "a4", "partner_id": "p2", "activity_type": "call", "occurred_at": "2026-06-01 10:00"},
]
AGREEMENTS = [
    {"agreement_id": "g1", "partner_id": "p1", "start_on": "2025-04-01", "end_on": "2026-03-31",
     "renewed_on": "2026-03-15"},
    {"agreement_id": "g2", "partner_id": "p2", "start_on": "2025-06-01", "end_on": "2026-05-31",
     "renewed_on": "2026-06-10"},
    {"agreement_id": "g3", "partner_id": "p4", "start_on": "2025-05-01", "end_on": "2026-04-30", "renewed_on": None},
    {"agreement_id": "g4", "partner_id": "p3", "start_on": "2024-05-01", "end_on": "2025-05-01", "renewed_on": None},
]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(
        ["2026-05-31", D], deal_registrations=REGS, activities=ACTS, partner_agreements=AGREEMENTS,
        partners=tiny.partners(("p1", "2024-01-01"), ("p2", "2024-01-01"), ("p3", "2025-01-01"),
                               ("p4", "2025-01-01", "2026-03-01")),
        partner_versions=tiny.versions(("p1", "2024-01-01", None, "gold", "m1", None),
                                       ("p2", "2024-01-01", "2026-06-01", "platinum", None, None),
                                       ("p2", "2026-06-01", None, "platinum", "m2", None),
                                       ("p3", "2025-01-01", None, "registered", None, None),
                                       ("p4", "2025-01-01", "2026-03-01", "gold", "m1", None)))


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[-1]


def test_owner_coverage(ctx) -> None:
    # On D: p1, p2, p3 in the programme (p4 left); p1 (m1) and p2 (m2 since 06-01) have an owner -> 2/3.
    # On 05-31 p2 had none yet -> 1/3.
    assert tiny.run("d2_owner_coverage", ctx).value.tolist() == pytest.approx([1 / 3, 2 / 3])


def test_strategic_owner_coverage(ctx) -> None:
    # Gold/platinum: p1, p2 -> on D both owned (1.0); on 05-31 only p1 (0.5).
    assert tiny.run("d2_strategic_owner_coverage", ctx).value.tolist() == pytest.approx([0.5, 1.0])


def test_registration_decision_hours(ctx) -> None:
    # Decided in the 90 days: r1 12 h, r2 72 h, r3 24 h -> median 24.
    assert value(ctx, "d2_registration_decision_hours") == pytest.approx(24.0)


def test_registration_sla_rate(ctx) -> None:
    # 48-hour deadlines in the 90 days: r1 met, r2 missed (72 h), r3 met, r4 missed (undecided) -> 2/4.
    assert value(ctx, "d2_registration_sla_rate") == pytest.approx(0.5)


def test_conflict_rate(ctx) -> None:
    # Submitted in the 180 days: r1..r4; in conflict r2 (partner), r3 (direct) -> 2/4.
    assert value(ctx, "d2_conflict_rate") == pytest.approx(0.5)


def test_direct_conflict_rate(ctx) -> None:
    # Only r3 collided with our own sales -> 1/4.
    assert value(ctx, "d2_direct_conflict_rate") == pytest.approx(0.25)


def test_conflict_resolution_days(ctx) -> None:
    # Resolved in the 180 days: r2 after 10 days, r3 after 40 days -> median 25.
    assert value(ctx, "d2_conflict_resolution_days") == pytest.approx(25.0)


def test_conflicts_resolved_14d(ctx) -> None:
    # 14-day marks: r2 06-16 (resolved 06-12: yes), r3 05-15 (resolved 06-10: no) -> 1/2.
    assert value(ctx, "d2_conflicts_resolved_14d") == pytest.approx(0.5)


def test_registrations_undecided_14d(ctx) -> None:
    # 14-day marks in the 90 days: r1 06-15, r2 06-16, r3 05-15 (all decided before), r4 06-24 (undecided) -> 1/4.
    assert value(ctx, "d2_registrations_undecided_14d") == pytest.approx(0.25)


def test_strategic_qbr_coverage(ctx) -> None:
    # QBRs in (03-02, 06-30]: p1 (04-01). p2's was 03-01, outside. Gold/platinum p1, p2 -> 1/2.
    assert value(ctx, "d2_strategic_qbr_coverage") == pytest.approx(0.5)


def test_partner_qbr_coverage(ctx) -> None:
    # Of p1, p2, p3 only p1 had a QBR in the 120 days -> 1/3.
    assert value(ctx, "d2_partner_qbr_coverage") == pytest.approx(1 / 3)


def test_agreements_renewed_on_time(ctx) -> None:
    # Ended in (2025-06-30, D]: g1 (renewed before its end: yes), g2 (renewed 10 days late: no); g3 belongs to p4,
    # who left before its end (left out); g4 ended before the window -> 1/2.
    assert value(ctx, "d2_agreements_renewed_on_time") == pytest.approx(0.5)


def test_conflict_signals_not_applicable_without_conflicts() -> None:
    ctx = tiny.context(D, deal_registrations=[REGS[0]])
    assert tiny.status("d2_conflict_resolution_days", ctx) == ["not_applicable"]
    assert tiny.status("d2_conflicts_resolved_14d", ctx) == ["not_applicable"]
    assert np.isnan(tiny.run("d2_conflict_resolution_days", ctx).value[0])
