"""D7 signals on one hand-built organisation; every expected value is worked out in the comments."""

from __future__ import annotations

import pytest

from tests.signals import tiny

D = "2026-06-30"   # 365 days (2025-06-30, D]; 180 days (2026-01-01, D]; 91 days (2026-03-31, D]; 30 (2026-05-31, D]

PARTNERS = [
    {"partner_id": "p1", "domain": "a.example", "region": "emea", "country": "NL", "onboarded_on": "2025-01-01"},
    {"partner_id": "p2", "domain": None, "region": "na", "country": "US", "onboarded_on": "2025-01-01"},
    {"partner_id": "p3", "domain": "c.example", "region": None, "country": None, "onboarded_on": "2025-01-01"},
]
VERSIONS = tiny.versions(("p1", "2025-01-01", None, "gold", "m1", None),
                         ("p2", "2025-01-01", None, "platinum", None, None),
                         ("p3", "2025-01-01", None, None, None, None))
REGS = [
    {"registration_id": "r1", "partner_id": "p1", "submitted_at": "2026-04-30 09:00",
     "decided_at": "2026-05-01 10:00", "status": "approved", "opportunity_id": "o1", "conflict": "none"},
    {"registration_id": "r2", "partner_id": "p2", "submitted_at": "2026-05-30 09:00",
     "decided_at": "2026-06-01 10:00", "status": "approved", "opportunity_id": "o2", "conflict": "none"},
    {"registration_id": "r3", "partner_id": "p1", "submitted_at": "2026-05-30 09:00",
     "decided_at": "2026-06-01 10:00", "status": "rejected", "conflict": "none"},
]
OPPS = [
    {"opportunity_id": "o1", "partner_id": "p1", "attribution": "sourced", "created_on": "2026-05-04",
     "closed_on": "2026-06-20", "status": "won", "amount_eur": 300, "registration_id": "r1"},
    {"opportunity_id": "o2", "partner_id": "p2", "attribution": "influenced", "created_on": "2026-06-11",
     "status": "open", "amount_eur": 100, "registration_id": "r2"},
    {"opportunity_id": "o3", "partner_id": "p1", "attribution": "sourced", "created_on": "2026-02-01",
     "closed_on": "2026-03-01", "status": "won", "amount_eur": 100},
    {"opportunity_id": "o4", "partner_id": None, "attribution": "none", "created_on": "2026-03-01",
     "status": "open", "amount_eur": 50},
]
ALLOCATIONS = [{"allocation_id": "al1", "partner_id": "p1", "period_start": "2026-01-01", "period_end": "2026-03-31",
                "amount_eur": 1000}]
REQUESTS = [{"request_id": q, "partner_id": "p1", "submitted_on": s, "decided_on": d, "status": st}
            for q, s, d, st in [("q1", "2026-02-01", "2026-02-05", "approved"),
                                ("q2", "2026-03-01", "2026-03-11", "approved"),
                                ("q3", "2026-06-25", None, "pending")]]
CLAIMS = [{"claim_id": k, "request_id": "q1", "partner_id": "p1", "submitted_on": s, "paid_on": p, "status": "paid"}
          for k, s, p in [("k1", "2026-03-01", "2026-03-31"), ("k2", "2026-04-01", "2026-04-11"),
                          ("k3", "2026-05-01", "2026-05-21")]]
TICKETS = [{"ticket_id": t, "partner_id": "p1", "opened_at": o, "resolved_at": r}
           for t, o, r in [("t1", "2026-06-01 08:00", "2026-06-01 20:00"),
                           ("t2", "2026-05-01 00:00", "2026-05-11 00:00"),
                           ("t3", "2026-06-20 00:00", None), ("t4", "2026-06-26 00:00", None)]]
LOGINS = [{"partner_id": p, "user_id": u, "login_on": d, "sessions": 1}
          for p, u, d in [("p1", "u1", "2026-06-20"), ("p1", "u2", "2026-06-25"), ("p2", "u3", "2026-05-01")]]


