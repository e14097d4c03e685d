"""The channels: how one `Notification` is delivered to Slack, Teams, a JSON webhook, an SMTP server or a file.

Every HTTP channel uses one `requests.Session` with a (connect, read) timeout, retries connection failures, timeouts,
408/425/429 and 5xx with backoff (honouring `Retry-After`), and gives up at once on other 4xx answers. Error reasons
carry the HTTP status and a short, sanitised part of the answer, never the URL (a Slack or Teams webhook URL is
itself the credential) and never the exception text of `requests` (which quotes the URL).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import smtplib
import socket
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import requests

from connectors.notify.message import Notification
from connectors.notify.retry import PermanentError, RetryPolicy, TransientError, with_retries

TIMEOUT = (5.0, 20.0)
SIGNATURE_HEADER = "X-Apex-Signature"
TIMESTAMP_HEADER = "X-Apex-Timestamp"
USER_AGENT = "apex-monitor-notify/1"
_TRANSIENT_STATUS = {408, 425, 429}


@dataclass(frozen=True)
class Delivery:
    """What a successful delivery reports: the attempts it took and the receiver's answer (status, short text)."""

    attempts: int
    detail: str


class Channel(ABC):
    """One destination. `name` is the configuration's channel name, used in every message about it."""

    kind: str = ""

    def __init__(self, name: str, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name
        self.policy = policy or RetryPolicy()
        self._sleep = sleep

    def send(self, notification: Notification) -> Delivery:
        """Deliver with retries; raises `DeliveryError` when it finally fails."""
        detail, attempts = with_retries(self.name, lambda: self._send_once(notification), self.policy, self._sleep)
        return Delivery(attempts, detail)

    @abstractmethod
    def _send_once(self, notification: Notification) -> str: ...

    def __repr__(self) -> str:  # never the URL or a secret
        return f"{type(self).__name__}({self.name!r})"


def _short(text: str, secrets: Sequence[str] = ()) -> str:
    text = " ".join(text.split())[:160]
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class _HttpChannel(Channel):
    def __init__(self, name: str, url: str, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(name, policy, sleep)
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"channel {name!r}: the webhook URL must start with https:// (or http:// on loopback)")
        self._url = url
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT

    def _post(self, body: bytes, headers: dict[str, str], secrets: Sequence[str] = ()) -> str:
        try:
            response = self._session.post(self._url, data=body, headers=headers, timeout=TIMEOUT,
                                          allow_redirects=False)
        except requests.Timeout:
            raise TransientError("timed out") from None
        except requests.ConnectionError:
            raise TransientError("connection failed") from None
        except requests.RequestException as err:
            raise TransientError(f"request failed ({type(err).__name__})") from None
        answer = _short(response.text, [self._url, *secrets])
        if 200 <= response.status_code < 300:
            return f"HTTP {response.status_code}" + (f" {answer}" if answer else "")
        reason = f"HTTP {response.status_code}" + (f": {answer}" if answer else "")
        if response.status_code in _TRANSIENT_STATUS or response.status_code >= 500:
            raise TransientError(reason, _retry_after(response.headers.get("Retry-After")))
        raise PermanentError(reason)

    def _post_json(self, document: dict, extra_headers: dict[str, str] | None = None) -> str:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        return self._post(body, {"Content-Type": "application/json; charset=utf-8", **(extra_headers or {})})


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class SlackChannel(_HttpChannel):
    """A Slack incoming webhook (https://hooks.slack.com/services/...): Block Kit with a plain-text fallback."""

    kind = "slack"

    def _send_once(self, notification: Notification) -> str:
        return self._post_json(slack_payload(notification))


def slack_payload(notification: Notification) -> dict:
    icon = {"alert": ":red_circle:", "watch": ":large_yellow_circle:", "failure": ":x:"}.get(notification.severity, "")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": notification.title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(
            f"{icon} {_slack_escape(line)}" for line in notification.lines)[:2900] or " "}},
    ]
    if notification.link:
        label = "Open het rapport" if notification.language == "nl" else "Open the report"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                         "text": f"<{notification.link}|{label}>"}]})
    return {"text": notification.text[:3000], "blocks": blocks}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TeamsChannel(_HttpChannel):
    """A Microsoft Teams incoming webhook (Workflows or the older connector): a message with an Adaptive Card."""

    kind = "teams"

    def _send_once(self, notification: Notification) -> str:
        return self._post_json(teams_payload(notification))


