"""The drift layer on the warehouse: detection from stored scores, the outbox, delivery to real local receivers,
a recomputed day that never sends twice, failed deliveries that are recorded and fail the Dagster check, and the
run-failure message."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, materialize

from apex_model.model import DIMENSION_IDS, load_model
from connectors.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER
from connectors.notify import verify_signature
from dbt_like_sql.drift_schema import apex_alert_notifications, apex_alerts, apex_drift_events
from dbt_like_sql.schema import apex_dimension_scores, apex_ecosystem_health, ensure_tables
from pipelines import drift
from pipelines.assets.drift import apex_alert_deliveries, apex_drift_events as drift_asset
from pipelines.deployment import parse_deployment
from pipelines.partitions import ORGANISATIONS, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource
from tests.connectors.receivers import HttpReceiver, SmtpReceiver

DAYS = pd.date_range("2026-01-01", "2026-06-30")
STEP = pd.Timestamp("2026-06-01")


def store_scores(engine, org_id: str = "acme", drop_d4_from: pd.Timestamp | None = STEP) -> None:
    """Half a year of stored scores: every dimension flat with small autocorrelated noise, D4 falling 15 points
    from `drop_d4_from`."""
    model = load_model()
    ensure_tables(engine)
    rng = np.random.default_rng(4)
    dims, health = [], []
    for day_i, day in enumerate(DAYS):
        scores = {}
        for k, dim in enumerate(DIMENSION_IDS):
            score = 55 + k + float(np.sin(day_i / 9 + k)) * 0.8 + rng.normal(0, 0.2)
            if dim == "D4" and drop_d4_from is not None and day >= drop_d4_from:
                score -= 15
            scores[dim] = score
            dims.append({"org_id": org_id, "as_of": day.date(), "dimension": dim, "model_version": model.version,
                         "dimension_name_en": model.dimension(dim).name.en,
                         "dimension_name_nl": model.dimension(dim).name.nl, "score": score, "score_low": score - 5,
                         "score_high": score + 5, "coverage": 0.95, "status": "ok", "capability_level": 2,
                         "weight": 0.125, "n_present": 4, "n_stale": 0, "n_missing": 0, "n_not_applicable": 0,
                         "computed_at": pd.Timestamp("2026-07-01")})
        overall = float(np.exp(np.mean(np.log(list(scores.values())))))
        health.append({"org_id": org_id, "as_of": day.date(), "model_version": model.version,
                       "overall_score": overall, "overall_low": overall - 5, "overall_high": overall + 5,
                       "arithmetic_mean": overall, "weakest_dimension": "D4", "weakest_score": scores["D4"],
                       "coverage": 0.95, "status": "ok", "stage": "growth", "stage_source": "data",
                       "stage_position": 1.0, "stage_shares": {"growth": 1.0}, "active_partners": 80,
                       "programme_age_days": 900, "maturity_level": 3, "maturity_level_raw": 3,
                       "maturity_provisional": False, "next_level_needs": [], "next_level_en": "",
                       "next_level_nl": "", "computed_at": pd.Timestamp("2026-07-01")})
    with engine.begin() as conn:
        conn.execute(sa.insert(apex_dimension_scores), dims)
        conn.execute(sa.insert(apex_ecosystem_health), health)


def deployment(http_port: int | None = None, smtp_port: int | None = None, extra_channels=(), extra_routes=()):
    channels, routes = [], []
    if http_port:
        channels.append({"name": "hook", "type": "webhook", "url_env": "APEX_TEST_HOOK_URL",
                         "secret_env": "APEX_TEST_HOOK_SECRET", "backoff_seconds": 0.01})
        routes.append({"channel": "hook", "severities": ["alert"], "language": "en"})
    if smtp_port:
        channels.append({"name": "mail", "type": "email", "host": "127.0.0.1", "port": smtp_port, "security": "none",
                         "sender": "apex@example.com", "recipients": ["ops@example.com"], "backoff_seconds": 0.01})
        routes.append({"channel": "mail", "severities": ["alert"], "language": "nl"})
    channels += list(extra_channels)
    routes += list(extra_routes)
    data = {"organisations": [{"id": "acme", "name": "Acme Partners", "language": "nl", "sources": [
        {"type": "sandbox", "profile": {"stage": "growth", "maturity": 3, "seed": 1, "history_start": "2025-01-01"}}]}],
        "alerts": {"channels": channels, "routes": routes, "notify_max_age_days": 3}}
    return parse_deployment(data, "<test>")


@pytest.fixture
def hook_env(monkeypatch):
    def set_url(url: str) -> None:
        monkeypatch.setenv("APEX_TEST_HOOK_URL", url)
        monkeypatch.setenv("APEX_TEST_HOOK_SECRET", "hook-secret-1")
    return set_url


def table(engine, t) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(t), conn)


def test_a_step_raises_one_alert_delivered_once_even_when_the_day_is_recomputed(engine, hook_env) -> None:
    store_scores(engine)
    model = load_model()
    today = date(2026, 6, 10)
    with HttpReceiver() as http, SmtpReceiver() as smtp:
        hook_env(http.url("/apex"))
        dep = deployment(http.port, smtp.port)
        org = dep.organisation("acme")
        # The daily runs of the first ten days of June, one day at a time, each followed by the delivery step.
        for day in pd.date_range("2026-05-25", "2026-06-10"):
            drift.run_drift(engine, model, dep, org, [day], today=day.date())
            drift.deliver(engine, dep, ["acme"], today=day.date())
        # The same day again (a rerun): nothing new is sent.
        drift.run_drift(engine, model, dep, org, [pd.Timestamp("2026-06-03")], today=today)
        drift.deliver(engine, dep, ["acme"], today=today)
        requests, mails = list(http.requests), list(smtp.messages)

    alerts = table(engine, apex_alerts)
    assert list(zip(alerts["series"], alerts["direction"], alerts["status"])) == [("D4", "down", "open")]
    opened = alerts["opened_on"].iloc[0]
    assert date(2026, 6, 1) <= pd.Timestamp(opened).date() <= date(2026, 6, 4)
    assert "Enablement (D4) fell" in alerts["explanation_en"].iloc[0]
    assert "Enablement (D4) daalde" in alerts["explanation_nl"].iloc[0]

    # One message when it opened, one weekly reminder; the rerun of 3 June added nothing.
    assert len(requests) == 2 and len(mails) == 2
    assert [r.json()["payload"]["items"][0]["kind"] for r in requests] == ["opened", "reminder"]
    body = requests[0].json()
    assert verify_signature("hook-secret-1", requests[0].headers[TIMESTAMP_HEADER], requests[0].body,
                            requests[0].headers[SIGNATURE_HEADER])
    (item,) = body["payload"]["items"]
    assert item["series"] == "D4" and item["kind"] == "opened" and item["deviation"] < -8
    assert item["explanation"]["onset"] in {d.date().isoformat() for d in pd.date_range("2026-05-30", "2026-06-03")}
    assert "Enablement (D4) daalde" in mails[0][2].get_body(("plain",)).get_content()
    outbox = table(engine, apex_alert_notifications)
    assert set(outbox["status"]) == {"sent"} and len(outbox) == 4

    events = table(engine, apex_drift_events)
    d4 = events[(events["series"] == "D4") & (pd.to_datetime(events["as_of"]) == pd.Timestamp(opened))].iloc[0]
    assert d4["event"] == "alert" and d4["alert_id"] == alerts["alert_id"].iloc[0]


def test_a_backfill_records_old_days_without_sending_and_announces_what_is_still_open(engine, hook_env) -> None:
    store_scores(engine)
    with HttpReceiver() as http:
        hook_env(http.url("/apex"))
        dep = deployment(http.port)
        drift.run_drift(engine, load_model(), dep, dep.organisation("acme"), DAYS, today=date(2026, 7, 1))
        outcomes = drift.deliver(engine, dep, ["acme"], today=date(2026, 7, 1))
        assert len(http.requests) == 1
        (item,) = http.requests[0].json()["payload"]["items"]
    assert [o.status for o in outcomes] == ["sent"]
    assert item["series"] == "D4" and item["kind"] == "reminder"   # "still open since ..."
    outbox = table(engine, apex_alert_notifications)
    assert set(outbox.loc[pd.to_datetime(outbox["as_of"]) < pd.Timestamp("2026-06-27"), "status"]) == {"suppressed"}


def test_a_failed_delivery_is_recorded_and_fails_the_dagster_check(engine, hook_env, tmp_path) -> None:
    store_scores(engine)
    url = engine.url.render_as_string(hide_password=False)
    with HttpReceiver() as http:
        http.script.extend([(500, {}, "down")] * 10)
        hook_env(http.url("/apex"))
        data = {"organisations": [{"id": "acme", "name": "Acme Partners", "sources": [
            {"type": "sandbox", "profile": {"stage": "growth", "maturity": 3, "seed": 1,
                                            "history_start": "2025-01-01"}}]}],
                "alerts": {"notify_max_age_days": 100000, "channels": [
                    {"name": "hook", "type": "webhook", "url_env": "APEX_TEST_HOOK_URL",
                     "secret_env": "APEX_TEST_HOOK_SECRET", "attempts": 2, "backoff_seconds": 0.01}],
                    "routes": [{"channel": "hook"}]}}
        import yaml

        config = tmp_path / "apex.yaml"
        config.write_text(yaml.safe_dump(data))
        with DagsterInstance.ephemeral() as instance:
            instance.add_dynamic_partitions(ORGANISATIONS.name, ["acme"])
            result = materialize(
                [drift_asset, apex_alert_deliveries], instance=instance,
                resources={"warehouse": WarehouseResource(url=url),
                           "apex_config": ApexConfigResource(deployment_path=str(config))},
                tags={"dagster/asset_partition_range_start": str(partition_key("2026-06-01", "acme")),
                      "dagster/asset_partition_range_end": str(partition_key("2026-06-10", "acme"))})
        requests = len(http.requests)
    assert result.success
    outbox = table(engine, apex_alert_notifications)
    assert len(outbox) >= 1 and requests == 2 * len(outbox)       # two attempts each, then recorded as failed
    assert set(outbox["status"]) == {"failed"} and set(outbox["attempts"]) == {2}
    assert outbox["detail"].str.contains("HTTP 500").all()
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["failed"].value == len(outbox)
    assert "HTTP 500" in check.metadata["failures"].value and "hook-secret-1" not in check.metadata["failures"].value


def test_a_missing_secret_is_a_failed_delivery_naming_the_variable(engine, monkeypatch) -> None:
    store_scores(engine)
    monkeypatch.delenv("APEX_TEST_HOOK_URL", raising=False)
    dep = deployment(http_port=1)
    drift.run_drift(engine, load_model(), dep, dep.organisation("acme"), [pd.Timestamp("2026-06-05")],
                    today=date(2026, 6, 5))
    (outcome,) = drift.deliver(engine, dep, ["acme"], today=date(2026, 6, 5))
    assert outcome.status == "failed" and "APEX_TEST_HOOK_URL is not set" in outcome.detail


def test_new_normal_resolves_the_alert_and_stops_the_reminders(engine, hook_env) -> None:
    store_scores(engine)
    model = load_model()
    dep = deployment()
    org = dep.organisation("acme")
    drift.run_drift(engine, model, dep, org, DAYS, today=date(2026, 7, 1))
    assert list(table(engine, apex_alerts)["status"]) == ["open"]
    drift.acknowledge(engine, "acme", "D4", date(2026, 6, 15), note="enablement team rebuilt")
    drift.run_drift(engine, model, dep, org, DAYS, today=date(2026, 7, 1))
    alerts = table(engine, apex_alerts)
    assert list(zip(alerts["status"], alerts["resolution"])) == [("resolved", "new_normal")]
    assert pd.Timestamp(alerts["resolved_on"].iloc[0]).date() == date(2026, 6, 15)


def test_data_quality_table_holds_back_alerts_when_it_exists(engine) -> None:
    store_scores(engine)
    from dbt_like_sql.quality_tables import apex_data_quality_status as dq
    from dbt_like_sql.schema import ensure_tables

    ensure_tables(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(dq), [{"org_id": "acme", "as_of": d.date(), "dimension": "D4", "status": "failed",
                                      "fresh": True, "reason": "certifications: 40% of rows quarantined",
                                      "model_version": load_model().version, "held_back": True, "sources": [],
                                      "checks": [], "stale_tables": [], "computed_at": datetime(2026, 7, 1)}
                                     for d in pd.date_range("2026-05-28", "2026-06-30")])
    dep = deployment()
    drift.run_drift(engine, load_model(), dep, dep.organisation("acme"), DAYS, today=date(2026, 7, 1))
    alerts = table(engine, apex_alerts)
    assert not (alerts["series"] == "D4").any()
    events = table(engine, apex_drift_events)
    held = events[(events["series"] == "D4") & (pd.to_datetime(events["as_of"]) >= pd.Timestamp("2026-05-28"))]
    assert set(held["event"]) == {"data_quality"}
    assert held["reason"].str.contains("inputs failed their checks: certifications").all()


def test_run_failure_is_told_on_the_failure_channels(engine, hook_env) -> None:
    with HttpReceiver() as http:
        hook_env(http.url("/apex"))
        dep = deployment(http.port)
        outcomes = drift.notify_run_failure(engine, dep, job="apex_daily_job", run_id="abcdef1234567890",
                                            org_id="acme", error="canonical data breaks its contract")
        (request,) = http.requests
    assert [o.status for o in outcomes] == ["sent"]
    body = request.json()
    assert body["severity"] == "failure" and "failed" in body["title"] and "not a quiet day" in body["lines"][0]
    outbox = table(engine, apex_alert_notifications)
    assert list(outbox["kind"]) == ["run_failure"]
