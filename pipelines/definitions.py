"""The one Dagster entry point (`workspace.yaml` points here): assets, jobs, schedules, sensors and resources."""

from __future__ import annotations

from dagster import Definitions, EnvVar, in_process_executor

from pipelines.assets.canonical import canonical_tables
from pipelines.assets.drift import apex_alert_deliveries, apex_drift_events
from pipelines.assets.measure import apex_measure, apex_report
from pipelines.assets.raw import API_RAW_KEYS, API_RAW_SOURCES, raw_api_sources, raw_sandbox
from pipelines.assets.scores import (
    apex_dimension_scores,
    apex_ecosystem_health,
    apex_partner_signal_values,
    apex_score_changes,
    apex_signal_values,
)
from pipelines.checks import canonical_quality_checks, output_checks, raw_checks
from pipelines.jobs import apex_daily_job
from pipelines.resources import ApexConfigResource, WarehouseResource
from pipelines.failure_alerts import apex_run_failure_alert
from pipelines.schedules import apex_daily_schedule, organisation_registry

defs = Definitions(
    assets=[raw_sandbox, raw_api_sources, canonical_tables, apex_signal_values, apex_partner_signal_values,
            apex_score_changes, apex_dimension_scores, apex_ecosystem_health, apex_drift_events, apex_alert_deliveries,
            apex_measure, apex_report],
    asset_checks=[
        raw_checks(raw_sandbox.key, "sandbox"),
        *(raw_checks(key, source) for key, source in zip(API_RAW_KEYS, API_RAW_SOURCES)),
        canonical_quality_checks,
        output_checks(apex_signal_values.key, "apex_signal_values"),
        output_checks(apex_dimension_scores.key, "apex_dimension_scores"),
        output_checks(apex_ecosystem_health.key, "apex_ecosystem_health"),
        output_checks(apex_partner_signal_values.key, "apex_partner_signal_values"),
        output_checks(apex_score_changes.key, "apex_score_changes", day_column="to_date"),
        output_checks(apex_measure.key, "apex_measure", "apex_survey_signals", "apex_perception_gaps",
                      "apex_peer_benchmark"),
    ],
    jobs=[apex_daily_job],
    schedules=[apex_daily_schedule],
    sensors=[organisation_registry, apex_run_failure_alert],
    resources={
        "warehouse": WarehouseResource(url=EnvVar("WAREHOUSE_URL")),
        "apex_config": ApexConfigResource(deployment_path=EnvVar("APEX_CONFIG")),
    },
    # Each layer is one vectorised pass per organisation; separate processes per step would only re-import code.
    executor=in_process_executor,
)