def teams_payload(notification: Notification) -> dict:
    colour = {"alert": "attention", "watch": "warning", "failure": "attention"}.get(notification.severity, "default")
    body: list[dict] = [{"type": "TextBlock", "text": notification.title, "weight": "bolder", "size": "medium",
                         "color": colour, "wrap": True}]
    body += [{"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "small"}
             for line in notification.lines]
    card: dict = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                  "version": "1.4", "body": body}
    if notification.link:
        label = "Open het rapport" if notification.language == "nl" else "Open the report"
        card["actions"] = [{"type": "Action.OpenUrl", "title": label, "url": notification.link}]
    return {"type": "message", "summary": notification.title,
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, hex, as sent in `X-Apex-Signature: sha256=<hex>`."""
    return hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str, *, tolerance_s: float = 300.0,
                     now: float | None = None) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (so a captured request cannot be
    replayed later)."""
    if not header.startswith("sha256="):
        return False
    try:
        age = abs((now if now is not None else time.time()) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(header[len("sha256="):], sign(secret, timestamp, body))


class JsonWebhookChannel(_HttpChannel):
    """Any HTTP endpoint: the notification as JSON, signed with HMAC-SHA256 over timestamp and body.

    Headers: `X-Apex-Timestamp` (unix seconds), `X-Apex-Signature: sha256=<hex>`, `Idempotency-Key` (the
    notification's key, so a receiver can drop a repeat)."""

    kind = "webhook"

    def __init__(self, name: str, url: str, secret: str, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(name, url, policy, sleep)
        if not secret:
            raise ValueError(f"channel {name!r}: the signing secret is empty")
        self._secret = secret

    def _send_once(self, notification: Notification) -> str:
        body = json.dumps(webhook_document(notification), ensure_ascii=False, sort_keys=True).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: "sha256=" + sign(self._secret, timestamp, body),
                   "Idempotency-Key": notification.key}
        return self._post(body, headers, secrets=[self._secret])


def webhook_document(notification: Notification) -> dict:
    return {"key": notification.key, "severity": notification.severity, "language": notification.language,
            "title": notification.title, "lines": list(notification.lines), "link": notification.link,
            "payload": notification.payload}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"          # starttls | ssl | none (none only for a loopback relay)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "apex-monitor@localhost"
    recipients: tuple[str, ...] = ()


class EmailChannel(Channel):
    """E-mail over SMTP: a plain-text and an HTML part; STARTTLS or implicit TLS, login when a username is set."""

    kind = "email"

    def __init__(self, name: str, settings: SmtpSettings, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(name, policy, sleep)
        if not settings.recipients:
            raise ValueError(f"channel {name!r}: no recipients")
        if settings.security not in ("starttls", "ssl", "none"):
            raise ValueError(f"channel {name!r}: security must be starttls, ssl or none")
        self._settings = settings

    def message(self, notification: Notification) -> EmailMessage:
        s = self._settings
        msg = EmailMessage()
        msg["Subject"] = notification.title
        msg["From"] = s.sender
        msg["To"] = ", ".join(s.recipients)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(idstring=hashlib.sha256(notification.key.encode()).hexdigest()[:16])
        msg["X-Apex-Key"] = notification.key
        msg.set_content(notification.text)
        items = "".join(f"<li>{html.escape(line)}</li>" for line in notification.lines)
        link = ""
        if notification.link:
            label = "Open het rapport" if notification.language == "nl" else "Open the report"
            link = f'<p><a href="{html.escape(notification.link, quote=True)}">{label}</a></p>'
        msg.add_alternative(f"<html><body><h2>{html.escape(notification.title)}</h2><ul>{items}</ul>{link}"
                            f"</body></html>", subtype="html")
        return msg

    def _send_once(self, notification: Notification) -> str:
        s = self._settings
        msg = self.message(notification)
        secrets = [s.password or ""]
        try:
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT[1], context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT[1])
            with client:
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password or "")
                refused = client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as err:
            raise PermanentError(f"every recipient refused ({len(err.recipients)})") from None
        except smtplib.SMTPResponseException as err:
            reason = f"SMTP {err.smtp_code}: {_short(_decode(err.smtp_error), secrets)}"
            if 400 <= err.smtp_code < 500:
                raise TransientError(reason) from None
            raise PermanentError(reason) from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, socket.timeout,
                TimeoutError) as err:
            raise TransientError(f"SMTP connection failed ({type(err).__name__})") from None
        except (ssl.SSLError, smtplib.SMTPNotSupportedError, smtplib.SMTPException, OSError) as err:
            raise PermanentError(f"SMTP failed ({type(err).__name__})") from None
        if refused:
            return f"accepted for {len(s.recipients) - len(refused)} of {len(s.recipients)} recipients"
        return f"accepted for {len(s.recipients)} recipient(s)"


def _decode(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class FileChannel(Channel):
    """Appends each notification as one JSON line to a file: for local runs, the demo and audits."""

    kind = "file"

    def __init__(self, name: str, path: str | Path, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(name, policy or RetryPolicy(attempts=1), sleep)
        self.path = Path(path)

    def _send_once(self, notification: Notification) -> str:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({**webhook_document(notification),
                                         "delivered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                                        ensure_ascii=False) + "\n")
        except OSError as err:
            raise PermanentError(f"cannot write {self.path} ({err.strerror})") from None
        return f"appended to {self.path}"
