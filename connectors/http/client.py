"""`HttpClient`: one session per client, timeouts, retries with backoff and jitter, throttle signals, pacing.

What is retried: connection errors and resets, read timeouts (a hung server), truncated or invalid JSON, HTTP 408,
429 and 5xx, and each system's own throttle signal (`ThrottleRule`, e.g. Salesforce's 403 `REQUEST_LIMIT_EXCEEDED`,
HubSpot's 429 with a `policyName`). The wait is `Retry-After` when the server sends it, otherwise exponential backoff
with full jitter. A 401 asks the auth object for a fresh token (expired tokens; up to three times per request); a second 401, or a 401 from a
static credential, is an `AuthError` naming the organisation and source. Other 4xx are not retried (`HttpError`).
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from connectors.http.auth import AuthError, scrub
from connectors.http.pacing import Pacer


class HttpError(RuntimeError):
    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


@dataclass(frozen=True)
class ThrottleRule:
    """Recognises a system's throttle answer: (status, response JSON) -> True when it means "slow down".

    `fatal` recognises a throttle that waiting cannot fix within a sync (a daily limit): it fails at once.
    """

    matches: Callable[[int, Any], bool] = lambda status, body: status == 429
    fatal: Callable[[int, Any], bool] = lambda status, body: False
    name: str = "HTTP 429"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8                 # tries per request, the first included
    base_delay: float = 0.2
    max_delay: float = 20.0
    max_retry_after: float = 120.0    # a longer Retry-After fails the request instead of stalling the sync


@dataclass
class Response:
    status: int
    body: Any
    headers: Mapping[str, str]


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def retry(self, reason: str) -> None:
        self.retries += 1
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    def __init__(self, org_id: str, source: str, auth=None, *, base_url: str = "",
                 timeout: tuple[float, float] = (5.0, 30.0), retry: RetryPolicy = RetryPolicy(),
                 throttle: ThrottleRule = ThrottleRule(), pacer: Pacer | None = None,
                 headers: Mapping[str, str] | None = None, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.org_id, self.source = org_id, source
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry_policy = retry
        self.throttle = throttle
        self.pacer = pacer or Pacer()
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "apex-monitor/1"})
        self.session.headers.update(headers or {})
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.stats = ClientStats()

    # -- plumbing ---------------------------------------------------------------------------------------------
    @property
    def _secrets(self) -> tuple[str, ...]:
        creds = getattr(self.auth, "credentials", None)
        return creds.secrets if creds is not None else ()

    def _where(self) -> str:
        return f"organisation {self.org_id!r}, source {self.source!r}"

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        base = (self.auth.base_url if self.auth is not None and self.auth.base_url else None) or self.base_url
        return base + path_or_url

    def raw_request(self, method: str, url: str, *, authenticated: bool = True, **kwargs) -> requests.Response:
        """One HTTP exchange without retries (used for the token endpoint, which `request` wraps).

        Only authenticated (API) requests take a place in the pacing window: a token request goes to the
        authorisation server, whose requests the API's rate limit does not count."""
        headers = dict(kwargs.pop("headers", None) or {})
        if authenticated and self.auth is not None:
            headers.update(self.auth.headers(self))
        if authenticated:
            self.pacer.wait()
        self.stats.requests += 1
        return self.session.request(method, self.url(url), headers=headers, timeout=self.timeout, **kwargs)

    def _backoff(self, attempt: int) -> float:
        p = self.retry_policy
        return self._rng.uniform(0, min(p.max_delay, p.base_delay * (2 ** attempt)))

    # -- the public call ----------------------------------------------------------------------------------------
    def request(self, method: str, path_or_url: str, **kwargs) -> Response:
        """The JSON answer of one logical request, retried through transient failures and throttling."""
        policy = self.retry_policy
        refreshes = 0
        last = "no attempt"
        for attempt in range(policy.attempts):
            try:
                response = self.raw_request(method, path_or_url, **kwargs)
            except AuthError:
                raise
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as err:
                last = f"{type(err).__name__}"
                self.stats.retry("connection" if not isinstance(err, requests.Timeout) else "timeout")
                self._sleep(self._backoff(attempt))
                continue
            status = response.status_code
            try:
                body = response.json() if response.content else None
                parsed = True
            except (ValueError, json.JSONDecodeError):
                body, parsed = None, False
            self.pacer.observe(response.headers, self.source)
            if status == 401:
                # A token can expire more than once in a long retry sequence; a fresh one refused three times is not
                # an expiry but a refusal.
                if refreshes < 3 and self.auth is not None and self.auth.invalidate():
                    refreshes += 1
                    self.stats.retry("token_refresh")
                    continue
                raise AuthError(self.org_id, self.source,
                                f"the API refused the credentials (HTTP 401): {_message(body)}", self._secrets)
            if self.throttle.matches(status, body):
                if self.throttle.fatal(status, body):
                    raise HttpError(f"{self._where()}: {self.throttle.name} limit reached and it does not reset "
                                    f"within a sync: {_message(body)}", status, body)
                self.stats.throttled += 1
                self.stats.retry("throttled")
                self.pacer.throttled()
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > policy.max_retry_after:
                    raise HttpError(f"{self._where()}: throttled with Retry-After {wait:.0f} s", status, body)
                wait = wait if wait is not None else self._backoff(attempt + 1)
                self.pacer.hold(wait)
                last = f"throttled (HTTP {status})"
                continue
            if status in (408, 500, 502, 503, 504) or (status < 400 and not parsed):
                self.stats.retry("truncated" if status < 400 else f"http_{status}")
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                self._sleep(min(wait, policy.max_retry_after) if wait is not None else self._backoff(attempt))
                last = f"HTTP {status}" + ("" if parsed else " with a body that is not valid JSON")
                continue
            if status >= 400:
                raise HttpError(scrub(f"{self._where()}: HTTP {status} from {method} {response.url.split('?')[0]}: "
                                      f"{_message(body)}", self._secrets), status, body)
            return Response(status, body, response.headers)
        raise HttpError(f"{self._where()}: {method} {path_or_url.split('?')[0]} failed {policy.attempts} times "
                        f"(last: {last})")

    def get(self, path_or_url: str, **kwargs) -> Response:
        return self.request("GET", path_or_url, **kwargs)

    def post(self, path_or_url: str, **kwargs) -> Response:
        return self.request("POST", path_or_url, **kwargs)

    def close(self) -> None:
        self.session.close()


def _message(body: Any) -> str:
    """The human part of an error body, whatever the system's shape."""
    if isinstance(body, list) and body and isinstance(body[0], dict):      # Salesforce: [{message, errorCode}]
        return "; ".join(f"{e.get('errorCode', '')}: {e.get('message', '')}" for e in body)
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            if body.get(key):
                return str(body[key])
    return "no error message"
