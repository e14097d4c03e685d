"""Stage sets the size of the organisation: partners, deal volume, programme age, campaign counts.

Maturity never changes these; it changes behaviour (anchors.py). Volumes here are the direct channel and the
partner count trajectory; the partner channel's volume follows from D1 and D5 (deals.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageParams:
    name: str
    partner_range: tuple[int, int]          # active partners stay inside this range
    initial_partners: tuple[int, int]       # active partners on history_start (drawn uniformly)
    programme_age_months: tuple[int, int]   # programme age on history_start (drawn uniformly)
    partner_growth_per_year: float          # net growth of the active partner count
    direct_opportunities_per_year: float    # direct deals before the D1 growth index
    vendor_campaigns_live: float            # vendor-only campaigns running at any time
    executives: int                         # pool of vendor executives who can sponsor partners
    people_per_partner: tuple[int, int]     # partner staff who can train, certify and log in (by tier low..high)


STAGES: dict[str, StageParams] = {
    "early_stage": StageParams("early_stage", (8, 25), (9, 13), (6, 15), 0.30, 220.0, 2.0, 3, (2, 6)),
    "growth": StageParams("growth", (60, 150), (70, 95), (24, 36), 0.18, 4_000.0, 6.0, 8, (2, 10)),
    "mature": StageParams("mature", (420, 620), (480, 520), (60, 96), 0.02, 32_000.0, 15.0, 14, (3, 14)),
}
