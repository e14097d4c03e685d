"""The simulator's HTTP server: tenants, clock, rate limits, faults, and the per-system routes.

One `ThreadingHTTPServer` on 127.0.0.1 (port chosen by the OS unless given). Paths start with the system's name:
`/salesforce/...`, `/hubspot/...`, `/partnerstack/...`, `/impartner/...`, `/crossbeam/...`. Each system's module
(`salesforce.py`, ...) answers its requests in that system's wire format; this module does what they share.
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from connectors.sandbox import SandboxProfile, generate_ecosystem
from connectors.simulator import render
from connectors.simulator.faults import FaultPlan

SYSTEMS = ("salesforce", "hubspot", "partnerstack", "impartner", "crossbeam")


@dataclass
class Tenant:
    """A sandbox organisation as one customer of the simulated systems.

    `credentials[system]` holds what that system authenticates with (e.g. salesforce: client_id, client_secret;
    hubspot: token; partnerstack: public_key, secret_key; impartner: api_key, tenant_id; crossbeam: client_id,
    client_secret, organization). `clock` is the simulator's "now" for this tenant (UTC): records are served as they
    stood just before it.
    """

    name: str
    profile: SandboxProfile
    clock: pd.Timestamp
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    hubspot_partner_property: str = "is_partner"
    hubspot_partner_key_property: str = "partner_key"

    def __post_init__(self) -> None:
        self.clock = _utc(self.clock)
        self._native: dict[str, dict[str, list[dict]]] = {}
        self._streams_until: date | None = None
        self._streams: dict[str, pd.DataFrame] | None = None
        self.lock = threading.RLock()

    def set_clock(self, clock) -> None:
        with self.lock:
            self.clock = _utc(clock)
            self._native = {}

    def streams(self) -> dict[str, pd.DataFrame]:
        until = (self.clock - pd.Timedelta(microseconds=1)).date()
        if self._streams is None or self._streams_until != until:
            self._streams = generate_ecosystem(self.profile, until).streams if until >= self.profile.history_start \
                else {}
            self._streams_until = until
        return self._streams

    def native(self, system: str) -> dict[str, list[dict]]:
        """The system's objects as they stand at the clock (built once per clock, then mutated in place)."""
        with self.lock:
            if system not in self._native:
                state = render.current_state(self.streams(), self.clock)
                build = getattr(render, system)
                objects = (build(state, self.hubspot_partner_property, self.hubspot_partner_key_property)
                           if system == "hubspot" else build(state))
                self._native[system] = {obj: render.ordered(rows) for obj, rows in objects.items()}
            return self._native[system]

    def edited(self, system: str, obj: str) -> None:
        """Records of `obj` were edited in place (a test's hand edit): re-order them and replace the object's list, as
        every change does, so answers cached for the old list (HubSpot's search order) are not served again."""
        with self.lock:
            self._native[system][obj] = render.ordered(self._native[system][obj])

    def mutate(self, system: str, obj: str, count: int, field_name: str, value) -> list[str]:
        """Change `count` records of `obj` now (a user editing while a sync pages): new value, new last-modified."""
        with self.lock:
            rows = self.native(system)[obj]
            changed = [r for r in rows if not r["_deleted"]][:count]
            now = self.clock                      # the edit happens now; the clock ticks on
            self.clock = self.clock + pd.Timedelta(seconds=1)
            for r in changed:
                r[field_name] = value
                r["_updated"] = now
            self._native[system][obj] = render.ordered(rows)
            return [r["_id"] for r in changed]


def _utc(ts) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float


@dataclass
class Request:
    method: str
    path: str                   # after the system prefix, without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]     # lower-case names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, values in self.query.items():
            if key.lower() == name.lower():
                return values[-1]
        return default

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Answer:
    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)


