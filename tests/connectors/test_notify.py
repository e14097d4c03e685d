"""Notifiers over real local servers: Slack, Teams and the signed webhook over HTTP on loopback, e-mail over SMTP;
retries, backoff, Retry-After, permanent failures, and secrets that never appear in an error."""

from __future__ import annotations

import json
import socket
import time
from collections import deque

import pytest

from connectors.notify import (DeliveryError, EmailChannel, FileChannel, JsonWebhookChannel, Notification,
                               RetryPolicy, SlackChannel, TeamsChannel, verify_signature)
from connectors.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, SmtpSettings
from tests.connectors.receivers import HttpReceiver, SmtpReceiver

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
NOTE = Notification(key="digest|northwind|2026-05-01|ops", title="apex-monitor · Northwind · 1 May 2026: 1 alert",
                    lines=("Alert: Enablement (D4) fell 11.2 points to 47.3.",), severity="alert", language="en",
                    link="http://127.0.0.1:3000/assets/drift/apex_drift_events", payload={"items": [{"series": "D4"}]})


def test_slack_gets_blocks_with_a_plain_text_fallback() -> None:
    with HttpReceiver() as server:
        delivery = SlackChannel("ops", server.url("/services/T0/B0/secret"), FAST).send(NOTE)
        (request,) = server.requests
    assert delivery.attempts == 1 and request.path == "/services/T0/B0/secret"
    body = request.json()
    assert body["text"].startswith(NOTE.title)
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": NOTE.title, "emoji": True}}
    assert "Enablement (D4) fell 11.2 points" in body["blocks"][1]["text"]["text"]
    assert NOTE.link in body["blocks"][2]["elements"][0]["text"]


def test_teams_gets_an_adaptive_card() -> None:
    with HttpReceiver() as server:
        server.script.append((202, {}, ""))           # Teams workflows answer 202 Accepted
        TeamsChannel("teams", server.url("/workflows/abc"), FAST).send(NOTE)
        body = server.requests[0].json()
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == NOTE.title
    assert card["actions"][0]["url"] == NOTE.link


def test_webhook_is_signed_and_the_receiver_can_verify_it() -> None:
    with HttpReceiver() as server:
        JsonWebhookChannel("hook", server.url("/apex"), "s3cret-signing-key", FAST).send(NOTE)
        (request,) = server.requests
    headers = request.headers
    assert verify_signature("s3cret-signing-key", headers[TIMESTAMP_HEADER], request.body, headers[SIGNATURE_HEADER])
    assert not verify_signature("other-key", headers[TIMESTAMP_HEADER], request.body, headers[SIGNATURE_HEADER])
    assert not verify_signature("s3cret-signing-key", headers[TIMESTAMP_HEADER], request.body + b" ",
                                headers[SIGNATURE_HEADER])
    old = str(int(time.time()) - 3600)
    assert not verify_signature("s3cret-signing-key", old, request.body, headers[SIGNATURE_HEADER])
    assert headers["Idempotency-Key"] == NOTE.key
    body = request.json()
    assert body["payload"] == NOTE.payload and body["lines"] == list(NOTE.lines)


def test_server_errors_and_throttling_are_retried_with_backoff() -> None:
    slept = []
    with HttpReceiver() as server:
        server.script.extend([(503, {}, "busy"), (429, {"Retry-After": "0.02"}, "slow down")])
        delivery = SlackChannel("ops", server.url("/hook"), FAST, sleep=lambda s: (slept.append(s), time.sleep(s))
                                ).send(NOTE)
        assert len(server.requests) == 3
    assert delivery.attempts == 3
    assert slept[1] == pytest.approx(0.02)            # Retry-After honoured
    assert 0.008 <= slept[0] <= 0.012                  # base delay with jitter


def test_client_errors_fail_at_once_without_the_url_in_the_message() -> None:
    # A Slack incoming-webhook path is the secret itself (team/bot/token); this one is made up for the test.
    url_secret = "T0APEXTEST/B0APEXTEST/webhook-token-under-test"
    with HttpReceiver() as server:
        server.script.append((404, {}, "no_service"))
        with pytest.raises(DeliveryError) as err:
            SlackChannel("ops", server.url(f"/services/{url_secret}"), FAST).send(NOTE)
        assert len(server.requests) == 1
    assert err.value.attempts == 1 and "HTTP 404: no_service" in str(err.value)
    assert url_secret not in str(err.value) and "ops" in str(err.value)


def test_an_unreachable_endpoint_fails_after_every_attempt() -> None:
    with socket.socket() as probe:                     # a port nobody listens on (bound, never listening)
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook/SECRET"
        with pytest.raises(DeliveryError) as err:
            JsonWebhookChannel("hook", url, "key-123", RetryPolicy(attempts=3, base_delay=0.01)).send(NOTE)
    assert err.value.attempts == 3 and "connection failed" in str(err.value)
    assert "SECRET" not in str(err.value) and "key-123" not in str(err.value)


def test_a_failing_receiver_that_echoes_the_secret_does_not_leak_it() -> None:
    with HttpReceiver() as server:
        server.script.extend([(500, {}, "bad signature key-123")] * 2)
        with pytest.raises(DeliveryError) as err:
            JsonWebhookChannel("hook", server.url("/x"), "key-123", RetryPolicy(attempts=2, base_delay=0.01)).send(NOTE)
    assert "key-123" not in str(err.value) and "***" in str(err.value)


def smtp_channel(port: int, **kw) -> EmailChannel:
    settings = SmtpSettings("127.0.0.1", port, "none", sender="apex@example.com",
                            recipients=("ops@example.com", "lead@example.com"), **kw)
    return EmailChannel("mail", settings, FAST)


def test_email_arrives_with_text_and_html_after_login() -> None:
    with SmtpReceiver(username="apex", password="smtp-pa55") as server:
        delivery = smtp_channel(server.port, username="apex", password="smtp-pa55").send(NOTE)
        (mail_from, rcpts, message), = server.messages
    assert delivery.detail == "accepted for 2 recipient(s)"
    assert mail_from == "apex@example.com" and rcpts == ["ops@example.com", "lead@example.com"]
    assert message["Subject"] == NOTE.title and message["X-Apex-Key"] == NOTE.key
    assert "Enablement (D4) fell 11.2 points" in message.get_body(("plain",)).get_content()
    assert f'href="{NOTE.link}"' in message.get_body(("html",)).get_content()


def test_email_temporary_refusal_is_retried_and_a_permanent_one_is_not() -> None:
    with SmtpReceiver(answers=deque(["451 4.3.0 try again later"])) as server:
        assert smtp_channel(server.port).send(NOTE).attempts == 2
        assert len(server.messages) == 1
    with SmtpReceiver(username="apex", password="smtp-pa55", answers=deque(["554 5.7.1 rejected"] * 4)) as server:
        with pytest.raises(DeliveryError) as err:
            smtp_channel(server.port, username="apex", password="smtp-pa55").send(NOTE)
    assert err.value.attempts == 1 and "SMTP 554" in str(err.value) and "smtp-pa55" not in str(err.value)


def test_file_channel_appends_one_json_line_per_message(tmp_path) -> None:
    channel = FileChannel("local", tmp_path / "alerts" / "out.jsonl")
    channel.send(NOTE)
    channel.send(NOTE)
    lines = (tmp_path / "alerts" / "out.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["key"] == NOTE.key


def test_channels_never_show_their_url_in_repr() -> None:
    assert "secret" not in repr(SlackChannel("ops", "https://hooks.slack.com/services/secret"))
