"""The daily job: every layer, raw to ecosystem health, for the partitions of a run."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

apex_daily_job = define_asset_job(
    "apex_daily_job",
    selection=AssetSelection.all(),
    description="Land each source's changes, rebuild the canonical tables, and compute signals, dimension scores, "
                "health and maturity for the run's days and organisations.",
)
