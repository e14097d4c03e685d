"""`apex_data_quality_status`: the data-quality status behind every (organisation, day, dimension) score.

Written by the canonical layer's checks (`data_quality/status.py`), read by the signal layer (stale inputs lower a
dimension's coverage), by the score layers (days held back by a blocking failure are not scored) and by drift
alerting (no alert where `status` is `failed` or `fresh` is false). Its contract is
`table_contracts/apex_data_quality_status.yml`; the columns are documented in the README.
"""

from __future__ import annotations

import sqlalchemy as sa

from dbt_like_sql.schema import metadata

apex_data_quality_status = sa.Table(
    "apex_data_quality_status",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date(), primary_key=True),
    sa.Column("dimension", sa.String(4), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fresh", sa.Boolean(), nullable=False),
    sa.Column("held_back", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("sources", sa.JSON(), nullable=False),
    sa.Column("checks", sa.JSON(), nullable=False),
    sa.Column("stale_tables", sa.JSON(), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)
