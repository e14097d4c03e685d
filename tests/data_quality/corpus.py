"""The bad-input corpus: hand-made raw record versions of the kinds real PRM/CRM exports contain, across streams.

Each `Bad` is one record version landed into `raw_sandbox` next to a sandbox organisation's clean history, with the
rule that must catch it, where it is held, the exact reason it must carry, and the dimensions whose status must show
it. Every bad record has a good twin (`good`), which must flow on and be scored. Two stream-level cases (a stream that
stops arriving, a sudden drop in volume) are shaped on the sandbox history itself (`shape_history`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PARTNER = "PTR-00075"          # active in the growth sandbox organisation throughout March 2026
WHEN = "2026-03-10T09:00:00Z"  # every bad version is stamped inside the scored window


def opportunity(oid: str, **over) -> dict:
    return {"opportunity_id": oid, "partner_id": PARTNER, "attribution": "sourced", "created_on": "2026-03-02",
            "closed_on": "2026-03-09", "status": "won", "amount": 12500.0, "currency": "EUR", "segment": "smb",
            "region": "emea", "customer_id": f"CUS-{oid}", "is_new_logo": True, "campaign_id": None,
            "registration_id": None, "expected_close_on": "2026-03-30"} | over


def partner(pid: str, **over) -> dict:
    return {"partner_id": pid, "name": f"Partner {pid}", "domain": None, "partner_type": "reseller",
            "tier": "silver", "region": "emea", "country": "NL", "onboarded_on": "2026-03-01", "churned_on": None,
            "owner_id": "USR-001", "exec_sponsor_id": None} | over


def registration(rid: str, **over) -> dict:
    return {"registration_id": rid, "partner_id": PARTNER, "submitted_at": "2026-03-03T10:00:00Z",
            "decided_at": "2026-03-05T10:00:00Z", "status": "approved", "conflict": "none",
            "conflict_resolved_at": None, "opportunity_id": None, "estimated_amount": 8000.0, "currency": "EUR"} | over


def survey(sid: str, **over) -> dict:
    return {"response_id": sid, "partner_id": PARTNER, "sent_on": "2026-03-02", "responded_on": "2026-03-06",
            "nps_score": 8} | over


def claim(cid: str, **over) -> dict:
    return {"claim_id": cid, "request_id": None, "partner_id": PARTNER, "submitted_on": "2026-03-02",
            "paid_on": "2026-03-08", "status": "paid", "amount": 1500.0, "currency": "EUR"} | over


def enrolment(eid: str, **over) -> dict:
    return {"enrolment_id": eid, "partner_id": PARTNER, "person_id": f"{PARTNER}-001", "course_id": "CRS-101",
            "enrolled_on": "2026-03-02", "completed_on": "2026-03-06"} | over


def ticket(tid: str, **over) -> dict:
    return {"ticket_id": tid, "partner_id": PARTNER, "opened_at": "2026-03-03T09:00:00Z",
            "resolved_at": "2026-03-04T09:00:00Z", "priority": "normal", "category": "technical"} | over


def campaign(cid: str, **over) -> dict:
    return {"campaign_id": cid, "partner_id": PARTNER, "campaign_type": "webinar", "is_joint": True,
            "start_on": "2026-03-02", "end_on": "2026-03-20"} | over


def login(user: str, **over) -> dict:
    return {"partner_id": PARTNER, "user_id": user, "login_on": "2026-03-09", "sessions": 2} | over


def link(oid: str, **over) -> dict:
    return {"opportunity_id": oid, "partner_id": PARTNER, "role": "co_sell", "added_on": "2026-03-03"} | over


def certification(cid: str, **over) -> dict:
    return {"certification_id": cid, "partner_id": PARTNER, "person_id": f"{PARTNER}-002",
            "certification_name": "Certified Sales Professional", "earned_on": "2026-03-04",
            "expires_on": "2027-03-04"} | over


@dataclass(frozen=True)
class Bad:
    kind: str
    stream: str
    source_id: str
    payload: dict
    model: str                     # where it is held
    rule: str
    reason: str
    dimensions: tuple[str, ...]    # whose status must show it (degraded, with the stream or table named)
    good: tuple[str, str, dict]    # (source_id, canonical table, payload) of the twin that must flow on
    updated_at: str = WHEN
    key_column: str = ""           # the canonical table's id column, to find the good twin
    good_updated_at: str = WHEN

    @property
    def good_key(self) -> str:
        return self.good[2][self.key_column]

    @property
    def held_as(self) -> str:
        """The held row's `source_id`: the source's record id in staging, the row's first key in a canonical table."""
        return self.source_id if self.model.startswith("stg_") else self.payload[self.key_column]


