"""What the API connectors share: their configuration base and the client they build from it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SourceSettings(BaseModel):
    """Settings every API source accepts. Credentials are never values here: fields ending in `_env` name the
    environment variables that hold them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = Field(default=None, description="the API's address; the system's public one by default")
    base_url_env: str | None = Field(default=None, description="environment variable holding the API's address "
                                                             "(overrides base_url; the demo points it at the simulator)")
    page_size: int | None = Field(default=None, ge=1, description="records per page (the documented maximum by "
                                                                   "default)")
    requests_per_second: float | None = Field(default=None, gt=0,
                                              description="client-side pacing where the system sends no headers")
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)


def resolved_base_url(settings: SourceSettings, default: str) -> str:
    import os

    if settings.base_url_env and os.environ.get(settings.base_url_env):
        return os.environ[settings.base_url_env].rstrip("/")
    return (settings.base_url or default).rstrip("/")


def pacer_for(settings: SourceSettings, default_rps: float | None):
    from connectors.http.pacing import Pacer

    return pacer_at(settings.requests_per_second or default_rps)


def pacer_at(rps: float | None):
    """A pacer allowing `rps` requests per second on average: n requests per n/rps seconds (n = whole part)."""
    from connectors.http.pacing import Pacer

    if rps is None:
        return Pacer()
    n = max(1, int(rps))
    return Pacer(n, n / rps)
