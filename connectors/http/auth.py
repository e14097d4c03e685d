"""Credentials from environment variables only, OAuth2 token fetch and refresh, and secret-free auth errors.

A source's configuration names environment variables (`client_secret_env: SF_CLIENT_SECRET`), never values. Every
error raised here names the organisation and the source and is scrubbed of every secret value it knows.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field


class AuthError(RuntimeError):
    """Authentication failed or credentials are missing; the message never contains a secret."""

    def __init__(self, org_id: str, source: str, detail: str, secrets: tuple[str, ...] = ()) -> None:
        self.org_id, self.source = org_id, source
        super().__init__(scrub(f"organisation {org_id!r}, source {source!r}: {detail}", secrets))


def scrub(text: str, secrets) -> str:
    """`text` with every known secret value (and its Basic-auth encoding) replaced by `***`."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Credentials:
    """Named credential values read from the environment (name -> value); `secrets` lists what to scrub."""

    org_id: str
    source: str
    values: Mapping[str, str]

    @classmethod
    def from_env(cls, org_id: str, source: str, env_names: Mapping[str, str | None],
                 optional: tuple[str, ...] = ()) -> "Credentials":
        values, missing = {}, []
        for name, env in env_names.items():
            if not env:
                if name not in optional:
                    missing.append(f"{name} (no environment variable configured)")
                continue
            value = os.environ.get(env)
            if value:
                values[name] = value
            elif name not in optional:
                missing.append(f"{name} (environment variable {env} is not set)")
        if missing:
            raise AuthError(org_id, source, "missing credentials: " + "; ".join(missing))
        return cls(org_id, source, values)

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    @property
    def secrets(self) -> tuple[str, ...]:
        out = list(self.values.values())
        # Also scrub the Basic-auth encodings a client may have built from these values.
        vals = list(self.values.values())
        for a in vals:
            for b in vals:
                out.append(base64.b64encode(f"{a}:{b}".encode()).decode())
        return tuple(out)

    def __repr__(self) -> str:  # never print the values
        return f"Credentials({self.org_id!r}, {self.source!r}, names={sorted(self.values)})"


class StaticHeaderAuth:
    """A fixed Authorization-style header (Bearer token, `prm-key <key>`, Basic public:secret)."""

    def __init__(self, credentials: Credentials, headers: Mapping[str, str]) -> None:
        self.credentials = credentials
        self._headers = dict(headers)

    @classmethod
    def bearer(cls, credentials: Credentials, token_name: str = "token") -> "StaticHeaderAuth":
        return cls(credentials, {"Authorization": f"Bearer {credentials[token_name]}"})

    @classmethod
    def basic(cls, credentials: Credentials, user: str, password: str) -> "StaticHeaderAuth":
        raw = f"{credentials[user]}:{credentials[password]}".encode()
        return cls(credentials, {"Authorization": "Basic " + base64.b64encode(raw).decode()})

    def headers(self, client) -> dict[str, str]:
        return dict(self._headers)

    def invalidate(self) -> bool:
        """A static credential cannot be refreshed: a 401 is final."""
        return False

    @property
    def base_url(self) -> str | None:
        return None


@dataclass
class _Token:
    access_token: str
    obtained: float
    expires_in: float | None
    extra: dict = field(default_factory=dict)


class OAuth2ClientCredentials:
    """OAuth2 token from a token endpoint (client credentials, or a refresh token when one is configured).

    The token is fetched on first use and again when the API answers 401 (expired or revoked) or when it is older than
    `max_age` seconds (Salesforce tokens carry no expiry; tap-salesforce logs in again every 900 s).
    """

    def __init__(self, credentials: Credentials, token_url: str, *, scope: str | None = None,
                 extra_form: Mapping[str, str] | None = None, max_age: float = 900.0) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.scope = scope
        self.extra_form = dict(extra_form or {})
        self.max_age = max_age
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def _form(self) -> dict[str, str]:
        c = self.credentials
        form = {"client_id": c["client_id"], "client_secret": c["client_secret"], **self.extra_form}
        if c.get("refresh_token"):
            form.update(grant_type="refresh_token", refresh_token=c["refresh_token"])
        else:
            form["grant_type"] = "client_credentials"
        if self.scope:
            form["scope"] = self.scope
        return form

    def _fetch(self, client) -> _Token:
        c = self.credentials
        response = client.raw_request("POST", self.token_url, data=self._form(), authenticated=False)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise AuthError(c.org_id, c.source, f"the token endpoint refused the credentials: {reason}",
                            c.secrets)
        self.fetches += 1
        expires = body.get("expires_in")
        return _Token(body["access_token"], time.monotonic(), float(expires) if expires else None,
                      {k: v for k, v in body.items() if k != "access_token"})

    def _valid(self) -> bool:
        t = self._token
        if t is None:
            return False
        age = time.monotonic() - t.obtained
        limit = min(self.max_age, (t.expires_in - 30) if t.expires_in else self.max_age)
        return age < limit

    def headers(self, client) -> dict[str, str]:
        with self._lock:
            if not self._valid():
                self._token = self._fetch(client)
            return {"Authorization": f"Bearer {self._token.access_token}"}

    def invalidate(self) -> bool:
        with self._lock:
            self._token = None
        return True

    @property
    def base_url(self) -> str | None:
        """Salesforce's `instance_url` from the token response (None before the first fetch)."""
        return self._token.extra.get("instance_url") if self._token else None
