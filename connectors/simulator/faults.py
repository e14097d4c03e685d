"""Switchable faults: which share of requests fail, and how."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("throttle", "throttle_retry_after", "server_error", "slow", "hang", "reset", "truncated", "expired_token")


@dataclass
class FaultPlan:
    """`rate` of data requests (token endpoints excluded) get one fault drawn from `kinds`.

    - throttle: the system's own throttle answer (Salesforce 403 REQUEST_LIMIT_EXCEEDED, HubSpot 429 with
      policyName, 429 elsewhere) without Retry-After; throttle_retry_after: the same with `Retry-After: 1`
      (never for Salesforce, which sends none)
    - server_error: 500/502/503 with the system's error body; slow: answers after `slow_seconds`;
      hang: sends nothing for `hang_seconds` (longer than the client's read timeout), then closes
    - reset: closes the connection without an answer; truncated: sends half of a valid JSON body
    - expired_token: 401 with the system's body, and the token stops working (OAuth systems refresh it)
    - drift (not a per-request fault): every record gains unknown fields and loses optional empty ones
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    seed: int = 1
    slow_seconds: float = 0.3
    hang_seconds: float = 2.5
    drift: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.requests = 0

    def draw(self, system: str) -> str | None:
        with self._lock:
            self.requests += 1
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            kinds = [k for k in self.kinds if not (k == "throttle_retry_after" and system == "salesforce")]
            kind = self._rng.choice(kinds) if kinds else None
            if kind:
                self.counts[kind] = self.counts.get(kind, 0) + 1
            return kind

    @property
    def faulted(self) -> int:
        return sum(self.counts.values())
