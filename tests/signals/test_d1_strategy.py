"""D1 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from tests.signals import tiny

D = "2026-06-30"      # 365-day window: (2025-06-30, 2026-06-30]; 91-day window: (2026-03-31, 2026-06-30]


def opp(oid, attribution, partner, created, closed, status, amount, segment="smb", new_logo=False):
    return {"opportunity_id": oid, "attribution": attribution, "partner_id": partner, "created_on": created,
            "closed_on": closed, "status": status, "amount": amount, "currency": "EUR", "amount_eur": amount,
            "segment": segment, "is_new_logo": new_logo}


OPPS = [
    opp("o1", "sourced", "p1", "2026-01-10", "2026-03-01", "won", 100, "enterprise", True),
    opp("o2", "influenced", "p2", "2026-02-01", "2026-05-01", "won", 50, "mid_market", True),
    opp("o3", "none", None, "2026-03-01", "2026-06-01", "won", 150, "enterprise", True),
    opp("o4", "none", None, "2024-12-01", "2025-01-01", "won", 999, "enterprise"),      # before the window
    opp("o5", "sourced", "p1", "2026-06-10", None, "open", 200),
    opp("o6", "none", None, "2026-04-01", "2026-05-15", "lost", 100),
    opp("o7", "sourced", "p1", "2024-05-01", "2025-03-01", "won", 200),                  # the year before
    opp("o8", "sourced", "p2", "2026-07-01", "2026-07-02", "won", 5000),                 # after D: never counts
]
PLANS = [
    {"plan_id": "pl1", "partner_id": "p1", "start_on": "2026-01-01", "end_on": "2026-03-31", "status": "completed",
     "target_revenue_eur": 200},
    {"plan_id": "pl2", "partner_id": "p2", "start_on": "2026-07-01", "end_on": "2026-12-31", "status": "active",
     "target_revenue_eur": 100},
    {"plan_id": "pl3", "partner_id": "p3", "start_on": "2026-01-01", "end_on": "2026-12-31", "status": "draft",
     "target_revenue_eur": 100},
    {"plan_id": "pl4", "partner_id": "p2", "start_on": "2026-06-01", "end_on": "2026-09-30", "status": "active",
     "target_revenue_eur": 100},
]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(
        D, opportunities=OPPS, joint_business_plans=PLANS,
        partners=tiny.partners(("p1", "2024-01-01"), ("p2", "2024-01-01"), ("p3", "2025-01-01"),
                               ("p4", "2025-01-01", "2026-02-01")),
        partner_versions=tiny.versions(("p1", "2024-01-01", None, "platinum", "m1", None),
                                       ("p2", "2024-01-01", None, "gold", "m1", None),
                                       ("p3", "2025-01-01", None, "registered", None, None),
                                       ("p4", "2025-01-01", "2026-02-01", "gold", None, None)))


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def test_partner_share_of_bookings(ctx) -> None:
    # Won in the window: o1 100 (sourced), o2 50 (influenced), o3 150 (direct): (100 + 50) / 300.
    assert value(ctx, "d1_partner_share_of_bookings") == pytest.approx(0.5)
    assert tiny.run("d1_partner_share_of_bookings", ctx).n[0] == 3


def test_partner_share_of_bookings_by_partner(ctx) -> None:
    from signals.registry import catalogue

    rows = catalogue()["d1_partner_share_of_bookings"].partner_compute(ctx).set_index("partner_id")
    # p1: 100 / 300; p2: 50 / 300; p3: nothing; p4 left the programme before D, so it has no row.
    assert rows.loc["p1", "value"] == pytest.approx(1 / 3) and rows.loc["p2", "value"] == pytest.approx(1 / 6)
    assert rows.loc["p3", "value"] == 0 and "p4" not in rows.index


def test_partner_new_logo_share(ctx) -> None:
    # New logos won in the window: o1 sourced, o2 influenced, o3 direct: only o1 counts -> 1/3.
    assert value(ctx, "d1_partner_new_logo_share") == pytest.approx(1 / 3)


def test_new_logo_partner_involved_share(ctx) -> None:
    # o1 and o2 have a partner -> 2/3.
    assert value(ctx, "d1_new_logo_partner_involved_share") == pytest.approx(2 / 3)


def test_partner_sourced_share_of_bookings(ctx) -> None:
    # Sourced only: o1 100 / 300.
    assert value(ctx, "d1_partner_sourced_share_of_bookings") == pytest.approx(1 / 3)


def test_enterprise_partner_share(ctx) -> None:
    # Enterprise won in the window: o1 100 (partner), o3 150 (direct); o4 is before the window -> 100 / 250.
    assert value(ctx, "d1_enterprise_partner_share") == pytest.approx(0.4)


def test_partner_won_deal_share(ctx) -> None:
    # Counts: 2 partner wins of 3 wins.
    assert value(ctx, "d1_partner_won_deal_share") == pytest.approx(2 / 3)


def test_partner_share_of_bookings_91d(ctx) -> None:
    # (2026-03-31, 2026-06-30]: o2 50 (partner), o3 150 (direct) -> 50 / 200.
    assert value(ctx, "d1_partner_share_of_bookings_91d") == pytest.approx(0.25)


def test_partner_pipeline_share(ctx) -> None:
    # Created in the window: o1 100 p, o2 50 p, o3 150, o5 200 p, o6 100 -> 350 / 600.
    assert value(ctx, "d1_partner_pipeline_share") == pytest.approx(350 / 600)


def test_partner_bookings_growth(ctx) -> None:
    # Partner wins in (2025-06-30, 2026-06-30]: 150; in (2024-06-30, 2025-06-30]: o7 200 -> 150 / 200 - 1.
    # The first opportunity (o7, created 2024-05-01) is before 2024-06-30, so a whole earlier year is in the data.
    assert value(ctx, "d1_partner_bookings_growth") == pytest.approx(-0.25)


def test_partner_bookings_growth_needs_two_years() -> None:
    young = tiny.context(D, opportunities=OPPS[:6])   # first opportunity created 2024-12-01: less than two years
    assert np.isnan(tiny.run("d1_partner_bookings_growth", young).value[0])


def test_plan_attainment(ctx) -> None:
    # Completed plans ended in the window: pl1 (p1, 2026-01-01..03-31, target 200); p1 won o1 (100) in it -> 0.5.
    assert value(ctx, "d1_plan_attainment") == pytest.approx(0.5)


def test_partner_plan_coverage(ctx) -> None:
    # In the programme on D: p1, p2, p3 (p4 left). Running non-draft plans on D: pl4 (p2) -> 1/3.
    assert value(ctx, "d1_partner_plan_coverage") == pytest.approx(1 / 3)


def test_strategic_partner_plan_coverage(ctx) -> None:
    # Gold/platinum on D: p1, p2 (p4 left). p2 has pl4 running -> 1/2.
    assert value(ctx, "d1_strategic_partner_plan_coverage") == pytest.approx(0.5)


def test_strategic_plan_coverage_not_applicable_without_top_tier() -> None:
    ctx = tiny.context(D, partners=tiny.partners(("p1", "2025-01-01")),
                       partner_versions=tiny.versions(("p1", "2025-01-01", None, "silver", None, None)))
    assert tiny.status("d1_strategic_partner_plan_coverage", ctx) == ["not_applicable"]
