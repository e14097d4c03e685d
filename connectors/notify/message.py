"""What a notifier delivers: one rendered message, the same content for every channel.

The domain (apex_model.alerting) decides what is said and in which language; a channel only decides how it looks
(Slack blocks, a Teams Adaptive Card, an e-mail, a JSON document).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Notification:
    """One message to one destination.

    - `key`: stable idempotency key (e.g. `digest|northwind|2026-05-01|ops`); receivers can drop repeats on it.
    - `title`, `lines`: the text a person reads, already in the route's language; one line per finding.
    - `link`: where to read more (the report or the Dagster asset), or None.
    - `severity`: `alert`, `watch` or `failure` (a broken run).
    - `payload`: the structured content, sent as-is by the JSON webhook and kept by the file channel.
    """

    key: str
    title: str
    lines: tuple[str, ...]
    severity: str
    language: str
    link: str | None = None
    payload: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Plain text: title, the lines as bullets, and the link."""
        body = [self.title, ""] + [f"- {line}" for line in self.lines]
        if self.link:
            body += ["", self.link]
        return "\n".join(body)
