"""A failed daily run is told on the alert channels, so a broken run is not mistaken for a quiet day."""


from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from pipelines import drift
from pipelines.jobs import apex_daily_job
from pipelines.resources import ApexConfigResource, WarehouseResource


@run_failure_sensor(monitored_jobs=[apex_daily_job], default_status=DefaultSensorStatus.RUNNING,
                    minimum_interval_seconds=60)
def apex_run_failure_alert(context: RunFailureSensorContext, apex_config: ApexConfigResource,
                           warehouse: WarehouseResource) -> None:
    """Sends "the daily run failed" to the failure channels of the configuration (default: every routed channel)."""
    run = context.dagster_run
    error = context.failure_event.message or "the run failed"
    org = run.tags.get("apex/org")
    outcomes = drift.notify_run_failure(warehouse.engine(), apex_config.deployment(), job=run.job_name,
                                        run_id=run.run_id, org_id=org, error=error[:500])
    failed = [o for o in outcomes if o.status == drift.FAILED]
    if failed:
        raise RuntimeError("could not announce the failed run: " + "; ".join(o.detail for o in failed))
