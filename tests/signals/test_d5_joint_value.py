"""D5 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import pytest

from tests.signals import tiny

D = "2026-06-30"   # 365-day window (2025-06-30, D]

PARTNERS = tiny.partners(("p1", "2025-01-01"), ("p2", "2025-01-01"), ("p3", "2025-01-01"), ("p4", "2025-01-01"))
CAMPAIGNS = [
    {"campaign_id": "c1", "partner_id": "p1", "campaign_type": "co_marketing", "is_joint": True,
     "start_on": "2026-06-01", "end_on": "2026-07-31"},
    {"campaign_id": "c2", "partner_id": "p2", "campaign_type": "joint_proposition", "is_joint": True,
     "start_on": "2026-01-01", "end_on": "2026-06-30"},
    {"campaign_id": "c3", "partner_id": None, "campaign_type": "webinar", "is_joint": False,
     "start_on": "2026-05-01", "end_on": "2026-08-01"},
    {"campaign_id": "c4", "partner_id": "p2", "campaign_type": "joint_proposition", "is_joint": True,
     "start_on": "2025-01-01", "end_on": "2025-03-31"},
]


def opp(oid, partner, attribution, created, closed, status, amount, campaign=None):
    return {"opportunity_id": oid, "partner_id": partner, "attribution": attribution, "created_on": created,
            "closed_on": closed, "status": status, "amount_eur": amount, "campaign_id": campaign}


OPPS = [
    opp("o1", "p1", "sourced", "2026-01-01", "2026-03-01", "won", 200, "c1"),      # cycle 59 days
    opp("o2", "p1", "influenced", "2026-02-01", "2026-02-21", "won", 100, "c3"),   # cycle 20 days
    opp("o3", "p2", "sourced", "2026-03-01", "2026-04-30", "lost", 100),
    opp("o4", None, "none", "2026-01-01", "2026-03-02", "won", 100),               # cycle 60 days
    opp("o5", None, "none", "2026-02-01", "2026-05-02", "won", 50),                # cycle 90 days
    opp("o6", None, "none", "2026-03-01", "2026-04-01", "lost", 50),
    opp("o7", None, "none", "2026-03-01", "2026-04-02", "lost", 50),
    opp("o8", "p2", "sourced", "2026-05-01", None, "open", 300, "c2"),
]
LINKS = [{"opportunity_id": o, "partner_id": p, "role": r} for o, p, r in
         [("o1", "p1", "sourced"), ("o1", "p3", "co_sell"), ("o2", "p1", "influenced"), ("o8", "p2", "sourced"),
          ("o8", "p4", "implementation")]]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(D, partners=PARTNERS, campaigns=CAMPAIGNS, opportunities=OPPS, opportunity_partners=LINKS)


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def test_co_sell_share(ctx) -> None:
    # Partner opportunities created in the window: o1, o2, o3, o8; co-sold: o1 -> 1/4.
    assert value(ctx, "d5_co_sell_share") == pytest.approx(0.25)


def test_multi_partner_deal_share(ctx) -> None:
    # o1 {p1, p3} and o8 {p2, p4} involve two partners -> 2/4.
    assert value(ctx, "d5_multi_partner_deal_share") == pytest.approx(0.5)


def test_joint_campaign_pipeline_share(ctx) -> None:
    # Amounts: o1 200 (joint c1), o2 100 (c3 is not joint), o3 100, o8 300 (joint c2) -> 500 / 700.
    assert value(ctx, "d5_joint_campaign_pipeline_share") == pytest.approx(500 / 700)


def test_campaign_opportunity_share(ctx) -> None:
    # Counts: o1 and o8 of four -> 1/2.
    assert value(ctx, "d5_campaign_opportunity_share") == pytest.approx(0.5)


def test_win_rate_lift(ctx) -> None:
    # Closed in the window: partner o1 won, o2 won, o3 lost (2/3); direct o4, o5 won, o6, o7 lost (2/4) -> 1/6.
    assert value(ctx, "d5_win_rate_lift") == pytest.approx(2 / 3 - 0.5)


def test_partner_win_rate(ctx) -> None:
    assert value(ctx, "d5_partner_win_rate") == pytest.approx(2 / 3)


def test_deal_size_lift(ctx) -> None:
    # Average won: partner (200 + 100) / 2 = 150, direct (100 + 50) / 2 = 75 -> 150 / 75 - 1 = 1.
    assert value(ctx, "d5_deal_size_lift") == pytest.approx(1.0)


def test_cycle_time_reduction(ctx) -> None:
    # Median won cycle: partner (59, 20) -> 39.5; direct (60, 90) -> 75 -> 1 - 39.5 / 75.
    assert value(ctx, "d5_cycle_time_reduction") == pytest.approx(1 - 39.5 / 75)


def test_co_sold_won_share(ctx) -> None:
    # Partner won amount: o1 200 (co-sold), o2 100 -> 2/3.
    assert value(ctx, "d5_co_sold_won_share") == pytest.approx(2 / 3)


def test_joint_campaigns_per_10_partners(ctx) -> None:
    # Joint campaigns running on D: c1 and c2 (its last day is D) -> 10 * 2 / 4 partners = 5.
    assert value(ctx, "d5_joint_campaigns_per_10_partners") == pytest.approx(5.0)


def test_joint_campaigns_started_per_10_partners(ctx) -> None:
    # Joint campaigns started in the window: c1, c2 (c4 started 2025-01-01) -> 10 * 2 / 4 = 5.
    assert value(ctx, "d5_joint_campaigns_started_per_10_partners") == pytest.approx(5.0)


def test_live_joint_propositions(ctx) -> None:
    # Joint propositions running on D: c2 only (c4 ended in 2025).
    assert value(ctx, "d5_live_joint_propositions") == 1
    later = tiny.context("2026-07-01", partners=PARTNERS, campaigns=CAMPAIGNS)
    assert tiny.run("d5_live_joint_propositions", later).value[0] == 0


def test_lift_signals_not_applicable_without_direct_sales() -> None:
    ctx = tiny.context(D, opportunities=OPPS[:3])
    for sid in ("d5_win_rate_lift", "d5_deal_size_lift", "d5_cycle_time_reduction"):
        assert tiny.status(sid, ctx) == ["not_applicable"], sid
