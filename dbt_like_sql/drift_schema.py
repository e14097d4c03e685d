"""Warehouse tables of drift detection and alerting (output contract, documented in the README).

- `apex_drift_events`: the detector's finding per organisation, day and series (D1..D8, overall).
- `apex_alerts`: one row per alert (an episode of drift of one series in one direction), with its lifecycle.
- `apex_alert_notifications`: the outbox, one row per organisation, day and route: what was (or will be) sent,
  and how the delivery went. Its key makes a recomputed day never send twice.
- `apex_alert_actions`: people's decisions ("new normal" from `apex alerts ack`), read back by the detector.
"""

from __future__ import annotations

import sqlalchemy as sa

from dbt_like_sql.schema import JSON_PAYLOAD, metadata

apex_drift_events = sa.Table(
    "apex_drift_events",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date(), primary_key=True),
    sa.Column("series", sa.String(8), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("score", sa.Float()),
    sa.Column("coverage", sa.Float()),
    sa.Column("baseline", sa.Float()),
    sa.Column("deviation", sa.Float()),
    sa.Column("sigma", sa.Float()),
    sa.Column("z", sa.Float()),
    sa.Column("cusum_up", sa.Float()),
    sa.Column("cusum_down", sa.Float()),
    sa.Column("min_effect", sa.Float(), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("direction", sa.String(8)),
    sa.Column("trigger", sa.String(8)),
    sa.Column("reason", sa.Text()),
    sa.Column("episode", sa.String(12)),
    sa.Column("episode_start", sa.Date()),
    sa.Column("episode_baseline", sa.Float()),
    sa.Column("alert_id", sa.String(160)),
    sa.Column("onset_on", sa.Date()),
    sa.Column("explanation", JSON_PAYLOAD),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
    sa.Index("ix_apex_drift_events_event", "org_id", "event", "as_of"),
)

apex_alerts = sa.Table(
    "apex_alerts",
    metadata,
    sa.Column("alert_id", sa.String(160), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("org_id", sa.String(64), nullable=False),
    sa.Column("series", sa.String(8), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("opened_on", sa.Date(), nullable=False),
    sa.Column("escalated_on", sa.Date()),
    sa.Column("last_seen_on", sa.Date(), nullable=False),
    sa.Column("resolved_on", sa.Date()),
    sa.Column("resolution", sa.String(16)),
    sa.Column("cooldown_until", sa.Date()),
    sa.Column("baseline", sa.Float(), nullable=False),
    sa.Column("deviation_at_open", sa.Float(), nullable=False),
    sa.Column("peak_deviation", sa.Float(), nullable=False),
    sa.Column("last_deviation", sa.Float(), nullable=False),
    sa.Column("last_score", sa.Float(), nullable=False),
    sa.Column("sigma", sa.Float(), nullable=False),
    sa.Column("min_effect", sa.Float(), nullable=False),
    sa.Column("trigger", sa.String(8), nullable=False),
    sa.Column("onset_on", sa.Date()),
    sa.Column("explanation_en", sa.Text()),
    sa.Column("explanation_nl", sa.Text()),
    sa.Column("last_notified_on", sa.Date()),
    sa.Column("notifications", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.Index("ix_apex_alerts_org_status", "org_id", "status", "series"),
)

apex_alert_notifications = sa.Table(
    "apex_alert_notifications",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date(), primary_key=True),
    sa.Column("route", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("lines", JSON_PAYLOAD, nullable=False),
    sa.Column("link", sa.Text()),
    sa.Column("payload", JSON_PAYLOAD, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("detail", sa.Text()),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("sent_at", sa.DateTime()),
    sa.Index("ix_apex_alert_notifications_status", "status", "org_id"),
)

apex_alert_actions = sa.Table(
    "apex_alert_actions",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("series", sa.String(8), primary_key=True),
    sa.Column("effective_on", sa.Date(), primary_key=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("note", sa.Text()),
    sa.Column("created_at", sa.DateTime(), nullable=False),
)
