"""Client-side pacing: stay under a system's rate limit instead of bouncing off it.

A sliding window of this client's own request times, sized from configuration (`requests`, `per_seconds`) and
tightened by what the server says in its rate-limit headers:

- HubSpot: `X-HubSpot-RateLimit-Max` and `X-HubSpot-RateLimit-Interval-Milliseconds` set the window,
  `X-HubSpot-RateLimit-Remaining` of 0 makes the next request wait for the window to roll over.
- Salesforce: `Sforce-Limit-Info: api-usage=used/max` (also with `; api-bursts=...` appended) is the org's rolling
  24-hour allocation; once `reserve_share` of it is left the sync stops with `QuotaExhausted` rather than use up
  what the organisation's other integrations need.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

_SF_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class QuotaExhausted(RuntimeError):
    """The system's daily allocation is (nearly) used up: waiting would take hours, so the sync stops cleanly."""


class Pacer:
    def __init__(self, requests: int | None = None, per_seconds: float = 1.0, *, margin: int = 0,
                 pad: float = 0.02, reserve_share: float = 0.02, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = requests
        self.window = per_seconds
        self.margin = margin
        self.pad = pad          # the window is held a little longer (at least 50 ms): arrival times at the server jitter
        self.reserve_share = reserve_share
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._hold_until = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0
        self.daily: tuple[int, int] | None = None

    def _allowed(self) -> int | None:
        if self.limit is None:
            return None
        return max(1, self.limit - (self.margin if self.limit > 5 else 0))

    def wait(self) -> None:
        """Block until one more request keeps this client inside the window; then count it."""
        with self._lock:
            while True:
                now = self._clock()
                delay = self._hold_until - now
                allowed = self._allowed()
                if allowed is not None:
                    window = self.window + max(self.window * self.pad, getattr(self, "pad_seconds", 0.05))
                    while self._sent and self._sent[0] <= now - window:
                        self._sent.popleft()
                    if len(self._sent) >= allowed:
                        delay = max(delay, self._sent[0] + window - now)
                if delay <= 0:
                    self._sent.append(now)
                    return
                self.waited += delay
                self._sleep(delay)

    def throttled(self) -> None:
        """The server said "slow down" although this client kept to the window: its view of our request times differs
        from ours (network and scheduling jitter), so keep 50 ms more between windows from now on (at most a
        quarter of the window)."""
        with self._lock:
            self.pad_seconds = min(getattr(self, "pad_seconds", 0.05) + 0.05, max(0.05, self.window / 4))

    def hold(self, seconds: float) -> None:
        """Send nothing for `seconds` (after a throttle answer)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + seconds)

    def observe(self, headers: Mapping[str, str], source: str = "") -> None:
        """Learn from a response's rate-limit headers."""
        h = {k.lower(): v for k, v in headers.items()}
        limit = h.get("x-hubspot-ratelimit-max")
        interval = h.get("x-hubspot-ratelimit-interval-milliseconds")
        if limit and interval:
            try:
                self.limit, self.window = int(limit), int(interval) / 1000.0
            except ValueError:
                pass
            remaining = h.get("x-hubspot-ratelimit-remaining")
            if remaining is not None and remaining.strip() == "0":
                self.hold(self.window / 2)
        info = h.get("sforce-limit-info")
        if info:
            match = _SF_USAGE.search(info)
            if match:
                used, allocation = int(match.group(1)), int(match.group(2))
                self.daily = (used, allocation)
                if allocation and allocation - used <= self.reserve_share * allocation:
                    raise QuotaExhausted(f"{source}: daily API allocation nearly used ({used}/{allocation}); "
                                         f"stopping to leave {self.reserve_share:.0%} for other integrations")
