"""Helpers shared by the asset modules: resolving a run's organisations and dates, and metadata formatting."""


import pandas as pd
from dagster import AssetExecutionContext

from pipelines.deployment import Deployment, Organisation
from pipelines.partitions import dates_by_org


def organisations_in_run(context: AssetExecutionContext,
                         deployment: Deployment) -> list[tuple[Organisation, pd.DatetimeIndex]]:
    """(organisation, as-of dates) for every organisation in the run's partitions; unknown ids fail clearly."""
    return [(deployment.organisation(org_id), dates)
            for org_id, dates in dates_by_org(context.partition_keys).items()]


def window_text(dates: pd.DatetimeIndex) -> str:
    first, last = dates[0].date(), dates[-1].date()
    return str(first) if first == last else f"{first} .. {last} ({len(dates)} days)"