class Simulator:
    """Start with `start()` (returns the base URL), stop with `stop()`; also a context manager."""

    def __init__(self, tenants: list[Tenant], *, faults: FaultPlan | None = None,
                 rate_limits: dict[str, RateLimit] | None = None, page_limits: dict[str, int] | None = None,
                 port: int = 0, sf_limit_info_bursts: bool = False, sf_daily_allocation: int = 1_000_000,
                 hubspot_search_cap: int = 10_000) -> None:
        self.tenants = {t.name: t for t in tenants}
        self.faults = faults or FaultPlan()
        self.rate_limits = dict(rate_limits or {})
        self.page_limits = dict(page_limits or {})   # overrides of the documented maxima (small pages in tests)
        self.port = port
        self.sf_limit_info_bursts = sf_limit_info_bursts
        self.sf_daily_allocation = sf_daily_allocation
        self.hubspot_search_cap = hubspot_search_cap
        self.tokens: dict[str, tuple[str, str]] = {}        # token -> (tenant, system)
        self.expired: set[str] = set()
        self.snapshots: dict[str, list[dict]] = {}
        self.usage: dict[tuple[str, str], int] = {}
        self.log: list[tuple[str, str, str, int]] = []        # (system, method, path, status)
        self._windows: dict[tuple[str, str], deque] = {}
        # Called with (system, request) before a data request is answered: tests use it to change records while a
        # sync pages through them.
        self.hooks: list[Callable[[str, Request], None]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        from connectors.simulator import crossbeam, hubspot, impartner, partnerstack, salesforce
        self.handlers: dict[str, Callable[[Simulator, Request], Answer]] = {
            "salesforce": salesforce.handle, "hubspot": hubspot.handle, "partnerstack": partnerstack.handle,
            "impartner": impartner.handle, "crossbeam": crossbeam.handle}
        self.throttles = {"salesforce": salesforce.throttled, "hubspot": hubspot.throttled,
                          "partnerstack": partnerstack.throttled, "impartner": impartner.throttled,
                          "crossbeam": crossbeam.throttled}
        self.errors = {"salesforce": salesforce.error, "hubspot": hubspot.error, "partnerstack": partnerstack.error,
                       "impartner": impartner.error, "crossbeam": crossbeam.error}

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> str:
        sim = self

        class Handler(_Handler):
            simulator = sim

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="prm-simulator", daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Simulator":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, system: str) -> str:
        return f"{self.base_url}/{system}"

    # -- shared helpers for the system modules -------------------------------------------------------------------
    def page_limit(self, system: str, documented: int) -> int:
        return self.page_limits.get(system, documented)

    def issue_token(self, tenant: str, system: str) -> str:
        token = f"{system[:2]}-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.tokens[token] = (tenant, system)
        return token

    def tenant_for_token(self, system: str, token: str | None) -> Tenant | None:
        with self._lock:
            hit = self.tokens.get(token or "")
            if hit is None or hit[1] != system or token in self.expired:
                return None
        return self.tenants[hit[0]]

    def tenant_by(self, system: str, **values: str) -> Tenant | None:
        for tenant in self.tenants.values():
            creds = tenant.credentials.get(system)
            if creds and all(creds.get(k) == v for k, v in values.items()):
                return tenant
        return None

    def count(self, tenant: str, system: str) -> int:
        with self._lock:
            key = (tenant, system)
            self.usage[key] = self.usage.get(key, 0) + 1
            return self.usage[key]

    def over_rate(self, system: str, tenant: str) -> tuple[bool, int, int, float]:
        """(over the limit?, limit, remaining, window seconds) for one more request of `tenant` on `system`."""
        limit = self.rate_limits.get(system)
        if limit is None:
            return False, 0, 0, 0.0
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault((tenant, system), deque())
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.requests:
                return True, limit.requests, 0, limit.per_seconds
            window.append(now)
            return False, limit.requests, limit.requests - len(window), limit.per_seconds

    def cached(self, key: tuple, rows: list[dict], build):
        """`build(rows)`, kept while `rows` is the object's current list: the tenant replaces an object's list whenever
        its records change (a new clock, a mutation, a test's `edited`), so a result is never served for records that
        have since changed; the entry holds the list, so its identity cannot be reused while cached. Lets a route sort
        or index an object once per change instead of on every page request."""
        with self._lock:
            cache = self.__dict__.setdefault("_route_cache", {})
            hit = cache.get(key)
            if hit is not None and hit[0] is rows:
                return hit[1]
        value = build(rows)
        with self._lock:
            if len(cache) > 64:
                cache.clear()
            cache[key] = (rows, value)
        return value

    def expire_tokens(self, system: str) -> None:
        with self._lock:
            self.expired.update(t for t, (_, s) in self.tokens.items() if s == system)

    def admin(self, method: str, path: str, body: bytes) -> Answer:
        """Control when the simulator runs in its own process (`python -m connectors.simulator`): move a tenant's
        clock, read what it holds, count answers by status, switch faults (and read what they did)."""
        data = json.loads(body or b"{}")
        if method == "POST" and path == "/clock":
            self.tenants[data["tenant"]].set_clock(data["clock"])
            return Answer(200, {"ok": True})
        if method == "POST" and path == "/index":
            objects = self.tenants[data["tenant"]].native(data["system"])
            return Answer(200, {obj: {str(r["_id"]): str(r["_updated"]) for r in rows} for obj, rows in objects.items()})
        if method == "POST" and path == "/faults":
            # switch faults on a running simulator: the given FaultPlan fields change, the rest (and counts) stay
            for name, value in FaultPlan.from_spec(data).__dict__.items():
                if name in data:
                    setattr(self.faults, name, value)
            return Answer(200, {"counts": self.faults.counts, "change_counts": self.faults.change_counts,
                                "changes": [list(c) for c in self.faults.change_log]})
        if method == "POST" and path == "/log":
            return Answer(200, {"statuses": [status for s, _, _, status in self.log if s == data["system"]],
                                "requests": self.requests_to(data["system"])})
        return Answer(404, {"message": f"no admin route {method} {path}"})

    def requests_to(self, system: str) -> int:
        """Data requests answered for `system` (token endpoints left out)."""
        return sum(1 for s, _, path, _ in self.log if s == system and not path.endswith(("/token", "/Key")))


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that gave up on a hung or slow answer closes its end: expected with faults, not worth a trace."""
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    simulator: Simulator
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        sim = self.simulator
        parts = urlsplit(self.path)
        system, _, rest = parts.path.lstrip("/").partition("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if system == "_admin":
            return self._send(sim.admin(method, "/" + rest, body))
        if system not in sim.handlers:
            return self._send(Answer(404, {"message": f"no system at /{system}"}))
        request = Request(method, "/" + rest, parse_qs(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in self.headers.items()}, body)
        is_token = "token" in request.path.split("/")[-1] or request.path.endswith("/Key")
        fault = None if is_token else sim.faults.draw(system)
        if fault == "reset":
            sim.log.append((system, method, request.path, 0))
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if fault == "hang":
            sim.log.append((system, method, request.path, 0))
            time.sleep(sim.faults.hang_seconds)
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(sim.faults.slow_seconds)
        if fault in ("throttle", "throttle_retry_after"):
            answer = sim.throttles[system](sim, fault == "throttle_retry_after")
        elif fault == "server_error":
            answer = sim.errors[system](503, "Service temporarily unavailable")
        elif fault == "expired_token":
            sim.expire_tokens(system)
            answer = None  # the handler answers 401 for the now expired token (static keys: a one-off 401 below)
        else:
            answer = None
        if answer is None and not is_token:
            sim.faults.change([t for t in sim.tenants.values() if system in t.credentials], system, request)
            for hook in list(sim.hooks):
                hook(system, request)
        if answer is None:
            try:
                answer = sim.handlers[system](sim, request)
            except Exception as err:  # noqa: BLE001 - a simulator bug must show as a 500, not a hung client
                answer = sim.errors[system](500, f"simulator error: {type(err).__name__}: {err}")
        sim.log.append((system, method, request.path, answer.status))
        self._send(answer, truncate=fault == "truncated" and answer.status == 200)

    def _send(self, answer: Answer, truncate: bool = False) -> None:
        data = json.dumps(answer.body, separators=(",", ":"), default=str).encode()
        if truncate:
            data = data[: max(1, len(data) // 2)]
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
