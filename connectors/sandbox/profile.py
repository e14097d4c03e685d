"""What an organisation looks like to the sandbox: its stage, its maturity, its seed and what happens to it.

A profile is the whole input of the generator: the same profile and end date always give the same ecosystem.
Stage sets the size (partners, deal volume, programme age); maturity sets the behaviour through the latent quality
of each APEX dimension (see `quality.py` and `anchors.py`); events move that quality over time.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Dimension = Literal["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]
Stage = Literal["early_stage", "growth", "mature"]
EventKind = Literal["enablement_collapse", "governance_reorganisation", "quality_shift"]
Quality = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
_RELATIVE = re.compile(r"^\s*today\s*(?:([+-])\s*(\d+)\s*)?$")


def resolve_relative_day(value: object, today: date | None = None) -> object:
    """`today`, `today-85` or `today+3` (days) as a date; anything else unchanged (pydantic then parses it).

    Meant for demo configurations: an event placed relative to the day the demo runs stays inside the demo's
    window (which ends yesterday) on any day. The date is fixed when the configuration is loaded, so the profile
    is an ordinary dated profile from then on.
    """
    if not isinstance(value, str):
        return value
    match = _RELATIVE.match(value)
    if not match:
        return value
    sign, days = match.groups()
    offset = int(days or 0) * (-1 if sign == "-" else 1)
    return (today or date.today()) + timedelta(days=offset)


class SandboxEvent(BaseModel):
    """Something that changes the organisation's latent quality from `start` on.

    - `enablement_collapse`: D4 falls by 0.45 over 7 days and stays down (the enablement team leaves).
    - `governance_reorganisation`: D2 falls by 0.35 over 5 days, then recovers linearly over the next 90 days.
    - `quality_shift`: any dimension moves by `delta` over `ramp_days`; with `duration_days` it holds that long once
      fully ramped, then returns over another `ramp_days`; without it the shift is permanent.

    `dimension`, `delta`, `ramp_days` and `duration_days` belong to `quality_shift` only: the other kinds have a fixed
    shape, so giving them there is an error rather than a silently ignored setting.

    `start` is a date, or `today-N` (N days before the day the configuration is loaded; see
    `resolve_relative_day`), which keeps a demo's event inside a window that ends yesterday.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EventKind
    start: date
    dimension: Dimension | None = None
    delta: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)] | None = None
    ramp_days: Annotated[int, Field(ge=0, strict=True)] | None = None
    duration_days: Annotated[int, Field(ge=0, strict=True)] | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _relative_start(cls, value: object) -> object:
        return resolve_relative_day(value)

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Self:
        shift_only = {
            "dimension": self.dimension,
            "delta": self.delta,
            "ramp_days": self.ramp_days,
            "duration_days": self.duration_days,
        }
        if self.kind == "quality_shift":
            missing = [name for name in ("dimension", "delta") if shift_only[name] is None]
            if missing:
                raise ValueError(f"a quality_shift event needs {' and '.join(missing)}")
        else:
            given = [name for name, value in shift_only.items() if value is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} only apply to quality_shift events; {self.kind} has a fixed shape"
                )
        return self


class SandboxProfile(BaseModel):
    """The organisation the sandbox simulates.

    `history_start` is the first day flow events (deals, registrations, activities ...) are generated; partners,
    agreements, certifications, plans and targets already in force on that day are generated too, with their
    earlier business dates, because a programme is older than its history. `quality_overrides` replaces the
    level's base quality of a dimension exactly (no jitter).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage
    maturity: Annotated[int, Field(ge=1, le=5, strict=True)]
    seed: Annotated[int, Field(ge=0, strict=True)]
    history_start: date
    quality_overrides: dict[Dimension, Quality] | None = None
    events: list[SandboxEvent] = Field(default_factory=list)
