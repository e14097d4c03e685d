"""D6 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import pytest

from tests.signals import tiny

D = "2026-06-30"   # 365 days (2025-06-30, D]; 92 days (2026-03-30, D]

PARTNERS = tiny.partners(("p1", "2025-01-01"), ("p2", "2025-01-01"), ("p3", "2025-01-01"))
VERSIONS = tiny.versions(("p1", "2025-01-01", None, "gold", None, None),
                         ("p2", "2025-01-01", None, "platinum", None, None),
                         ("p3", "2025-01-01", None, "registered", None, None))


def target(tid, partner, start, end, amount):
    return {"target_id": tid, "partner_id": partner, "period_start": start, "period_end": end,
            "target_amount_eur": amount}


TARGETS = [target("t1", "p1", "2026-04-01", "2026-06-30", 100), target("t2", "p2", "2026-01-01", "2026-03-31", 200),
           target("t3", "p3", "2025-01-01", "2025-03-31", 100), target("t4", "p3", "2026-07-01", "2026-09-30", 100)]
OPPS = [
    {"opportunity_id": "o1", "partner_id": "p1", "attribution": "sourced", "created_on": "2026-04-01",
     "closed_on": "2026-05-15", "expected_close_on": "2026-05-10", "status": "won", "amount_eur": 150,
     "campaign_id": "k1"},
    {"opportunity_id": "o2", "partner_id": "p2", "attribution": "influenced", "created_on": "2026-01-10",
     "closed_on": "2026-02-10", "expected_close_on": "2026-03-31", "status": "won", "amount_eur": 100},
    {"opportunity_id": "o3", "partner_id": "p1", "attribution": "sourced", "created_on": "2025-07-01",
     "closed_on": "2025-09-01", "expected_close_on": "2025-08-20", "status": "won", "amount_eur": 10},
    {"opportunity_id": "o4", "partner_id": "p2", "attribution": "sourced", "created_on": "2026-04-01",
     "closed_on": "2026-06-01", "expected_close_on": "2026-05-01", "status": "won", "amount_eur": 10},
]
ACTS = [{"activity_id": a, "partner_id": p, "activity_type": "scorecard_review", "occurred_at": at}
        for a, p, at in [("s1", "p1", "2026-04-10 09:00"), ("s2", "p2", "2026-05-20 09:00"),
                         ("s3", "p3", "2026-01-05 09:00")]]
ALLOCATIONS = [{"allocation_id": "al1", "partner_id": "p1", "period_start": "2026-01-01", "period_end": "2026-03-31",
                "amount_eur": 1000},
               {"allocation_id": "al2", "partner_id": "p2", "period_start": "2025-03-01", "period_end": "2025-05-31",
                "amount_eur": 500}]
REQUESTS = [{"request_id": "rq1", "partner_id": "p1", "campaign_id": "k1", "submitted_on": "2026-01-05",
             "decided_on": "2026-01-07", "status": "approved", "amount_eur": 300}]
CLAIMS = [{"claim_id": "cl1", "request_id": "rq1", "partner_id": "p1", "submitted_on": "2026-03-01",
           "paid_on": "2026-03-20", "status": "paid", "amount_eur": 300},
          {"claim_id": "cl2", "request_id": "rq1", "partner_id": "p1", "submitted_on": "2026-04-01", "paid_on": None,
           "status": "rejected", "amount_eur": 200},
          {"claim_id": "cl3", "request_id": "rq1", "partner_id": "p2", "submitted_on": "2026-05-01", "paid_on": None,
           "status": "pending", "amount_eur": 100}]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(D, partners=PARTNERS, partner_versions=VERSIONS, partner_targets=TARGETS, opportunities=OPPS,
                        activities=ACTS, mdf_allocations=ALLOCATIONS, mdf_requests=REQUESTS, mdf_claims=CLAIMS)


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def test_target_coverage(ctx) -> None:
    # Targets covering D: t1 (p1; its last day is D) -> 1/3.
    assert value(ctx, "d6_target_coverage") == pytest.approx(1 / 3)


def test_strategic_target_coverage(ctx) -> None:
    # Gold/platinum: p1 (target), p2 (none on D) -> 1/2.
    assert value(ctx, "d6_strategic_target_coverage") == pytest.approx(0.5)


def test_scorecard_reviews_per_partner(ctx) -> None:
    # Reviews in the 365 days: s1, s2, s3 -> 3 / 3 partners; per partner one each.
    assert value(ctx, "d6_scorecard_reviews_per_partner") == pytest.approx(1.0)


def test_targets_met_share(ctx) -> None:
    # Periods ended in the window: t1 (p1 won 150 in it, target 100: met), t2 (p2 won 100, target 200: not);
    # t3 ended before the window, t4 has not started -> 1/2.
    assert value(ctx, "d6_targets_met_share") == pytest.approx(0.5)


def test_forecast_accuracy(ctx) -> None:
    # Partner wins in the window: o1 5 days off, o2 49, o3 12, o4 31; within 15 days: o1, o3 -> 2/4.
    assert value(ctx, "d6_forecast_accuracy") == pytest.approx(0.5)


def test_forecast_accuracy_91d(ctx) -> None:
    # Won in (2026-03-31, D]: o1 (5 days off: yes), o4 (31: no) -> 1/2.
    assert value(ctx, "d6_forecast_accuracy_91d") == pytest.approx(0.5)


def test_forecast_slip_days(ctx) -> None:
    # Median of 5, 49, 12, 31 -> 21.5.
    assert value(ctx, "d6_forecast_slip_days") == pytest.approx(21.5)


def test_scorecard_review_coverage(ctx) -> None:
    # Reviews in (2026-03-30, D]: p1 (04-10), p2 (05-20); p3's was 01-05 -> 2/3.
    assert value(ctx, "d6_scorecard_review_coverage") == pytest.approx(2 / 3)


def test_strategic_scorecard_coverage(ctx) -> None:
    # p1 and p2 are the gold/platinum partners and both were reviewed -> 1.
    assert value(ctx, "d6_strategic_scorecard_coverage") == pytest.approx(1.0)


def test_scorecard_review_delay(ctx) -> None:
    # Days after the previous quarter's end: s1 04-10 - 03-31 = 10, s2 05-20 - 03-31 = 50, s3 01-05 - 12-31 = 5
    # -> median 10.
    assert value(ctx, "d6_scorecard_review_delay") == pytest.approx(10.0)


def test_mdf_utilisation(ctx) -> None:
    # Allocated in the window: al1 1000 (al2 started before it). Claimed, not rejected: cl1 300 + cl3 100 -> 0.4.
    assert value(ctx, "d6_mdf_utilisation") == pytest.approx(0.4)


def test_mdf_roi(ctx) -> None:
    # Won from MDF-funded campaign k1 in the window: o1 150; paid out in the window: cl1 300 -> 0.5.
    assert value(ctx, "d6_mdf_roi") == pytest.approx(0.5)


def test_mdf_signals_not_applicable_without_a_programme() -> None:
    ctx = tiny.context(D, partners=PARTNERS, opportunities=OPPS)
    assert tiny.status("d6_mdf_roi", ctx) == ["not_applicable"]
    assert tiny.status("d6_mdf_utilisation", ctx) == ["not_applicable"]
