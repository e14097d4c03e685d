"""The daily schedule and the sensor that registers organisations as partitions.

Each organisation runs for *its* yesterday: the schedule ticks hourly and requests a run for every organisation whose
local time is in the hour after `RUN_AT_LOCAL_HOUR`, keyed by organisation and day so a tick never launches a day
twice.
"""


import zoneinfo
from datetime import datetime, timedelta

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from pipelines.jobs import apex_daily_job
from pipelines.partitions import ORGANISATIONS, partition_key
from pipelines.resources import ApexConfigResource

RUN_AT_LOCAL_HOUR = 2


def due_runs(deployment, now_utc: datetime, registered: set[str]) -> tuple[list[RunRequest], list[str]]:
    """Run requests for the organisations whose local time is RUN_AT_LOCAL_HOUR, and those not yet registered."""
    requests, unregistered = [], []
    for org in deployment.organisations:
        local = now_utc.astimezone(zoneinfo.ZoneInfo(org.timezone))
        if local.hour != RUN_AT_LOCAL_HOUR:
            continue
        if org.id not in registered:
            unregistered.append(org.id)
            continue
        day = (local.date() - timedelta(days=1)).isoformat()
        requests.append(RunRequest(run_key=f"daily|{org.id}|{day}", partition_key=partition_key(day, org.id),
                                   tags={"apex/org": org.id, "apex/trigger": "schedule"}))
    return requests, unregistered


@schedule(job=apex_daily_job, cron_schedule="5 * * * *", execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def apex_daily_schedule(context: ScheduleEvaluationContext, apex_config: ApexConfigResource):
    """Every organisation's yesterday, shortly after 02:00 in its own time zone."""
    now = context.scheduled_execution_time or datetime.now(zoneinfo.ZoneInfo("UTC"))
    registered = set(context.instance.get_dynamic_partitions(ORGANISATIONS.name))
    requests, unregistered = due_runs(apex_config.deployment(), now, registered)
    for org_id in unregistered:
        context.log.warning(f"organisation {org_id!r} is in the configuration but not yet registered as a "
                            f"partition; the organisation registry sensor (or `apex orgs sync`) adds it")
    return requests or SkipReason(f"no organisation reaches {RUN_AT_LOCAL_HOUR:02d}:00 local time this hour")


@sensor(minimum_interval_seconds=300, default_status=DefaultSensorStatus.RUNNING)
def organisation_registry(context: SensorEvaluationContext, apex_config: ApexConfigResource):
    """Registers every organisation of the configuration file as an `organisations` partition."""
    configured = apex_config.deployment().org_ids
    registered = set(context.instance.get_dynamic_partitions(ORGANISATIONS.name))
    new = [org for org in configured if org not in registered]
    if not new:
        return SkipReason(f"all {len(configured)} configured organisations are registered")
    return SensorResult(dynamic_partitions_requests=[AddDynamicPartitionsRequest(ORGANISATIONS.name, new)])
