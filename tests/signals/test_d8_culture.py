"""D8 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import pytest

from tests.signals import tiny

D = "2026-06-30"   # 365 days (2025-06-30, D]; 182 days (2025-12-30, D]; 90 days (2026-04-01, D]

PARTNERS = tiny.partners(("p1", "2025-01-01"), ("p2", "2025-01-01"), ("p3", "2025-01-01"), ("p4", "2025-01-01"))
VERSIONS = tiny.versions(("p1", "2025-01-01", None, "gold", "m1", "e1"),
                         ("p2", "2025-01-01", None, "platinum", "m1", None),
                         ("p3", "2025-01-01", None, "registered", None, None),
                         ("p4", "2025-01-01", None, "registered", None, None))
SURVEYS = [{"response_id": r, "partner_id": p, "sent_on": s, "responded_on": a, "nps_score": n}
           for r, p, s, a, n in [("s1", "p1", "2026-01-01", "2026-01-05", 10), ("s2", "p2", "2026-01-01", "2026-01-20", 9),
                                 ("s3", "p3", "2026-01-01", "2026-03-01", 3), ("s4", "p4", "2026-01-01", None, None),
                                 ("s5", "p1", "2026-06-15", "2026-06-20", 7)]]
ACTS = [{"activity_id": a, "partner_id": p, "activity_type": t, "occurred_at": at, "initiated_by": by}
        for a, p, t, at, by in [("a1", "p1", "exec_meeting", "2026-05-01 10:00", "vendor"),
                                ("a2", "p1", "exec_meeting", "2026-02-01 10:00", "vendor"),
                                ("a3", "p2", "call", "2026-06-01 10:00", "partner"),
                                ("a4", "p3", "feedback", "2026-06-10 10:00", "partner"),
                                ("a5", "p3", "email", "2026-03-01 10:00", "partner"),
                                ("a6", "p2", "feedback", "2026-04-15 10:00", "vendor")]]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(D, partners=PARTNERS, partner_versions=VERSIONS, partner_surveys=SURVEYS, activities=ACTS)


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def test_partner_nps(ctx) -> None:
    # Answers in the 365 days: 10, 9 (promoters), 3 (detractor), 7 (passive) -> 100 * (2 - 1) / 4 = 25.
    assert value(ctx, "d8_partner_nps") == pytest.approx(25.0)


def test_promoter_share(ctx) -> None:
    assert value(ctx, "d8_promoter_share") == pytest.approx(0.5)


def test_detractor_share(ctx) -> None:
    assert value(ctx, "d8_detractor_share") == pytest.approx(0.25)


def test_survey_response_rate(ctx) -> None:
    # 30-day marks in the window (01-31): s1 (4 days), s2 (19 days) answered in time; s3 (59 days) and s4 not;
    # s5's mark (07-15) is after D -> 2/4.
    assert value(ctx, "d8_survey_response_rate") == pytest.approx(0.5)


def test_activities_per_partner_90d(ctx) -> None:
    # In (04-01, D]: a1, a3, a4, a6 -> 4 / 4 partners.
    assert value(ctx, "d8_activities_per_partner_90d") == pytest.approx(1.0)


def test_partner_initiated_share(ctx) -> None:
    # Of those four, a3 and a4 were started by the partner -> 1/2.
    assert value(ctx, "d8_partner_initiated_share") == pytest.approx(0.5)


def test_engaged_relationship_share(ctx) -> None:
    # Partners with an interaction in the 90 days: p1, p2, p3 -> 3/4.
    assert value(ctx, "d8_engaged_relationship_share") == pytest.approx(0.75)


def test_partners_reaching_out(ctx) -> None:
    # Partners that started one in the 90 days: p2, p3 -> 2/4.
    assert value(ctx, "d8_partners_reaching_out") == pytest.approx(0.5)


def test_feedback_sessions_per_10_partners(ctx) -> None:
    # Feedback sessions in the 90 days: a4, a6 -> 10 * 2 / 4 = 5.
    assert value(ctx, "d8_feedback_sessions_per_10_partners") == pytest.approx(5.0)


def test_strategic_sponsor_coverage(ctx) -> None:
    # Gold/platinum: p1 (sponsor e1), p2 (none) -> 1/2.
    assert value(ctx, "d8_strategic_sponsor_coverage") == pytest.approx(0.5)


def test_exec_meetings_per_strategic_partner(ctx) -> None:
    # Executive meetings in the 182 days with p1 or p2: a1, a2 -> 2 / 2 partners.
    assert value(ctx, "d8_exec_meetings_per_strategic_partner") == pytest.approx(1.0)


def test_strategic_exec_contact(ctx) -> None:
    # p1 met an executive in the 182 days, p2 did not -> 1/2.
    assert value(ctx, "d8_strategic_exec_contact") == pytest.approx(0.5)
