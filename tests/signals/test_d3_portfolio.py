"""D3 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import math

import pytest

from tests.signals import tiny

D = "2026-06-30"   # 365-day window (2025-06-30, D]; 180 days (2026-01-01, D]; 90 days (2026-04-01, D]


def partner(pid, ptype, region, onboarded, churned=None):
    return {"partner_id": pid, "partner_type": ptype, "region": region, "onboarded_on": onboarded,
            "churned_on": churned}


PARTNERS = [
    partner("p1", "reseller", "emea", "2024-01-01"),
    partner("p2", "isv", "na", "2024-01-01"),
    partner("p3", "reseller", "emea", "2025-01-01", "2026-03-01"),
    partner("p4", "msp", "apac", "2025-03-01"),
    partner("p5", "reseller", "emea", "2026-01-01"),
    partner("p6", "referral", "latam", "2025-02-01", "2025-12-01"),
]


def opp(oid, partner_id, attribution, created, closed, status, amount):
    return {"opportunity_id": oid, "partner_id": partner_id, "attribution": attribution, "created_on": created,
            "closed_on": closed, "status": status, "amount_eur": amount}


OPPS = [
    opp("o1", "p1", "sourced", "2026-05-01", "2026-06-01", "won", 400),
    opp("o2", "p2", "sourced", "2026-01-15", "2026-02-15", "won", 350),
    opp("o3", "p4", "sourced", "2025-08-01", "2025-09-01", "won", 250),
    opp("o4", "p5", "influenced", "2026-06-01", None, "open", 50),
    opp("o5", "p1", "sourced", "2024-03-01", "2024-04-01", "won", 10_000),   # before the window
]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(D, partners=PARTNERS, opportunities=OPPS)


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def entropy(shares):
    return -sum(p * math.log(p) for p in shares)


def test_type_mix_entropy(ctx) -> None:
    # In the programme on D: p1, p2, p4, p5 -> reseller 2, isv 1, msp 1 -> shares 1/2, 1/4, 1/4, over ln 6.
    assert value(ctx, "d3_type_mix_entropy") == pytest.approx(entropy([0.5, 0.25, 0.25]) / math.log(6))


def test_regions_covered(ctx) -> None:
    # emea (p1, p5), na (p2), apac (p4): three of four regions.
    assert value(ctx, "d3_regions_covered") == 3


def test_region_balance(ctx) -> None:
    # Shares 1/2, 1/4, 1/4 over ln 4: (0.5 ln 2 + 0.5 ln 4) / ln 4 = 0.75.
    assert value(ctx, "d3_region_balance") == pytest.approx(0.75)


def test_partner_revenue_concentration(ctx) -> None:
    # Sourced won in the window: p1 400, p2 350, p4 250 of 1000 -> HHI 0.16 + 0.1225 + 0.0625 = 0.345,
    # normalised with N = 3: (0.345 - 1/3) / (1 - 1/3) = 0.0175.
    assert value(ctx, "d3_partner_revenue_concentration") == pytest.approx(0.0175)


def test_top_partner_share(ctx) -> None:
    assert value(ctx, "d3_top_partner_share") == pytest.approx(0.4)


def test_top5_partner_share(ctx) -> None:
    # Only three earning partners: the five largest are all of them.
    assert value(ctx, "d3_top5_partner_share") == pytest.approx(1.0)


def test_elephant_factor(ctx) -> None:
    # 400 < 500 (half of 1000); 400 + 350 >= 500 -> two partners.
    assert value(ctx, "d3_elephant_factor") == 2


def test_active_partner_ratio(ctx) -> None:
    # Opportunity created in (2026-01-01, D]: p1 (05-01), p2 (01-15), p5 (06-01); p4's was 2025-08-01 -> 3/4.
    assert value(ctx, "d3_active_partner_ratio") == pytest.approx(0.75)


def test_engaged_partner_share_90d(ctx) -> None:
    # In (2026-04-01, D]: p1 and p5 -> 2/4.
    assert value(ctx, "d3_engaged_partner_share_90d") == pytest.approx(0.5)


def test_earning_partner_share(ctx) -> None:
    # Won as primary partner in the 365 days: p1, p2, p4 (p5's deal is open) -> 3/4.
    assert value(ctx, "d3_earning_partner_share") == pytest.approx(0.75)


def test_partner_churn_rate(ctx) -> None:
    # In the programme on 2025-06-30: p1, p2, p3, p4, p6 (5); still in on D: p1, p2, p4 -> 2/5 left.
    assert value(ctx, "d3_partner_churn_rate") == pytest.approx(0.4)


def test_first_year_retention(ctx) -> None:
    # First anniversaries in the window: p3 2026-01-01 (left 03-01: still in on the day), p4 2026-03-01 (in),
    # p6 2026-02-01 (left 2025-12-01) -> 2/3.
    assert value(ctx, "d3_first_year_retention") == pytest.approx(2 / 3)
