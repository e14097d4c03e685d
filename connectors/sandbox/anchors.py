"""The behaviour table: what each dimension's quality does to the data, as values at q = 0 and q = 1.

Every generator module reads its behaviour from here, so this table is the one place that states what the sandbox
promises signal authors: a well-defined signal measured over ~90-365 days on sandbox data moves (roughly linearly)
between `at_q0` and `at_q1` as the dimension's quality moves from 0 to 1. `docs/sandbox.md` renders the same table
with the measured values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Anchor:
    dimension: str
    at_q0: float
    at_q1: float
    unit: str
    meaning: str
    # "geometric" interpolates in log space: used where the linear form would contradict a paired anchor.
    scale: str = "linear"
    by_stage: dict[str, float] = field(default_factory=dict)  # at_q1 per stage, when the size of the org decides it

    def at(self, q, stage: str | None = None):
        hi = self.by_stage.get(stage, self.at_q1) if stage else self.at_q1
        q = np.asarray(q, dtype=np.float64)
        if self.scale == "geometric":
            return self.at_q0 * (hi / self.at_q0) ** q
        return self.at_q0 + (hi - self.at_q0) * q


A = Anchor
ANCHORS: dict[str, Anchor] = {
    # D1 Strategy & Vision
    "d1_partner_won_share": A("D1", 0.05, 0.60, "share",
                              "won amount (EUR) that is partner-attributed (sourced or influenced)"),
    "d1_new_logo_partner_sourced_share": A("D1", 0.05, 0.55, "share", "new-logo won deals that are partner-sourced"),
    "d1_gold_plus_plan_coverage": A("D1", 0.0, 0.9, "share",
                                    "gold/platinum partners with an active joint business plan"),
    "d1_plan_attainment": A("D1", 0.2, 1.0, "ratio",
                            "partner-attributed won amount in the plan period / plan target_revenue"),
    "d1_partner_won_growth": A("D1", -0.15, 0.40, "ratio", "year-on-year growth of partner-attributed won amount"),
    # D2 Governance & Steering
    "d2_owner_coverage": A("D2", 0.2, 1.0, "share", "active partners with an owner_id"),
    "d2_partners_per_owner": A("D2", 120.0, 25.0, "partners",
                               "active owned partners per distinct owner (capped by partner count)"),
    "d2_registration_decision_hours": A("D2", 240.0, 12.0, "hours",
                                        "median decided_at - submitted_at", scale="geometric"),
    "d2_registration_decided_48h": A("D2", 0.10, 0.95, "share", "registrations decided within 48 hours"),
    "d2_registration_conflict_share": A("D2", 0.25, 0.03, "share", "registrations with conflict != none"),
    "d2_conflict_resolution_days": A("D2", 45.0, 3.0, "days", "median conflict_resolved_at - submitted_at"),
    "d2_gold_plus_qbr_120d": A("D2", 0.10, 0.95, "share",
                               "gold/platinum partners with a qbr activity in the last 120 days"),
    "d2_agreement_renewed_on_time": A("D2", 0.30, 0.98, "share",
                                      "agreements ending in the window renewed on or before end_on"),
    # D3 Partner Portfolio
    "d3_type_entropy": A("D3", 0.20, 0.85, "0-1", "normalised Shannon entropy of partner_type among active partners"),
    "d3_sourced_revenue_hhi": A("D3", 0.50, 0.05, "0-1", "normalised HHI of partner-sourced won amount over 365 days"),
    "d3_top_partner_share": A("D3", 0.50, 0.05, "share",
                              "top partner's share of partner-sourced won amount over 365 days"),
    "d3_engaged_share_180d": A("D3", 0.15, 0.75, "share",
                               "non-churned partners with a registration or partner opportunity in 180 days"),
    "d3_annual_churn": A("D3", 0.45, 0.05, "share", "partners churned in a year / active partners"),
    "d3_regions_covered": A("D3", 1.0, 4.0, "regions", "regions with active partners (low q: one home region)"),
    # D4 Enablement
    "d4_certified_partner_share": A("D4", 0.05, 0.90, "share", "active partners with a currently valid certification"),
    "d4_training_completed_60d": A("D4", 0.20, 0.90, "share", "enrolments completed within 60 days"),
    "d4_days_to_first_win": A("D4", 365.0, 45.0, "days",
                              "median onboarded_on -> first won deal (many low-q partners never close)"),
    "d4_activated_90d": A("D4", 0.10, 0.80, "share",
                          "new partners with a first registration or opportunity within 90 days"),
    "d4_tickets_per_partner_quarter": A("D4", 3.0, 0.3, "tickets", "support tickets per active partner per quarter"),
    "d4_certification_renewed": A("D4", 0.20, 0.90, "share",
                                  "certifications renewed (same person and name) on or before expiry"),
    # D5 Joint Value Creation
    "d5_co_sell_share": A("D5", 0.02, 0.45, "share", "partner opportunities with a co_sell opportunity_partners row"),
    "d5_win_rate_uplift": A("D5", -0.02, 0.20, "points", "partner win rate - direct win rate (direct is 0.22)"),
    "d5_deal_size_uplift": A("D5", -0.10, 0.50, "ratio", "partner average won amount / direct average won amount - 1"),
    "d5_cycle_reduction": A("D5", -0.10, 0.35, "ratio", "1 - median partner cycle / median direct cycle (won deals)"),
    "d5_joint_campaigns_per_10": A("D5", 0.1, 3.0, "campaigns", "is_joint campaigns running per 10 active partners"),
    "d5_joint_campaign_pipeline_share": A("D5", 0.0, 0.35, "share",
                                          "partner pipeline amount created with a joint campaign_id"),
    "d5_multi_partner_share": A("D5", 0.0, 0.20, "share", "partner opportunities with 2+ opportunity_partners rows"),
    "d5_live_joint_propositions": A("D5", 0.0, 12.0, "campaigns", "live joint_proposition campaigns",
                                    by_stage={"early_stage": 2.0, "growth": 5.0, "mature": 12.0}),
    # D6 Performance Management
    "d6_target_coverage": A("D6", 0.05, 0.95, "share", "active partners with a target covering today"),
    "d6_target_attainment": A("D6", 0.30, 1.0, "ratio",
                              "median partner-attributed won amount / target_amount per ended period"),
    "d6_forecast_within_15d": A("D6", 0.15, 0.80, "share", "won deals closed within +-15 days of expected_close_on"),
    "d6_mdf_roi": A("D6", 1.0, 12.0, "ratio", "won amount of opportunities from MDF-funded campaigns / MDF paid"),
    "d6_mdf_utilisation": A("D6", 0.25, 0.90, "share", "claimed amount / allocated amount"),
    "d6_scorecard_review_share": A("D6", 0.0, 0.90, "share",
                                   "active partners with a scorecard_review in the last quarter"),
    "d6_scorecard_review_delay": A("D6", 60.0, 7.0, "days", "median days from quarter end to the scorecard_review"),
    # D7 Operations & Tooling
    "d7_registration_to_opportunity_days": A("D7", 30.0, 2.0, "days",
                                             "median approved registration decided_at -> opportunity created_on"),
    "d7_claim_payout_days": A("D7", 90.0, 10.0, "days", "median MDF claim submitted_on -> paid_on"),
    "d7_mdf_decision_days": A("D7", 30.0, 2.0, "days", "median MDF request submitted_on -> decided_on"),
    "d7_portal_active_30d": A("D7", 0.10, 0.85, "share", "active partners with a portal login in the last 30 days"),
    "d7_record_completeness": A("D7", 0.55, 0.99, "share",
                                "non-null share of partner domain, region, country, tier, owner_id"),
    "d7_registered_opportunity_share": A("D7", 0.20, 0.95, "share",
                                         "partner-attributed opportunities with a registration_id"),
    "d7_ticket_resolution_hours": A("D7", 120.0, 8.0, "hours", "median support ticket resolved_at - opened_at"),
    # D8 Culture & Relationships
    "d8_nps": A("D8", -40.0, 60.0, "NPS", "partner NPS (-100..100) from partner_surveys"),
    "d8_survey_response_rate": A("D8", 0.10, 0.70, "share", "survey invitations answered"),
    "d8_activities_per_partner_90d": A("D8", 1.0, 12.0, "activities", "activities per active partner per 90 days"),
    "d8_partner_initiated_share": A("D8", 0.10, 0.50, "share", "activities initiated by the partner"),
    "d8_gold_plus_sponsor_share": A("D8", 0.0, 0.90, "share", "gold/platinum partners with an exec_sponsor_id"),
    "d8_exec_meetings_per_gold_plus_half_year": A("D8", 0.0, 2.0, "meetings",
                                                  "exec_meeting activities per gold/platinum partner per half-year"),
}
del A


def anchor(name: str, q, stage: str | None = None):
    """The behaviour `name` at quality `q` (scalar or array)."""
    return ANCHORS[name].at(q, stage)
