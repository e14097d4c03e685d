"""Switchable faults: which share of requests fail, and how."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

CHANGE_KINDS = ("edit", "insert", "delete")
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
    - changes (records changing while a sync pages through them): before `changes` of data requests are answered,
      one record of the system is edited, inserted or deleted (`change_kinds`, as far as the system can show that
      kind; see `changes.py`), preferably in the object the request reads. Drawn from their own generator seeded by
      `seed`, so switching changes on leaves the request faults drawn unchanged; `max_changes` bounds them;
      `change_counts` counts them by kind and `change_log` lists (system, object, kind, id).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    seed: int = 1
    slow_seconds: float = 0.3
    hang_seconds: float = 2.5
    drift: bool = False
    changes: float = 0.0
    change_kinds: tuple[str, ...] = CHANGE_KINDS
    max_changes: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    change_counts: dict[str, int] = field(default_factory=dict)
    change_log: list[tuple[str, str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.kinds, self.change_kinds = tuple(self.kinds), tuple(self.change_kinds)
        unknown = set(self.change_kinds) - set(CHANGE_KINDS)
        if unknown:
            raise ValueError(f"unknown change kinds: {sorted(unknown)}")
        self._rng = random.Random(self.seed)
        self._change_rng = random.Random(f"changes:{self.seed}")
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

    def change(self, tenants, system: str, request) -> None:
        """Maybe change one record of `system` in each of `tenants` before `request` is answered (see `changes`)."""
        from connectors.simulator import changes

        with self._lock:
            if self.changes <= 0 or (self.max_changes is not None and len(self.change_log) >= self.max_changes):
                return
            if self._change_rng.random() >= self.changes:
                return
            for tenant in tenants:
                done = changes.apply(tenant, system, request, self.change_kinds, self._change_rng)
                if done is not None:
                    obj, kind, record_id = done
                    self.change_counts[kind] = self.change_counts.get(kind, 0) + 1
                    self.change_log.append((system, obj, kind, record_id))

    @classmethod
    def from_spec(cls, spec: dict) -> "FaultPlan":
        """From JSON (`python -m connectors.simulator`): the field names above; lists become tuples."""
        allowed = {"rate", "kinds", "seed", "slow_seconds", "hang_seconds", "drift", "changes", "change_kinds",
                   "max_changes"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)} (known: {sorted(allowed)})")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()})

    @property
    def faulted(self) -> int:
        return sum(self.counts.values())
