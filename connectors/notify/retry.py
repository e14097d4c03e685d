"""Retries with exponential backoff for every channel, and the one error a failed delivery raises."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class DeliveryError(RuntimeError):
    """A delivery that failed for good: names the channel, the attempts and the last reason, never a secret."""

    def __init__(self, channel: str, reason: str, attempts: int) -> None:
        self.channel = channel
        self.reason = reason
        self.attempts = attempts
        super().__init__(f"delivery to channel {channel!r} failed after {attempts} attempt(s): {reason}")


class TransientError(Exception):
    """A failure worth retrying (connection refused, timeout, HTTP 429 or 5xx, SMTP 4xx)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentError(Exception):
    """A failure retrying cannot fix (HTTP 4xx other than 408/429, SMTP 5xx, a bad address)."""


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; the wait before try n+1 is base * factor**(n-1), capped, with +-20% jitter, or the
    server's Retry-After when it sends one (capped too)."""

    attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        raw = min(self.base_delay * self.factor ** (attempt - 1), self.max_delay)
        return raw * (1 + random.uniform(-self.jitter, self.jitter))


def with_retries(channel: str, send: Callable[[], T], policy: RetryPolicy,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[T, int]:
    """Call `send` until it succeeds, a permanent error occurs, or the attempts run out; returns (result, attempts)."""
    last = "no attempt made"
    for attempt in range(1, policy.attempts + 1):
        try:
            return send(), attempt
        except PermanentError as err:
            raise DeliveryError(channel, str(err), attempt) from None
        except TransientError as err:
            last = err.reason
            if attempt < policy.attempts:
                sleep(policy.delay(attempt, err.retry_after))
    raise DeliveryError(channel, last, policy.attempts)
