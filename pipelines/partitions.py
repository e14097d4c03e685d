"""Partitions: one per day and organisation, with single-run backfills over a date range.

Organisations are a dynamic partition dimension, registered from the deployment file (by the registry sensor or
`apex orgs sync`), so adding a client is an edit of the configuration, not a code change. Every asset has
`BackfillPolicy.single_run()`: a backfill over many days (and organisations) is one run, and each layer computes all
dates of an organisation in one vectorised pass.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from dagster import (
    BackfillPolicy,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

PARTITIONS_START = "2023-01-01"
ORGANISATIONS = DynamicPartitionsDefinition(name="organisations")
# end_offset=1 includes today's UTC day: for organisations east of UTC (Auckland is UTC+13) their "yesterday" can be
# today in UTC. A day that has not ended in the organisation's own time zone is refused by `layers.check_dates`.
DAYS = DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)
DAY_BY_ORG = MultiPartitionsDefinition({"date": DAYS, "org": ORGANISATIONS})
SINGLE_RUN = BackfillPolicy.single_run()


def partition_key(day: str, org_id: str) -> MultiPartitionKey:
    return MultiPartitionKey({"date": day, "org": org_id})


def dates_by_org(partition_keys) -> dict[str, pd.DatetimeIndex]:
    """Group a run's partition keys into the as-of dates of each organisation."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for key in partition_keys:
        dims = key.keys_by_dimension if isinstance(key, MultiPartitionKey) else _split(key)
        grouped[dims["org"]].append(dims["date"])
    return {org: pd.DatetimeIndex(sorted(days), name="as_of") for org, days in sorted(grouped.items())}


def _split(key: str) -> dict[str, str]:
    day, org = key.split("|", 1)  # MultiPartitionKey string form: dimension values in name order (date, org)
    return {"date": day, "org": org}
