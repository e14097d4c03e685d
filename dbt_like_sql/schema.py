"""Tables the Python side writes: raw landing tables (one per source) and the output contract.

The canonical tables in between are built by the SQL models (`models/`), whose columns are declared in their YAML.
Output tables are read by BI tools and the report: their columns are documented in the README, and every row carries
`org_id`, `as_of` and the `model_version` that produced it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

JSON_PAYLOAD = sa.JSON().with_variant(JSONB(), "postgresql")
SOURCES = ("sandbox", "salesforce", "hubspot", "partnerstack", "impartner", "crossbeam", "file_export")


def raw_table(source: str) -> sa.Table:
    """`raw_<source>`: one row per version of a source record, with its provenance envelope (docs/canonical_tables.md)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; known sources: {', '.join(SOURCES)}")
    name = f"raw_{source}"
    if name in metadata.tables:
        return metadata.tables[name]
    return sa.Table(
        name,
        metadata,
        sa.Column("org_id", sa.String(64), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("source_id", sa.String(255), primary_key=True),
        sa.Column("source_updated_at", sa.DateTime(), primary_key=True),
        sa.Column("payload_hash", sa.String(64), primary_key=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("connector_version", sa.String(64), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False, default=False),
        sa.Column("payload", JSON_PAYLOAD, nullable=False),
        sa.Index(f"ix_{name}_stream_updated", "org_id", "stream", "source_updated_at"),
    )


for _source in SOURCES:
    raw_table(_source)


# Incremental cursor per (organisation, source, stream): how far a connector has landed. Advanced only after the
# rows it covers are committed to raw_<source>, so a sync killed at any point resumes from there.
connector_cursors = sa.Table(
    "connector_cursors",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("cursor", sa.Text(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
)


def _output_keys() -> list[sa.Column]:
    return [
        sa.Column("org_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date(), primary_key=True),
    ]


apex_signal_values = sa.Table(
    "apex_signal_values",
    metadata,
    *_output_keys(),
    sa.Column("signal_id", sa.String(96), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("dimension", sa.String(4), nullable=False),
    sa.Column("value", sa.Float()),
    sa.Column("n", sa.Float()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("score", sa.Float()),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_dimension_scores = sa.Table(
    "apex_dimension_scores",
    metadata,
    *_output_keys(),
    sa.Column("dimension", sa.String(4), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("dimension_name_en", sa.String(64), nullable=False),
    sa.Column("dimension_name_nl", sa.String(64), nullable=False),
    sa.Column("score", sa.Float()),
    sa.Column("score_low", sa.Float(), nullable=False),
    sa.Column("score_high", sa.Float(), nullable=False),
    sa.Column("coverage", sa.Float(), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("capability_level", sa.Integer()),
    sa.Column("weight", sa.Float(), nullable=False),
    sa.Column("n_present", sa.Integer(), nullable=False),
    sa.Column("n_stale", sa.Integer(), nullable=False),
    sa.Column("n_missing", sa.Integer(), nullable=False),
    sa.Column("n_not_applicable", sa.Integer(), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_ecosystem_health = sa.Table(
    "apex_ecosystem_health",
    metadata,
    *_output_keys(),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("overall_score", sa.Float()),
    sa.Column("overall_low", sa.Float(), nullable=False),
    sa.Column("overall_high", sa.Float(), nullable=False),
    sa.Column("arithmetic_mean", sa.Float()),
    sa.Column("weakest_dimension", sa.String(4)),
    sa.Column("weakest_score", sa.Float()),
    sa.Column("coverage", sa.Float(), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("stage_source", sa.String(16), nullable=False),
    sa.Column("stage_position", sa.Float(), nullable=False),
    sa.Column("stage_shares", sa.JSON(), nullable=False),
    sa.Column("active_partners", sa.Integer(), nullable=False),
    sa.Column("programme_age_days", sa.Integer(), nullable=False),
    sa.Column("maturity_level", sa.Integer(), nullable=False),
    sa.Column("maturity_level_raw", sa.Integer(), nullable=False),
    sa.Column("maturity_provisional", sa.Boolean(), nullable=False),
    sa.Column("next_level_needs", sa.JSON(), nullable=False),
    sa.Column("next_level_en", sa.Text(), nullable=False),
    sa.Column("next_level_nl", sa.Text(), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_partner_signal_values = sa.Table(
    "apex_partner_signal_values",
    metadata,
    *_output_keys(),
    sa.Column("signal_id", sa.String(96), primary_key=True),
    sa.Column("partner_id", sa.String(255), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("dimension", sa.String(4), nullable=False),
    sa.Column("value", sa.Float()),
    sa.Column("n", sa.Float(), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_score_changes = sa.Table(
    "apex_score_changes",
    metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("from_date", sa.Date(), primary_key=True),
    sa.Column("to_date", sa.Date(), primary_key=True),
    sa.Column("dimension", sa.String(4), primary_key=True),
    sa.Column("signal_id", sa.String(96), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("effect", sa.String(16), nullable=False),
    sa.Column("status_from", sa.String(16)),
    sa.Column("status_to", sa.String(16)),
    sa.Column("score_from", sa.Float()),
    sa.Column("score_to", sa.Float()),
    sa.Column("contribution", sa.Float()),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
    sa.Index("ix_apex_score_changes_to", "org_id", "to_date"),
)

OUTPUT_TABLES = (apex_signal_values, apex_dimension_scores, apex_ecosystem_health, apex_partner_signal_values,
                 apex_score_changes)


def ensure_tables(engine: sa.Engine) -> None:
    """Create the raw and output tables that do not exist yet (never alters or drops)."""
    metadata.create_all(engine, checkfirst=True)

import dbt_like_sql.drift_schema  # noqa: E402,F401  (drift and alert tables on the same metadata)
from dbt_like_sql import quality_tables, quarantine  # noqa: E402,F401  (their tables join the shared metadata)
import dbt_like_sql.measure_schema  # noqa: E402,F401  (Measure-phase tables on the same metadata)