OPP_DIMS = ("D1", "D3", "D4", "D5", "D6", "D7")
CORPUS = [
    Bad("duplicate ids", "opportunities", "BAD-01", opportunity("OPP-DUP-01"), "opportunities", "duplicate_ids",
        "opportunity_id is shared by more than one source record (a duplicate id)", OPP_DIMS,
        ("GOOD-01", "opportunities", opportunity("OPP-GOOD-01")), key_column="opportunity_id"),
    Bad("missing key", "opportunities", "BAD-02", opportunity(None), "stg_sandbox__opportunities",
        "opportunity_id_not_blank", "opportunity_id is missing or blank", OPP_DIMS,
        ("GOOD-02", "opportunities", opportunity("OPP-GOOD-02")), key_column="opportunity_id"),
    Bad("empty string in a required field", "deal_registrations", "BAD-03", registration("REG-BAD-03", partner_id="  "),
        "stg_sandbox__deal_registrations", "partner_id_not_blank", "partner_id is missing or blank",
        ("D2", "D3", "D4", "D7"), ("GOOD-03", "deal_registrations", registration("REG-GOOD-03")),
        key_column="registration_id"),
    Bad("date in the future", "opportunities", "BAD-04", opportunity("OPP-BAD-04", created_on="2030-01-01",
                                                                     closed_on=None, status="open"),
        "stg_sandbox__opportunities", "created_on_not_in_future",
        "created_on is after the record's last update (a date in the future)", OPP_DIMS,
        ("GOOD-04", "opportunities", opportunity("OPP-GOOD-04")), key_column="opportunity_id"),
    Bad("close before create", "opportunities", "BAD-05", opportunity("OPP-BAD-05", closed_on="2026-02-01"),
        "stg_sandbox__opportunities", "closed_after_created", "closed_on is before created_on", OPP_DIMS,
        ("GOOD-05", "opportunities", opportunity("OPP-GOOD-05")), key_column="opportunity_id"),
    Bad("negative amount", "opportunities", "BAD-06", opportunity("OPP-BAD-06", amount=-4200.0),
        "stg_sandbox__opportunities", "amount_accepted_range", "amount is outside 0 .. 10,000,000,000", OPP_DIMS,
        ("GOOD-06", "opportunities", opportunity("OPP-GOOD-06")), key_column="opportunity_id"),
    Bad("absurd amount", "mdf_claims", "BAD-07", claim("CLM-BAD-07", amount=3.5e13), "stg_sandbox__mdf_claims",
        "amount_accepted_range", "amount is outside 0 .. 10,000,000,000", ("D6", "D7"),
        ("GOOD-07", "mdf_claims", claim("CLM-GOOD-07")), key_column="claim_id"),
    Bad("unknown currency", "opportunities", "BAD-08", opportunity("OPP-BAD-08", currency="XAU"),
        "stg_sandbox__opportunities", "currency_known",
        "currency has no reference rate in ref_fx_rates (an unknown currency)", OPP_DIMS,
        ("GOOD-08", "opportunities", opportunity("OPP-GOOD-08", currency="USD")), key_column="opportunity_id"),
    Bad("orphan reference", "opportunities", "BAD-09", opportunity("OPP-BAD-09", partner_id="PTR-GHOST"),
        "opportunities", "partner_exists", "partner_id refers to a partner that does not exist (or is held back)",
        OPP_DIMS, ("GOOD-09", "opportunities", opportunity("OPP-GOOD-09")), key_column="opportunity_id"),
    Bad("wrong type (text in a number)", "opportunities", "BAD-10", opportunity("OPP-BAD-10", amount="12k"),
        "stg_sandbox__opportunities", "amount_parseable", "amount is not a number such as 1250.5", OPP_DIMS,
        ("GOOD-10", "opportunities", opportunity("OPP-GOOD-10", amount="12000")), key_column="opportunity_id"),
    Bad("date in a local format", "training_enrolments", "BAD-11", enrolment("ENR-BAD-11", enrolled_on="02/03/2026"),
        "stg_sandbox__training_enrolments", "enrolled_on_parseable",
        "enrolled_on is not a calendar date written YYYY-MM-DD", ("D4",),
        ("GOOD-11", "training_enrolments", enrolment("ENR-GOOD-11")), key_column="enrolment_id"),
    Bad("value outside the allowed set", "opportunities", "BAD-12", opportunity("OPP-BAD-12", status="closed_won"),
        "stg_sandbox__opportunities", "status_accepted_values",
        "status is not one of the accepted values (open, won, lost)", OPP_DIMS,
        ("GOOD-12", "opportunities", opportunity("OPP-GOOD-12", status="lost")), key_column="opportunity_id"),
    Bad("version stamped in the future", "support_tickets", "BAD-13", ticket("TKT-BAD-13"),
        "stg_sandbox__support_tickets", "updated_before_fetched",
        "source_updated_at is more than a day after the version was fetched (a time in the future)", ("D4",),
        ("GOOD-13", "support_tickets", ticket("TKT-GOOD-13", opened_at="2026-02-20T09:00:00Z",
                                              resolved_at="2026-02-21T09:00:00Z")),
        updated_at="2027-06-01T00:00:00Z", good_updated_at="2026-02-21T09:00:00Z", key_column="ticket_id"),
    Bad("score out of range", "partner_surveys", "BAD-14", survey("SRV-BAD-14", nps_score=11),
        "stg_sandbox__partner_surveys", "nps_score_accepted_range", "nps_score is outside 0 .. 10", ("D8",),
        ("GOOD-14", "partner_surveys", survey("SRV-GOOD-14")), key_column="response_id"),
    Bad("answer before the question", "partner_surveys", "BAD-15", survey("SRV-BAD-15", responded_on="2026-02-20"),
        "stg_sandbox__partner_surveys", "responded_after_sent", "responded_on is before sent_on", ("D8",),
        ("GOOD-15", "partner_surveys", survey("SRV-GOOD-15")), key_column="response_id"),
    Bad("decided before submitted", "deal_registrations", "BAD-16",
        registration("REG-BAD-16", decided_at="2026-03-01T08:00:00Z"), "stg_sandbox__deal_registrations",
        "decided_after_submitted", "decided_at is before submitted_at", ("D2", "D3", "D4", "D7"),
        ("GOOD-16", "deal_registrations", registration("REG-GOOD-16")), key_column="registration_id"),
    Bad("paid before claimed", "mdf_claims", "BAD-17", claim("CLM-BAD-17", paid_on="2026-02-27"),
        "stg_sandbox__mdf_claims", "paid_after_submitted", "paid_on is before submitted_on", ("D6", "D7"),
        ("GOOD-17", "mdf_claims", claim("CLM-GOOD-17")), key_column="claim_id"),
    Bad("churned before onboarded", "partners", "BAD-18", partner("PTR-BAD-18", churned_on="2026-02-01"),
        "stg_sandbox__partners", "churned_after_onboarding", "churned_on is before onboarded_on",
        ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"), ("GOOD-18", "partners", partner("PTR-GOOD-18")),
        key_column="partner_id"),
    Bad("half-filled partner", "partners", "BAD-19", partner("PTR-BAD-19", onboarded_on=None),
        "stg_sandbox__partners", "onboarded_on_not_null", "onboarded_on is missing",
        ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"), ("GOOD-19", "partners", partner("PTR-GOOD-19")),
        key_column="partner_id"),
    Bad("deal of a held-back partner", "opportunities", "BAD-20", opportunity("OPP-BAD-20", partner_id="PTR-BAD-19"),
        "opportunities", "partner_exists", "partner_id refers to a partner that does not exist (or is held back)",
        OPP_DIMS, ("GOOD-20", "opportunities", opportunity("OPP-GOOD-20", partner_id="PTR-GOOD-19")),
        key_column="opportunity_id"),
    Bad("yes/no field with another answer", "campaigns", "BAD-21", campaign("CMP-BAD-21", is_joint="maybe"),
        "stg_sandbox__campaigns", "is_joint_parseable", "is_joint is not true or false", ("D5",),
        ("GOOD-21", "campaigns", campaign("CMP-GOOD-21", is_joint="no")), key_column="campaign_id"),
    Bad("negative count", "portal_logins", "BAD-22", login(f"{PARTNER}-BAD", sessions=-3),
        "stg_sandbox__portal_logins", "sessions_accepted_range", "sessions is outside 0 .. 10,000", ("D7",),
        ("GOOD-22", "portal_logins", login(f"{PARTNER}-GOOD")), key_column="user_id"),
    Bad("link to a deal that does not exist", "opportunity_partners", "BAD-23", link("OPP-NOWHERE"),
        "opportunity_partners", "opportunity_exists",
        "opportunity_id refers to an opportunity that does not exist (or is held back)", ("D5",),
        ("GOOD-23", "opportunity_partners", link("OPP-GOOD-01")), key_column="opportunity_id"),
    Bad("expiry before the certificate", "certifications", "BAD-24",
        certification("CRT-BAD-24", expires_on="2026-03-01"), "stg_sandbox__certifications", "expires_after_earned",
        "expires_on is not after earned_on", ("D4",),
        ("GOOD-24", "certifications", certification("CRT-GOOD-24")), key_column="certification_id"),
]
# The duplicate id needs its second record: same opportunity_id, another source record.
DUPLICATE_TWIN = ("BAD-01B", "opportunities", opportunity("OPP-DUP-01", amount=999.0))

STOPPED_STREAM = "support_tickets"      # nothing arrives after STOPPED_AFTER
STOPPED_AFTER = pd.Timestamp("2026-02-28")
THINNED_STREAM = "activities"          # from THINNED_FROM on, only one version in twenty arrives
THINNED_FROM = pd.Timestamp("2026-03-18")


def shape_history(stream: str, versions: pd.DataFrame) -> pd.DataFrame:
    """The sandbox versions as the broken source delivers them: one stream stops, another thins out."""
    updated = pd.to_datetime(versions["source_updated_at"], utc=True).dt.tz_convert(None)
    if stream == STOPPED_STREAM:
        return versions[(updated <= STOPPED_AFTER + pd.Timedelta(days=1)).to_numpy()]
    if stream == THINNED_STREAM:
        late = (updated >= THINNED_FROM).to_numpy()
        keep = ~late | (pd.Series(range(len(versions))) % 20 == 0).to_numpy()
        return versions[keep]
    return versions
