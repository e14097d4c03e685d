"""Outbound notifiers: Slack and Microsoft Teams incoming webhooks, a generic JSON webhook signed with HMAC, e-mail over
SMTP, and a JSON-lines file. Each takes a rendered `Notification` and delivers it with retries and backoff; a delivery
that finally fails raises `DeliveryError`, whose message names the channel and the reason but never a webhook URL,
a password or a signing secret. Secrets are handed in by the caller (read from the environment there), never read or
logged here. No Dagster, no database.
"""

from connectors.notify.channels import (
    Channel,
    EmailChannel,
    FileChannel,
    JsonWebhookChannel,
    SlackChannel,
    TeamsChannel,
    sign,
    verify_signature,
)
from connectors.notify.message import Notification
from connectors.notify.retry import DeliveryError, RetryPolicy

__all__ = ["Channel", "DeliveryError", "EmailChannel", "FileChannel", "JsonWebhookChannel", "Notification",
           "RetryPolicy", "SlackChannel", "TeamsChannel", "sign", "verify_signature"]
