"""D4 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import pytest

from tests.signals import tiny

D = "2026-06-30"   # 365 days (2025-06-30, D]; 180 days (2026-01-01, D]; 91 days (2026-03-31, D]

PARTNERS = tiny.partners(("p1", "2025-01-01"), ("p2", "2025-08-01"), ("p3", "2025-05-01"),
                         ("p4", "2024-06-01", "2026-01-01"))
VERSIONS = tiny.versions(("p1", "2025-01-01", None, "gold", None, None),
                         ("p2", "2025-08-01", None, "registered", None, None),
                         ("p3", "2025-05-01", None, "gold", None, None),
                         ("p4", "2024-06-01", "2026-01-01", "gold", None, None))


def cert(cid, partner, person, name, earned, expires):
    return {"certification_id": cid, "partner_id": partner, "person_id": person, "certification_name": name,
            "earned_on": earned, "expires_on": expires}


CERTS = [
    cert("c1", "p1", "u1", "A", "2025-02-01", "2026-02-01"),   # expired; renewed by c2
    cert("c2", "p1", "u1", "A", "2026-01-15", "2027-01-15"),
    cert("c3", "p2", "u2", "A", "2025-09-01", "2026-04-01"),   # expired, not renewed
    cert("c4", "p2", "u3", "B", "2026-06-01", "2027-06-01"),
    cert("c5", "p1", "u4", "B", "2026-03-01", "2027-03-01"),
    cert("c6", "p4", "u5", "A", "2025-01-01", "2026-03-01"),   # its partner left before it expired
    cert("c7", "p2", "u6", "C", "2026-05-01", "2027-05-01"),
]
OPPS = [
    {"opportunity_id": "o1", "partner_id": "p1", "attribution": "sourced", "created_on": "2025-02-01",
     "closed_on": "2025-03-01", "status": "won", "amount_eur": 10},
    {"opportunity_id": "o2", "partner_id": "p2", "attribution": "influenced", "created_on": "2025-11-01",
     "closed_on": "2026-01-28", "status": "won", "amount_eur": 10},
    {"opportunity_id": "o3", "partner_id": "p3", "attribution": "sourced", "created_on": "2025-09-01",
     "closed_on": "2025-12-01", "status": "lost", "amount_eur": 10},
]
REGS = [{"registration_id": "r1", "partner_id": "p2", "submitted_at": "2025-09-15 09:00", "status": "pending",
         "conflict": "none"}]
ENROLMENTS = [
    {"enrolment_id": "e1", "partner_id": "p1", "person_id": "u1", "course_id": "k", "enrolled_on": "2026-03-01",
     "completed_on": "2026-03-21"},
    {"enrolment_id": "e2", "partner_id": "p2", "person_id": "u2", "course_id": "k", "enrolled_on": "2026-02-01",
     "completed_on": "2026-04-12"},
    {"enrolment_id": "e3", "partner_id": "p3", "person_id": "u7", "course_id": "k", "enrolled_on": "2026-03-15",
     "completed_on": None},
    {"enrolment_id": "e4", "partner_id": "p1", "person_id": "u1", "course_id": "j", "enrolled_on": "2025-06-01",
     "completed_on": "2025-06-10"},
]
TICKETS = [{"ticket_id": f"t{i}", "partner_id": p, "opened_at": at, "resolved_at": None, "priority": "normal"}
           for i, (p, at) in enumerate([("p1", "2026-04-15 10:00"), ("p2", "2026-05-01 10:00"),
                                        ("p2", "2026-06-01 10:00"), ("p1", "2026-03-01 10:00"),
                                        ("p3", "2026-06-29 10:00")])]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(D, partners=PARTNERS, partner_versions=VERSIONS, certifications=CERTS, opportunities=OPPS,
                        deal_registrations=REGS, training_enrolments=ENROLMENTS, support_tickets=TICKETS)


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def test_certification_coverage(ctx) -> None:
    # In the programme on D: p1, p2, p3. Valid certifications on D: p1 (c2, c5), p2 (c4, c7); p3 none -> 2/3.
    assert value(ctx, "d4_certification_coverage") == pytest.approx(2 / 3)


def test_valid_certifications_per_partner(ctx) -> None:
    # c2, c4, c5, c7 valid on D, over three partners -> 4/3.
    assert value(ctx, "d4_valid_certifications_per_partner") == pytest.approx(4 / 3)


def test_strategic_certification_coverage(ctx) -> None:
    # Gold on D: p1 (certified), p3 (not) -> 1/2.
    assert value(ctx, "d4_strategic_certification_coverage") == pytest.approx(0.5)


def test_certification_renewal_rate(ctx) -> None:
    # Expired in the 365 days: c1 (renewed by c2, earned 2026-01-15 <= 2026-02-01), c3 (not renewed); c6's partner
    # left before it expired -> 1/2.
    assert value(ctx, "d4_certification_renewal_rate") == pytest.approx(0.5)


def test_new_partner_certified_90d(ctx) -> None:
    # 90-day marks in the window: p2 2025-10-30 (c3 earned 2025-09-01: yes), p3 2025-07-30 (none: no) -> 1/2.
    assert value(ctx, "d4_new_partner_certified_90d") == pytest.approx(0.5)


def test_activation_rate_90d(ctx) -> None:
    # 90-day marks in the window: p2 (registration 2025-09-15 <= 2025-10-30: yes), p3 (first opportunity
    # 2025-09-01 > 2025-07-30: no) -> 1/2.
    assert value(ctx, "d4_activation_rate_90d") == pytest.approx(0.5)


def test_days_to_first_win(ctx) -> None:
    # First anniversaries in the window: p1 2026-01-01 (first win 2025-03-01: 59 days), p3 2026-05-01 (never won:
    # censored at 366) -> median of 59 and 366 = 212.5. p2's anniversary is after D.
    assert value(ctx, "d4_days_to_first_win") == pytest.approx(212.5)


def test_first_win_within_180d(ctx) -> None:
    # 180-day marks in (2025-06-30, D]: p2 2026-01-28 (won that day: yes), p3 2025-10-28 (no). p1's mark is
    # 2025-06-30 itself, just outside the window -> 1/2.
    assert value(ctx, "d4_first_win_within_180d") == pytest.approx(0.5)


def test_training_completion_rate(ctx) -> None:
    # 60-day marks in (2026-01-01, D]: e1 04-30 (done in 20 days), e2 04-02 (done after 70: no), e3 05-14 (no) -> 1/3.
    assert value(ctx, "d4_training_completion_rate") == pytest.approx(1 / 3)


def test_training_days_to_complete(ctx) -> None:
    # Completed in the 180 days: e1 20 days, e2 70 days -> median 45.
    assert value(ctx, "d4_training_days_to_complete") == pytest.approx(45.0)


def test_trained_partner_share(ctx) -> None:
    # Completed a course in the 365 days: p1 (e1), p2 (e2); p3 no -> 2/3 (e4 is before the window).
    assert value(ctx, "d4_trained_partner_share") == pytest.approx(2 / 3)


def test_support_tickets_per_partner(ctx) -> None:
    # Opened in (2026-03-31, D]: four (the 03-01 ticket is outside), over three partners.
    assert value(ctx, "d4_support_tickets_per_partner") == pytest.approx(4 / 3)
