"""Warehouse tables of the Measure phase (output contract, documented in the README, "Measure").

- `apex_cycles`: cycle history, one row per organisation, cycle and dimension: baseline, target, latest result.
- `apex_measure`: per organisation, day and dimension inside a cycle: movement since baseline, share of the way to
  target, on track at the current pace, the signals that moved it, and whether a non-focus move is a surprise.
- `survey_imports`, `survey_answers`, `survey_held_back`: imported quick-scan files, their accepted answers (one row
  per respondent, day and item) and the answers held back with their reason.
- `apex_survey_signals`: survey score per organisation, day, dimension and respondent group, with its age and
  confidence (shown beside the data score, never blended into it).
- `apex_perception_gaps`: self-assessment vs measured, and leadership vs operations, per dimension and day.
- `apex_peer_benchmark`: percentile within the stage cohort, per organisation, day and dimension (anonymised).
- `apex_reports`: the report files written, per organisation, day and language.
"""

from __future__ import annotations

import sqlalchemy as sa

from dbt_like_sql.schema import JSON_PAYLOAD, metadata


def _keys(*extra: sa.Column) -> list[sa.Column]:
    return [sa.Column("org_id", sa.String(64), primary_key=True), sa.Column("as_of", sa.Date(), primary_key=True),
            *extra, sa.Column("model_version", sa.String(32), primary_key=True)]


apex_cycles = sa.Table(
    "apex_cycles", metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("cycle_id", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(4), primary_key=True),
    sa.Column("model_version", sa.String(32), primary_key=True),
    sa.Column("phase", sa.String(12), nullable=False),
    sa.Column("start_on", sa.Date(), nullable=False),
    sa.Column("end_on", sa.Date(), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("is_focus", sa.Boolean(), nullable=False),
    sa.Column("target", sa.Float()),
    sa.Column("baseline", sa.Float()),
    sa.Column("baseline_on", sa.Date()),
    sa.Column("latest_score", sa.Float()),
    sa.Column("latest_on", sa.Date()),
    sa.Column("movement", sa.Float()),
    sa.Column("share_to_target", sa.Float()),
    sa.Column("previous_cycle_id", sa.String(64)),
    sa.Column("previous_result", sa.Float()),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_measure = sa.Table(
    "apex_measure", metadata,
    *_keys(sa.Column("dimension", sa.String(4), primary_key=True)),
    sa.Column("cycle_id", sa.String(64), nullable=False),
    sa.Column("phase", sa.String(12), nullable=False),
    sa.Column("is_focus", sa.Boolean(), nullable=False),
    sa.Column("baseline", sa.Float()),
    sa.Column("baseline_on", sa.Date()),
    sa.Column("score", sa.Float()),
    sa.Column("movement", sa.Float()),
    sa.Column("target", sa.Float()),
    sa.Column("share_to_target", sa.Float()),
    sa.Column("days_elapsed", sa.Integer()),
    sa.Column("days_total", sa.Integer(), nullable=False),
    sa.Column("projected_end", sa.Float()),
    sa.Column("on_track", sa.Boolean()),
    sa.Column("is_surprise", sa.Boolean(), nullable=False),
    sa.Column("moved_by", JSON_PAYLOAD, nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

survey_imports = sa.Table(
    "survey_imports", metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("import_id", sa.String(32), primary_key=True),
    sa.Column("file_name", sa.Text(), nullable=False),
    sa.Column("file_format", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("answers", sa.Integer(), nullable=False),
    sa.Column("held_back", sa.Integer(), nullable=False),
    sa.Column("reason", sa.Text()),
    sa.Column("imported_at", sa.DateTime(), nullable=False),
)

survey_answers = sa.Table(
    "survey_answers", metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("respondent_id", sa.String(128), primary_key=True),
    sa.Column("answered_on", sa.Date(), primary_key=True),
    sa.Column("item", sa.String(32), primary_key=True),
    sa.Column("import_id", sa.String(32), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("dimension", sa.String(4), nullable=False),
    sa.Column("value", sa.Integer(), nullable=False),
    sa.Column("imported_at", sa.DateTime(), nullable=False),
)

survey_held_back = sa.Table(
    "survey_held_back", metadata,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("import_id", sa.String(32), primary_key=True),
    sa.Column("row", sa.String(64), primary_key=True),
    sa.Column("respondent_id", sa.String(128)),
    sa.Column("item", sa.String(64)),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("detected_at", sa.DateTime(), nullable=False),
)

apex_survey_signals = sa.Table(
    "apex_survey_signals", metadata,
    *_keys(sa.Column("dimension", sa.String(4), primary_key=True), sa.Column("group", sa.String(12), primary_key=True)),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("respondents", sa.Integer(), nullable=False),
    sa.Column("newest_on", sa.Date(), nullable=False),
    sa.Column("age_days", sa.Integer(), nullable=False),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_perception_gaps = sa.Table(
    "apex_perception_gaps", metadata,
    *_keys(sa.Column("dimension", sa.String(4), primary_key=True), sa.Column("kind", sa.String(32), primary_key=True)),
    sa.Column("left_score", sa.Float(), nullable=False),
    sa.Column("right_score", sa.Float(), nullable=False),
    sa.Column("gap", sa.Float(), nullable=False),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("notable", sa.Boolean(), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_peer_benchmark = sa.Table(
    "apex_peer_benchmark", metadata,
    *_keys(sa.Column("dimension", sa.String(8), primary_key=True)),
    sa.Column("cohort", sa.String(32), nullable=False),
    sa.Column("cohort_size", sa.Integer(), nullable=False),
    sa.Column("percentile", sa.Float(), nullable=False),
    sa.Column("computed_at", sa.DateTime(), nullable=False),
)

apex_reports = sa.Table(
    "apex_reports", metadata,
    *_keys(sa.Column("language", sa.String(2), primary_key=True)),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("pdf_path", sa.Text()),
    sa.Column("bytes", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("written_at", sa.DateTime(), nullable=False),
)
