"""The APEX frame as validated, immutable data, loaded from `model.yaml`.

Every model object is a frozen pydantic model with `extra="forbid"`: a typo in a field name is an error, not a silently
ignored key. `load_model` turns any problem into one `ApexConfigError` naming the file, the field and the reason.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from apex_model.errors import ApexConfigError, from_validation_error

DEFAULT_MODEL_PATH = Path(__file__).with_name("model.yaml")
DIMENSION_IDS = tuple(f"D{i}" for i in range(1, 9))
LANGUAGES = ("en", "nl")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Localised(_Frozen):
    """A text a person reads, in both report languages."""

    en: str = Field(min_length=1)
    nl: str = Field(min_length=1)

    def get(self, language: str) -> str:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
        return getattr(self, language)


class Dimension(_Frozen):
    id: Literal["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]
    name: Localised
    question: Localised


class Phase(_Frozen):
    id: Literal["assess", "design", "build", "measure", "optimize"]
    name: Localised
    question: Localised


class Gate(_Frozen):
    """One condition of a maturity level over per-dimension capability levels (0..4)."""

    kind: Literal["all_dimensions", "dimensions", "at_least"]
    min_capability: int = Field(ge=0, le=4)
    dimensions: tuple[str, ...] = ()
    count: int | None = Field(default=None, ge=1, le=8)

    @model_validator(mode="after")
    def _fields_match_kind(self) -> "Gate":
        if self.kind == "dimensions" and not self.dimensions:
            raise ValueError("a 'dimensions' gate needs a non-empty 'dimensions' list")
        if self.kind != "dimensions" and self.dimensions:
            raise ValueError(f"'dimensions' is only allowed on a 'dimensions' gate, not on '{self.kind}'")
        if self.kind == "at_least" and self.count is None:
            raise ValueError("an 'at_least' gate needs 'count'")
        if self.kind != "at_least" and self.count is not None:
            raise ValueError(f"'count' is only allowed on an 'at_least' gate, not on '{self.kind}'")
        for dim in self.dimensions:
            if dim not in DIMENSION_IDS:
                raise ValueError(f"unknown dimension {dim!r} in gate; expected one of {', '.join(DIMENSION_IDS)}")
        return self


class Level(_Frozen):
    level: int = Field(ge=1, le=5)
    name: Localised
    pattern: Localised
    gates: tuple[Gate, ...]


class Hysteresis(_Frozen):
    promote_after_days: int = Field(ge=1, le=90)
    demote_after_days: int = Field(ge=1, le=90)
    immediate_drop_points: float = Field(gt=0, le=100)


class Stage(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: Localised
    anchor_active_partners: float = Field(gt=0)
    min_programme_age_days: int = Field(ge=0)
    weights: dict[str, float]

    @field_validator("weights")
    @classmethod
    def _weights_cover_every_dimension(cls, weights: dict[str, float]) -> dict[str, float]:
        missing = [d for d in DIMENSION_IDS if d not in weights]
        unknown = [d for d in weights if d not in DIMENSION_IDS]
        if unknown:
            raise ValueError(f"unknown dimension {unknown[0]!r}; expected {', '.join(DIMENSION_IDS)}")
        if missing:
            raise ValueError(f"no weight for {', '.join(missing)}: every stage weighs all eight dimensions")
        negative = [d for d, w in weights.items() if not (w > 0 and math.isfinite(w))]
        if negative:
            raise ValueError(f"weight of {negative[0]} must be a positive number, got {weights[negative[0]]!r}")
        return weights


class Goalposts(_Frozen):
    """`floor` scores the scale minimum, `target` the maximum; target < floor means lower is better."""

    floor: float
    target: float

    @model_validator(mode="after")
    def _distinct(self) -> "Goalposts":
        if not (math.isfinite(self.floor) and math.isfinite(self.target)):
            raise ValueError("goalposts must be finite numbers")
        if self.floor == self.target:
            raise ValueError(f"floor and target are both {self.floor}: goalposts must differ")
        return self

    @property
    def higher_is_better(self) -> bool:
        return self.target > self.floor


class SignalSpec(_Frozen):
    id: str = Field(pattern=r"^d[1-8]_[a-z0-9_]+$")
    dimension: str
    weight: float = Field(default=1.0, gt=0)
    goalposts: dict[str, Goalposts]

    @model_validator(mode="after")
    def _prefix_matches_dimension(self) -> "SignalSpec":
        if self.dimension not in DIMENSION_IDS:
            raise ValueError(f"unknown dimension {self.dimension!r}; expected one of {', '.join(DIMENSION_IDS)}")
        if self.id[1] != self.dimension[1]:
            raise ValueError(f"signal id {self.id!r} starts with d{self.id[1]} but its dimension is {self.dimension}")
        return self


class Scale(_Frozen):
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> "Scale":
        if not (0 < self.min < self.max):
            raise ValueError("scale needs 0 < min < max (the geometric mean needs positive scores)")
        return self


def _fraction(value: object) -> object:
    """Accept "2/3" as well as 0.5, so a threshold like two thirds is exact, not 0.6667."""
    if isinstance(value, str) and "/" in value:
        numerator, denominator = value.split("/", 1)
        try:
            return float(numerator) / float(denominator)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"expected a number or a fraction such as 2/3, got {value!r}") from None
    return value


class Coverage(_Frozen):
    min_dimension: float = Field(gt=0, le=1)
    min_overall: float = Field(gt=0, le=1)

    @field_validator("min_dimension", "min_overall", mode="before")
    @classmethod
    def _parse_fraction(cls, value: object) -> object:
        return _fraction(value)


class ApexModel(_Frozen):
    version: str = Field(min_length=1)
    scale: Scale
    coverage: Coverage
    dimensions: tuple[Dimension, ...]
    phases: tuple[Phase, ...]
    capability_thresholds: tuple[float, float, float, float]
    levels: tuple[Level, ...]
    hysteresis: Hysteresis
    stages: tuple[Stage, ...]
    stage_age_ramp_days: int = Field(ge=1)
    signals: tuple[SignalSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> "ApexModel":
        dims = [d.id for d in self.dimensions]
        if sorted(dims) != list(DIMENSION_IDS):
            raise ValueError(f"dimensions must be exactly {', '.join(DIMENSION_IDS)} once each, got {', '.join(dims)}")
        phases = [p.id for p in self.phases]
        if len(set(phases)) != 5:
            raise ValueError("phases must list assess, design, build, measure and optimize once each")
        thresholds = self.capability_thresholds
        if any(b <= a for a, b in zip(thresholds, thresholds[1:])) or not (
            self.scale.min < thresholds[0] and thresholds[-1] < self.scale.max
        ):
            raise ValueError("capability_thresholds must increase strictly and lie inside the scale")
        if [lv.level for lv in self.levels] != [1, 2, 3, 4, 5]:
            raise ValueError("levels must be 1, 2, 3, 4, 5 in that order")
        if self.levels[0].gates:
            raise ValueError("level 1 is the floor every organisation is at; it takes no gates")
        if len(self.stages) < 3:
            raise ValueError("at least three stages are needed (early stage, growth, mature)")
        stage_ids = [s.id for s in self.stages]
        if len(set(stage_ids)) != len(stage_ids):
            raise ValueError("stage ids must be unique")
        anchors = [s.anchor_active_partners for s in self.stages]
        if any(b <= a for a, b in zip(anchors, anchors[1:])):
            raise ValueError("stages must be ordered by strictly increasing anchor_active_partners")
        ages = [s.min_programme_age_days for s in self.stages]
        if any(b < a for a, b in zip(ages, ages[1:])):
            raise ValueError("min_programme_age_days must not decrease from one stage to the next")
        seen: set[str] = set()
        for i, sig in enumerate(self.signals):
            if sig.id in seen:
                raise ValueError(f"signals[{i}]: duplicate signal id {sig.id!r}")
            seen.add(sig.id)
            missing = [s for s in stage_ids if s not in sig.goalposts]
            unknown = [s for s in sig.goalposts if s not in stage_ids]
            if unknown:
                raise ValueError(f"signals[{i}] ({sig.id}): goalposts for unknown stage {unknown[0]!r}")
            if missing:
                raise ValueError(f"signals[{i}] ({sig.id}): no goalposts for stage {missing[0]!r}")
            directions = {g.higher_is_better for g in sig.goalposts.values()}
            if len(directions) > 1:
                raise ValueError(f"signals[{i}] ({sig.id}): goalposts point in different directions across stages")
        empty = [d for d in DIMENSION_IDS if not any(s.dimension == d for s in self.signals)]
        if empty:
            raise ValueError(f"dimension {empty[0]} has no signals")
        return self

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def level(self, number: int) -> Level:
        return self.levels[number - 1]

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(f"unknown stage {stage_id!r}; the model has {', '.join(self.stage_ids)}")

    def signals_of(self, dimension_id: str) -> tuple[SignalSpec, ...]:
        return tuple(s for s in self.signals if s.dimension == dimension_id)

    def signal(self, signal_id: str) -> SignalSpec:
        for sig in self.signals:
            if sig.id == signal_id:
                return sig
        raise KeyError(signal_id)


def parse_model(data: object, path: str | Path = "<model>") -> ApexModel:
    """Validate already-parsed YAML data; raises ApexConfigError naming the file, field and reason."""
    if not isinstance(data, dict):
        raise ApexConfigError(path, "", "expected a mapping at the top level")
    try:
        return ApexModel.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err, data) from None


def read_yaml(path: str | Path) -> object:
    """Read a YAML file; syntax errors become one ApexConfigError with the line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ApexConfigError(path, "", "file not found") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ApexConfigError(path, where, f"invalid YAML: {problem}") from None


def load_model(path: str | Path | None = None) -> ApexModel:
    """Load and validate a model file (the packaged `model.yaml` by default)."""
    if path is None:
        return _default_model()
    return parse_model(read_yaml(path), path)


@functools.cache
def _default_model() -> ApexModel:
    return parse_model(read_yaml(DEFAULT_MODEL_PATH), DEFAULT_MODEL_PATH)