@pytest.fixture(scope="module")
def ctx():
    return tiny.context(D, partners=PARTNERS, partner_versions=VERSIONS, deal_registrations=REGS, opportunities=OPPS,
                        mdf_allocations=ALLOCATIONS, mdf_requests=REQUESTS, mdf_claims=CLAIMS, support_tickets=TICKETS,
                        portal_logins=LOGINS)


def value(ctx, signal_id):
    return tiny.run(signal_id, ctx).value[0]


def test_partner_record_completeness(ctx) -> None:
    # Filled of domain, region, country, tier, owner: p1 5, p2 3 (region, country, tier), p3 1 (domain) -> 9 / 15.
    assert value(ctx, "d7_partner_record_completeness") == pytest.approx(0.6)


def test_registration_to_opportunity_days(ctx) -> None:
    # Approved registrations -> opportunity created: r1 3 days (05-01 -> 05-04), r2 10 days -> median 6.5.
    assert value(ctx, "d7_registration_to_opportunity_days") == pytest.approx(6.5)


def test_registered_opportunity_share(ctx) -> None:
    # Partner opportunities created in the 365 days: o1 (registered), o2 (registered), o3 (not) -> 2/3.
    assert value(ctx, "d7_registered_opportunity_share") == pytest.approx(2 / 3)


def test_registered_won_share(ctx) -> None:
    # Partner won amount: o1 300 (registered), o3 100 (not) -> 0.75.
    assert value(ctx, "d7_registered_won_share") == pytest.approx(0.75)


def test_mdf_decision_days(ctx) -> None:
    # Decided in the 180 days: q1 4 days, q2 10 days (q3 pending) -> median 7.
    assert value(ctx, "d7_mdf_decision_days") == pytest.approx(7.0)


def test_mdf_claim_payout_days(ctx) -> None:
    # Paid in the 365 days: 30, 10 and 20 days -> median 20.
    assert value(ctx, "d7_mdf_claim_payout_days") == pytest.approx(20.0)


def test_ticket_resolution_hours(ctx) -> None:
    # Resolved in the 91 days: t1 12 h, t2 240 h -> median 126.
    assert value(ctx, "d7_ticket_resolution_hours") == pytest.approx(126.0)


def test_tickets_unresolved_7d(ctx) -> None:
    # Seven-day marks in the 91 days: t1 06-08 (resolved in time), t2 05-08 (resolved 05-11: late), t3 06-27 (open:
    # late); t4's mark 07-03 is after D -> 2/3.
    assert value(ctx, "d7_tickets_unresolved_7d") == pytest.approx(2 / 3)


def test_portal_adoption_30d(ctx) -> None:
    # Logins in (05-31, D]: p1 only -> 1/3.
    assert value(ctx, "d7_portal_adoption_30d") == pytest.approx(1 / 3)


def test_portal_adoption_90d(ctx) -> None:
    # Logins in (04-01, D]: p1, p2 -> 2/3.
    assert value(ctx, "d7_portal_adoption_90d") == pytest.approx(2 / 3)


def test_portal_users_per_partner(ctx) -> None:
    # Users logged in during the 30 days: u1, u2 -> 2 / 3 partners.
    assert value(ctx, "d7_portal_users_per_partner") == pytest.approx(2 / 3)


def test_strategic_portal_adoption(ctx) -> None:
    # Gold/platinum: p1 (logged in), p2 (not in the 30 days) -> 1/2.
    assert value(ctx, "d7_strategic_portal_adoption") == pytest.approx(0.5)


def test_portal_signals_stale_when_logins_stop() -> None:
    # The newest login is 2026-05-01, 60 days before D: older than the 14-day freshness limit, so the value (0.0,
    # nobody logged in during the 30 days) is not trusted as present; the 90-day share still has a value but is stale.
    ctx = tiny.context(D, partners=PARTNERS, portal_logins=LOGINS[2:])
    assert tiny.status("d7_portal_adoption_90d", ctx) == ["stale"]
