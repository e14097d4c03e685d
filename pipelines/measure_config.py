"""The Measure parts of the deployment file: each organisation's cycles and survey files, and the `measure` section.

```yaml
organisations:
  - id: northwind
    cycles:                           # history kept: closed cycles stay listed, the next starts where one ended
      - id: 2026-h2
        phase: measure                # assess | design | build | measure | optimize
        start: 2026-07-01            # a date, or relative to the day the file is loaded: today-150, today+30
        end: 2026-12-31
        focus:                        # two or three focus dimensions, each with a target score (1..100)
          - {dimension: D4, target: 65}
          - {dimension: D7, target: 60}
    surveys: [surveys/northwind-2026-10.csv]   # quick-scan files (CSV or form JSON), relative to this file
measure:
  surprise_points: 8                  # a non-focus dimension moving this much since the baseline is a surprise
  surveys: {validity_days: 90, half_life_days: 45, max_age_days: 270, notable_gap_points: 15}
  benchmark: {min_organisations: 5, min_cohort: 5}
  reports: {dir: .state/reports, languages: [nl, en], pdf: false}
```
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from apex_model.measure import CycleSpec, FocusTarget
from apex_model.surveys import SurveyAgeing
from connectors.sandbox.profile import resolve_relative_day

DimensionId = Literal["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FocusConfig(_Strict):
    dimension: DimensionId
    target: float = Field(ge=1, le=100, description="the score the cycle aims for (1..100)")


class CycleConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    phase: Literal["assess", "design", "build", "measure", "optimize"] = "measure"
    start: date
    end: date
    focus: tuple[FocusConfig, ...] = Field(min_length=2, max_length=3,
                                           description="two or three focus dimensions (APEX: not everything at once)")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _relative(cls, value: object) -> object:
        # `today-150` as in the sandbox events: a demo's cycles stay around the days the demo scores on any day.
        return resolve_relative_day(value)

    @model_validator(mode="after")
    def _consistent(self) -> "CycleConfig":
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        dims = [f.dimension for f in self.focus]
        if len(set(dims)) != len(dims):
            raise ValueError(f"focus names a dimension twice ({', '.join(dims)})")
        return self

    def spec(self) -> CycleSpec:
        return CycleSpec(self.id, self.phase, self.start, self.end,
                         tuple(FocusTarget(f.dimension, f.target) for f in self.focus))


def check_cycles(cycles: tuple[CycleConfig, ...]) -> None:
    """Cycle ids are unique and cycles follow each other without overlapping (raises ValueError)."""
    seen: set[str] = set()
    for i, cycle in enumerate(cycles):
        if cycle.id in seen:
            raise ValueError(f"cycles[{i}]: duplicate cycle id {cycle.id!r}")
        seen.add(cycle.id)
        if i and cycle.start <= cycles[i - 1].end:
            raise ValueError(f"cycles[{i}] ({cycle.id}): starts {cycle.start}, before the previous cycle "
                             f"({cycles[i - 1].id}) ends on {cycles[i - 1].end}; list cycles in order, not overlapping")


class SurveyAgeingConfig(_Strict):
    validity_days: int = Field(default=90, ge=1, le=730)
    half_life_days: int = Field(default=45, ge=1, le=730)
    max_age_days: int = Field(default=270, ge=1, le=1460)
    notable_gap_points: float = Field(default=15.0, gt=0, le=100)

    @model_validator(mode="after")
    def _order(self) -> "SurveyAgeingConfig":
        if self.max_age_days < self.validity_days:
            raise ValueError("max_age_days must be at least validity_days")
        return self

    def ageing(self) -> SurveyAgeing:
        return SurveyAgeing(self.validity_days, self.half_life_days, self.max_age_days, self.notable_gap_points)


class BenchmarkConfig(_Strict):
    min_organisations: int = Field(default=5, ge=2)
    min_cohort: int = Field(default=5, ge=2)


class ReportsConfig(_Strict):
    dir: str = ".state/reports"
    languages: tuple[Literal["nl", "en"], ...] = Field(default=("nl", "en"), min_length=1)
    pdf: bool = False
    history_days: int = Field(default=180, ge=14, le=1100)


class MeasureConfig(_Strict):
    surprise_points: float = Field(default=8.0, gt=0, le=100)
    surveys: SurveyAgeingConfig = SurveyAgeingConfig()
    benchmark: BenchmarkConfig = BenchmarkConfig()
    reports: ReportsConfig = ReportsConfig()
