"""Property over the whole catalogue: adding records dated after D never changes any value as of D.

Hypothesis draws an organisation (a random number generator seed, its size and the as-of day D); the records are
random but consistent (ids, partners and references drawn from what exists). The same organisation plus random
records whose dates all fall after D (new partners, and later events of old and new partners, including ones that
refer to older opportunities, campaigns and requests) must give every signal the same value, n and status as of D,
and the same partner-level values.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signals.compute import compute_signals
from signals.context import CANONICAL_TABLES, SignalContext
from signals.registry import catalogue
from tests.signals import tiny

START = date(2024, 7, 1)


class Org:
    """Random canonical records; `add(lo, hi)` appends records whose dates all fall in [lo, hi]."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.rows: dict[str, list[dict]] = {name: [] for name in CANONICAL_TABLES}
        self.count = 0

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _day(self, lo: date, hi: date) -> date:
        return lo + timedelta(days=int(self.rng.integers(0, (hi - lo).days + 1)))

    def _after(self, day: date, hi: date, p_none: float = 0.3) -> date | None:
        if self.rng.random() < p_none:
            return None
        return day + timedelta(days=int(self.rng.integers(0, 120)))

    def _pick(self, values, p_none: float = 0.0):
        values = list(values)
        if not values or self.rng.random() < p_none:
            return None
        return values[int(self.rng.integers(0, len(values)))]

    def _ids(self, table: str, column: str) -> list:
        return [r[column] for r in self.rows[table]]

    def add(self, lo: date, hi: date, new_partners: int, events: int) -> None:
        r, pick, day = self.rng, self._pick, self._day
        for _ in range(new_partners):
            pid = self._id("p")
            onboarded = day(lo, hi)
            churned = self._after(onboarded + timedelta(days=1), hi, 0.7)
            tier = pick(["registered", "silver", "gold", "platinum", None])
            self.rows["partners"].append({
                "partner_id": pid, "partner_type": pick(["reseller", "isv", "msp", "referral"]),
                "region": pick(["emea", "na", "latam", "apac"], 0.2), "country": pick(["NL", "US"], 0.3),
                "domain": pick(["x.example"], 0.3), "tier": tier, "onboarded_on": onboarded, "churned_on": churned,
                "owner_id": pick(["m1", "m2"], 0.4), "exec_sponsor_id": pick(["e1"], 0.5)})
            switch = onboarded + timedelta(days=int(r.integers(1, 200)))
            self.rows["partner_versions"] += [
                {"partner_id": pid, "valid_from": onboarded, "valid_to": switch, "tier": tier,
                 "owner_id": pick(["m1", "m2"], 0.5), "exec_sponsor_id": pick(["e1"], 0.5), "status": "active"},
                {"partner_id": pid, "valid_from": switch, "valid_to": None, "tier": pick(["silver", "gold", "platinum"]),
                 "owner_id": pick(["m1", "m3"], 0.3), "exec_sponsor_id": pick(["e2"], 0.5), "status": "active"}]
        partners = self._ids("partners", "partner_id")
        if not partners:
            return
        for _ in range(events):
            p = pick(partners)
            created = day(lo, hi)
            closed = self._after(created, hi)
            attribution = pick(["sourced", "influenced", "none"])
            oid = self._id("o")
            self.rows["opportunities"].append({
                "opportunity_id": oid, "partner_id": None if attribution == "none" else p, "attribution": attribution,
                "created_on": created, "closed_on": closed,
                "status": "open" if closed is None else pick(["won", "won", "lost"]),
                "amount_eur": float(r.integers(1, 1000)), "segment": pick(["smb", "enterprise"]),
                "is_new_logo": bool(r.random() < 0.5), "campaign_id": pick(self._ids("campaigns", "campaign_id"), 0.5),
                "registration_id": pick(self._ids("deal_registrations", "registration_id"), 0.5),
                "expected_close_on": created + timedelta(days=int(r.integers(0, 90)))})
            # Links, registrations, requests and claims may refer to records from before the new period.
            self.rows["opportunity_partners"].append({
                "opportunity_id": pick(self._ids("opportunities", "opportunity_id")), "partner_id": pick(partners),
                "role": pick(["co_sell", "implementation", "influenced"]), "added_on": day(lo, hi)})
            submitted = pd.Timestamp(day(lo, hi)) + pd.Timedelta(hours=int(r.integers(0, 24)))
            decided = None if r.random() < 0.3 else submitted + pd.Timedelta(hours=int(r.integers(1, 400)))
            conflict = pick(["none", "none", "partner", "direct"])
            self.rows["deal_registrations"].append({
                "registration_id": self._id("r"), "partner_id": p, "submitted_at": submitted, "decided_at": decided,
                "status": "pending" if decided is None else pick(["approved", "rejected"]), "conflict": conflict,
                "conflict_resolved_at": None if conflict == "none" or r.random() < 0.3
                else submitted + pd.Timedelta(days=int(r.integers(1, 60))),
                "opportunity_id": pick(self._ids("opportunities", "opportunity_id"), 0.3)})
            self.rows["activities"].append({
                "activity_id": self._id("a"), "partner_id": p, "initiated_by": pick(["partner", "vendor"]),
                "activity_type": pick(["qbr", "call", "exec_meeting", "scorecard_review", "feedback"]),
                "occurred_at": pd.Timestamp(day(lo, hi)) + pd.Timedelta(hours=10)})
            enrolled = day(lo, hi)
            self.rows["training_enrolments"].append({
                "enrolment_id": self._id("e"), "partner_id": p, "person_id": pick(["u1", "u2"]), "course_id": "k",
                "enrolled_on": enrolled, "completed_on": self._after(enrolled, hi)})
            earned = day(lo, hi)
            self.rows["certifications"].append({
                "certification_id": self._id("c"), "partner_id": p, "person_id": pick(["u1", "u2"]),
                "certification_name": pick(["A", "B"]), "earned_on": earned,
                "expires_on": earned + timedelta(days=int(r.integers(30, 400)))})
            start = day(lo, hi)
            end = start + timedelta(days=int(r.integers(0, 120)))
            self.rows["campaigns"].append({
                "campaign_id": self._id("k"), "partner_id": p, "is_joint": bool(r.random() < 0.6),
                "campaign_type": pick(["co_marketing", "joint_proposition", "webinar"]), "start_on": start,
                "end_on": end})
            self.rows["mdf_allocations"].append({"allocation_id": self._id("al"), "partner_id": p,
                                                 "period_start": start, "period_end": end,
                                                 "amount_eur": float(r.integers(100, 1000))})
            asked = day(lo, hi)
            self.rows["mdf_requests"].append({
                "request_id": self._id("rq"), "partner_id": p,
                "campaign_id": pick(self._ids("campaigns", "campaign_id")), "submitted_on": asked,
                "decided_on": self._after(asked, hi), "status": pick(["approved", "rejected", "pending"]),
                "amount_eur": float(r.integers(10, 500))})
            claimed = day(lo, hi)
            self.rows["mdf_claims"].append({
                "claim_id": self._id("cl"), "request_id": pick(self._ids("mdf_requests", "request_id")),
                "partner_id": p, "submitted_on": claimed, "paid_on": self._after(claimed, hi),
                "status": pick(["paid", "pending", "rejected"]), "amount_eur": float(r.integers(10, 500))})
            self.rows["joint_business_plans"].append({
                "plan_id": self._id("pl"), "partner_id": p, "start_on": start, "end_on": end,
                "status": pick(["draft", "active", "completed"]), "target_revenue_eur": float(r.integers(100, 2000))})
            self.rows["partner_targets"].append({"target_id": self._id("t"), "partner_id": p, "period_start": start,
                                                 "period_end": end, "target_amount_eur": float(r.integers(100, 2000))})
            self.rows["partner_agreements"].append({"agreement_id": self._id("g"), "partner_id": p,
                                                    "start_on": start, "end_on": end,
                                                    "renewed_on": self._after(start, hi, 0.4)})
            opened = pd.Timestamp(day(lo, hi)) + pd.Timedelta(hours=9)
            self.rows["support_tickets"].append({
                "ticket_id": self._id("tk"), "partner_id": p, "opened_at": opened, "priority": "normal",
                "resolved_at": None if r.random() < 0.3 else opened + pd.Timedelta(hours=int(r.integers(1, 300)))})
            sent = day(lo, hi)
            answered = self._after(sent, hi, 0.4)
            self.rows["partner_surveys"].append({
                "response_id": self._id("s"), "partner_id": p, "sent_on": sent, "responded_on": answered,
                "nps_score": None if answered is None else int(r.integers(0, 11))})
            self.rows["portal_logins"].append({"partner_id": p, "user_id": pick(["u1", "u2", "u3"]),
                                               "login_on": day(lo, hi), "sessions": 1})

    def context(self, day: date) -> SignalContext:
        ctx = tiny.context(day.isoformat(), **{k: [dict(row) for row in v] for k, v in self.rows.items()})
        return ctx


