"""The deployment configuration: which organisations this installation monitors, and where their data comes from.

One YAML file (path in `APEX_CONFIG`), validated on load into frozen models; any problem is one `ApexConfigError`
naming the file, the field and the reason. Credentials never appear in it: a source names the environment variables
that hold them. Plain Python, no Dagster: the CLI, the benchmarks and the assets all load it the same way.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from apex_model.errors import ApexConfigError, from_validation_error
from apex_model.model import ApexModel, load_model, read_yaml
from connectors.registry import API_SOURCES
from connectors.sandbox import SandboxProfile
from pipelines.alerting_config import AlertsConfig
from pipelines.measure_config import CycleConfig, MeasureConfig, check_cycles


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SandboxSource(_Strict):
    """Seeded, generated PRM and CRM history (connectors/sandbox): the demo's source and the tests' data."""

    type: Literal["sandbox"]
    profile: SandboxProfile
    streams: tuple[str, ...] | None = Field(
        default=None, description="only these sandbox streams (the rest come from the organisation's other sources)")


SourceConfig = Annotated[Union[(SandboxSource, *API_SOURCES)], Field(discriminator="type")]


class Organisation(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$",
                    description="stable identifier; lower-case letters, digits, '-' and '_'")
    name: str = Field(min_length=1)
    timezone: str = "UTC"
    stage: str = Field(default="auto", description="'auto' (from the data) or a stage id of the model")
    language: Literal["en", "nl"] = "en"
    programme_start: date | None = None
    sources: tuple[SourceConfig, ...] = Field(min_length=1)
    cycles: tuple[CycleConfig, ...] = Field(default=(), description="APEX cycles, oldest first (pipelines/measure_config.py)")
    surveys: tuple[str, ...] = Field(default=(), description="quick-scan survey files, relative to the configuration file")

    @model_validator(mode="after")
    def _cycles_in_order(self) -> "Organisation":
        check_cycles(self.cycles)
        return self

    def cycle_on(self, day: date):
        """The configured cycle that contains `day`, or None."""
        for cycle in self.cycles:
            if cycle.start <= day <= cycle.end:
                return cycle
        return None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Amsterdam)") from None
        return value

    @property
    def stage_override(self) -> str | None:
        return None if self.stage == "auto" else self.stage

    @property
    def data_start(self) -> date | None:
        """The first day this organisation's data can answer for, when the configuration knows it: the programme
        start, or where a sandbox history begins. None means: from the first record found."""
        starts = [s.profile.history_start for s in self.sources if isinstance(s, SandboxSource)]
        if self.programme_start is not None:
            starts.append(self.programme_start)
        return max(starts) if starts else None


class Deployment(_Strict):
    organisations: tuple[Organisation, ...] = Field(min_length=1)
    alerts: AlertsConfig = AlertsConfig()
    measure: MeasureConfig = MeasureConfig()

    @model_validator(mode="after")
    def _unique_ids(self) -> "Deployment":
        seen: set[str] = set()
        for i, org in enumerate(self.organisations):
            if org.id in seen:
                raise ValueError(f"organisations[{i}]: duplicate organisation id {org.id!r}")
            seen.add(org.id)
        self.alerts.check_organisations(list(seen))
        return self

    def organisation(self, org_id: str) -> Organisation:
        for org in self.organisations:
            if org.id == org_id:
                return org
        known = ", ".join(o.id for o in self.organisations)
        raise UnknownOrganisationError(f"unknown organisation {org_id!r}; the configuration lists: {known}")

    @property
    def org_ids(self) -> list[str]:
        return [o.id for o in self.organisations]


class UnknownOrganisationError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def parse_deployment(data: object, path: str | Path, model: ApexModel | None = None) -> Deployment:
    if not isinstance(data, dict):
        raise ApexConfigError(path, "", "expected a mapping with an 'organisations' list")
    try:
        deployment = Deployment.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err, data) from None
    model = model or load_model()
    for i, org in enumerate(deployment.organisations):
        if org.stage != "auto" and org.stage not in model.stage_ids:
            raise ApexConfigError(path, f"organisations[{i}] ({org.id}).stage",
                                  f"unknown stage {org.stage!r}; use 'auto' or one of {', '.join(model.stage_ids)}")
    return deployment


def load_deployment(path: str | Path, model: ApexModel | None = None) -> Deployment:
    """Load and validate the deployment file."""
    return parse_deployment(read_yaml(path), path, model)
