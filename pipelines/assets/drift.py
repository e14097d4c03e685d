"""Drift layer: detection per organisation and day, the alert lifecycle, and delivery of the daily digests."""


from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult,
                     MetadataValue, asset)

from pipelines import drift
from pipelines.assets.common import organisations_in_run, window_text
from pipelines.assets.scores import apex_ecosystem_health, apex_score_changes, scorable_days
from pipelines.partitions import DAY_BY_ORG, SINGLE_RUN
from pipelines.resources import ApexConfigResource, WarehouseResource

DELIVERY_CHECK = "every_delivery_succeeded"


@asset(key=["drift", "apex_drift_events"], deps=[apex_ecosystem_health, apex_score_changes], group_name="drift",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"})
def apex_drift_events(context: AssetExecutionContext, warehouse: WarehouseResource,
                      apex_config: ApexConfigResource) -> MaterializeResult:
    """One row per organisation, day and series (D1..D8 and overall): the drift detector's finding (baseline,
    deviation, normal variation, CUSUM evidence, event none / learning / data_quality / watch / alert, and for
    findings the most likely start and the contributing signals). Also rebuilds `apex_alerts` (one row per alert,
    its lifecycle) and adds the day's digests to the outbox `apex_alert_notifications`. Output contract tables."""
    model = apex_config.model()
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    events: dict[str, int] = {"alert": 0, "watch": 0, "data_quality": 0, "learning": 0}
    open_alerts, queued, lines = 0, 0, []
    for org, dates in organisations_in_run(context, deployment):
        dates = scorable_days(context, engine, model, org, dates)   # days held back by data quality have no scores
        if not len(dates):
            continue
        result = drift.run_drift(engine, model, deployment, org, dates)
        counts = result.findings["event"].value_counts()
        for key in events:
            events[key] += int(counts.get(key, 0))
        open_alerts += len(result.open_alerts)
        queued += sum(1 for row in result.outbox if row["status"] == drift.PENDING)
        for alert in result.open_alerts:
            lines.append(f"| {org.id} | {alert.series} | {alert.direction} | {alert.severity} | {alert.opened_on} | "
                         f"{alert.last_deviation:+.1f} |")
        context.log.info(f"{org.id}: drift over {window_text(dates)}; {len(result.open_alerts)} open alert(s)")
    table = "| org | series | direction | severity | since | deviation |\n|---|---|---|---|---|---|\n" + "\n".join(lines)
    return MaterializeResult(metadata={
        **{f"{k}_findings": v for k, v in events.items()},
        "open_alerts": open_alerts, "digests_queued": queued,
        "open_alert_table": MetadataValue.md(table if lines else "no open alerts"),
    })


@asset(key=["alerts", "apex_alert_deliveries"], deps=[apex_drift_events], group_name="drift",
       partitions_def=DAY_BY_ORG, backfill_policy=SINGLE_RUN, kinds={"python"},
       check_specs=[AssetCheckSpec(DELIVERY_CHECK, asset=["alerts", "apex_alert_deliveries"],
                                   description="Every digest due for the run's organisations reached its channel.")])
def apex_alert_deliveries(context: AssetExecutionContext, warehouse: WarehouseResource,
                          apex_config: ApexConfigResource) -> MaterializeResult:
    """Delivers the due digests of the outbox (`apex_alert_notifications`: pending, or failed and still recent) to
    their channels (Slack, Teams, signed webhook, e-mail, file) and records each outcome there. A delivery that
    finally fails fails this asset's check; it is never swallowed."""
    deployment = apex_config.deployment()
    engine = warehouse.engine()
    org_ids = [org.id for org, _dates in organisations_in_run(context, deployment)]
    outcomes = drift.deliver(engine, deployment, org_ids)
    failed = [o for o in outcomes if o.status == drift.FAILED]
    for o in outcomes:
        log = context.log.error if o.status == drift.FAILED else context.log.info
        log(f"{o.org_id} {o.as_of} -> {o.channel}: {o.status} after {o.attempts} attempt(s): {o.detail}")
    rows = "\n".join(f"| {o.org_id} | {o.as_of} | {o.channel} | {o.status} | {o.attempts} | {o.detail} |"
                     for o in outcomes)
    table = "| org | day | channel | status | attempts | detail |\n|---|---|---|---|---|---|\n" + rows
    check = AssetCheckResult(
        check_name=DELIVERY_CHECK, passed=not failed, severity=AssetCheckSeverity.ERROR,
        metadata={"delivered": len(outcomes) - len(failed), "failed": len(failed),
                  "failures": MetadataValue.md("\n".join(f"- {o.channel} ({o.org_id}, {o.as_of}): {o.detail}"
                                                         for o in failed) or "none")})
    return MaterializeResult(metadata={"delivered": len(outcomes) - len(failed), "failed": len(failed),
                                       "deliveries": MetadataValue.md(table if outcomes else "nothing due")},
                             check_results=[check])