def _signals(ctx: SignalContext) -> pd.DataFrame:
    return compute_signals(ctx).set_index("signal_id")[["value", "n", "status"]]


def _partner_values(ctx: SignalContext) -> pd.DataFrame:
    frames = [card.partner_compute(ctx).assign(signal_id=card.id) for card in catalogue().values()
              if card.partner_compute is not None]
    return pd.concat(frames).set_index(["signal_id", "partner_id"]).sort_index()[["value", "n"]]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), partners=st.integers(1, 6), events=st.integers(0, 25),
       later_partners=st.integers(0, 3), later_events=st.integers(1, 15), offset=st.integers(200, 600))
def test_records_dated_after_d_never_change_values_as_of_d(seed, partners, events, later_partners, later_events,
                                                          offset) -> None:
    day = START + timedelta(days=offset)
    org = Org(seed)
    org.add(START, day, partners, events)
    before = org.context(day)
    values_before, partner_before = _signals(before), _partner_values(before)

    org.add(day + timedelta(days=1), day + timedelta(days=150), later_partners, later_events)
    after = org.context(day)
    values_after, partner_after = _signals(after), _partner_values(after)

    pd.testing.assert_frame_equal(values_before, values_after, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(partner_before, partner_after, check_exact=False, rtol=1e-9)
