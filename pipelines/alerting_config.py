"""The `alerts` section of the deployment file: detector settings, channels, routes and acknowledgements.

Secrets never appear in the file: a channel names the environment variables that hold its webhook URL, signing
secret or SMTP password, and they are read only when a message is sent (`build_channel`). A missing variable is one
clear error naming the channel and the variable, never its value.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from apex_model.alerting import LifecycleSettings
from apex_model.drift import SERIES_IDS, DriftSettings

ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _ChannelBase(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    attempts: int = Field(default=4, ge=1, le=10, description="tries in all, with exponential backoff")
    backoff_seconds: float = Field(default=1.0, ge=0, le=60, description="wait before the second try")


class SlackChannelConfig(_ChannelBase):
    type: Literal["slack"]
    url_env: str = Field(pattern=ENV_NAME, description="variable holding the incoming-webhook URL")


class TeamsChannelConfig(_ChannelBase):
    type: Literal["teams"]
    url_env: str = Field(pattern=ENV_NAME, description="variable holding the Teams webhook URL")


class WebhookChannelConfig(_ChannelBase):
    type: Literal["webhook"]
    url_env: str = Field(pattern=ENV_NAME)
    secret_env: str = Field(pattern=ENV_NAME, description="variable holding the HMAC signing secret")


class EmailChannelConfig(_ChannelBase):
    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=ENV_NAME)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    recipients: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...] = Field(min_length=1)


class FileChannelConfig(_ChannelBase):
    type: Literal["file"]
    path: str = Field(min_length=1, description="JSON-lines file; relative paths from the working directory")


ChannelConfig = Annotated[Union[SlackChannelConfig, TeamsChannelConfig, WebhookChannelConfig, EmailChannelConfig,
                                FileChannelConfig], Field(discriminator="type")]


class Route(_Strict):
    """Who hears what: the organisations ("*" for all), the severities, the channel and the language."""

    channel: str
    organisations: tuple[str, ...] = ("*",)
    severities: tuple[Literal["watch", "alert"], ...] = ("alert",)
    language: Literal["en", "nl"] | None = Field(default=None, description="default: the organisation's language")

    @property
    def name(self) -> str:
        orgs = "all" if self.organisations == ("*",) else "+".join(self.organisations)
        return f"{self.channel}:{orgs}:{'+'.join(self.severities)}"[:64]

    def covers(self, org_id: str) -> bool:
        return "*" in self.organisations or org_id in self.organisations


class Acknowledgement(_Strict):
    """The level of `series` from `on` is the new normal for `organisation` (same as `apex alerts ack`)."""

    organisation: str
    series: Literal["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "overall"]
    on: date
    note: str | None = None


class AlertsConfig(_Strict):
    link: str = Field(default="http://127.0.0.1:3000/assets/drift/apex_drift_events",
                      description="where a message links to; {org} and {date} are filled in")
    notify_max_age_days: int = Field(default=3, ge=0, description="older days (a backfill) are recorded, not sent")
    drift: DriftSettings = DriftSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    overrides: dict[str, DriftSettings] = Field(default_factory=dict,
                                                description="per organisation: detector settings replacing `drift`")
    channels: tuple[ChannelConfig, ...] = ()
    routes: tuple[Route, ...] = ()
    run_failure_channels: tuple[str, ...] | None = Field(
        default=None, description="channels told about a failed run; default: every channel a route uses")
    acknowledgements: tuple[Acknowledgement, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> "AlertsConfig":
        names = [c.name for c in self.channels]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"channels: duplicate channel name {sorted(dup)[0]!r}")
        for i, route in enumerate(self.routes):
            if route.channel not in names:
                raise ValueError(f"routes[{i}].channel: unknown channel {route.channel!r}; channels: "
                                 f"{', '.join(names) or 'none'}")
        for channel in self.run_failure_channels or ():
            if channel not in names:
                raise ValueError(f"run_failure_channels: unknown channel {channel!r}")
        return self

    def check_organisations(self, org_ids: list[str]) -> None:
        known = set(org_ids)
        for i, route in enumerate(self.routes):
            for org in route.organisations:
                if org != "*" and org not in known:
                    raise ValueError(f"alerts.routes[{i}].organisations: unknown organisation {org!r}")
        for org in self.overrides:
            if org not in known:
                raise ValueError(f"alerts.overrides: unknown organisation {org!r}")
        for i, ack in enumerate(self.acknowledgements):
            if ack.organisation not in known:
                raise ValueError(f"alerts.acknowledgements[{i}].organisation: unknown organisation "
                                 f"{ack.organisation!r}")

    def drift_for(self, org_id: str) -> DriftSettings:
        return self.overrides.get(org_id, self.drift)

    def channel(self, name: str) -> ChannelConfig:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)

    def routes_for(self, org_id: str) -> list[Route]:
        return [r for r in self.routes if r.covers(org_id)]

    def failure_channels(self) -> list[str]:
        if self.run_failure_channels is not None:
            return list(self.run_failure_channels)
        seen: list[str] = []
        for route in self.routes:
            if route.channel not in seen:
                seen.append(route.channel)
        return seen


class MissingSecretError(RuntimeError):
    """A channel's environment variable is not set: names the channel and the variable, never a value."""


def _env(channel: str, variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise MissingSecretError(f"channel {channel!r}: environment variable {variable} is not set")
    return value


def build_channel(config: ChannelConfig, sleep=None):
    """The notifier for a channel, with its secrets read from the environment now."""
    import time

    from connectors.notify import (EmailChannel, FileChannel, JsonWebhookChannel, RetryPolicy, SlackChannel,
                                   TeamsChannel)
    from connectors.notify.channels import SmtpSettings

    policy = RetryPolicy(attempts=config.attempts, base_delay=config.backoff_seconds)
    sleep = sleep or time.sleep
    if isinstance(config, SlackChannelConfig):
        return SlackChannel(config.name, _env(config.name, config.url_env), policy, sleep)
    if isinstance(config, TeamsChannelConfig):
        return TeamsChannel(config.name, _env(config.name, config.url_env), policy, sleep)
    if isinstance(config, WebhookChannelConfig):
        return JsonWebhookChannel(config.name, _env(config.name, config.url_env),
                                  _env(config.name, config.secret_env), policy, sleep)
    if isinstance(config, EmailChannelConfig):
        password = _env(config.name, config.password_env) if config.password_env else None
        return EmailChannel(config.name, SmtpSettings(config.host, config.port, config.security, config.username,
                                                      password, config.sender, tuple(config.recipients)),
                            policy, sleep)
    return FileChannel(config.name, config.path, RetryPolicy(attempts=config.attempts,
                                                             base_delay=config.backoff_seconds), sleep)


__all__ = ["SERIES_IDS", "Acknowledgement", "AlertsConfig", "MissingSecretError", "Route", "build_channel"]
