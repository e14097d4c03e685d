"""A warehouse with two sandbox organisations run through the whole daily job, Measure and report included.

Built once per test session (the job over 45 days for two organisations), on SQLite. Each organisation has its own cycles
and its own quick-scan files (CSV for one, form JSON for the other), plus a malformed file that must fail.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, materialize

from connectors.sandbox import SandboxProfile
from connectors.sandbox.surveys import survey_answers, write_csv, write_form_json
from pipelines.assets.canonical import canonical_tables
from pipelines.assets.drift import apex_drift_events
from pipelines.assets.measure import apex_measure, apex_report
from pipelines.assets.raw import raw_sandbox
from pipelines.assets.scores import (apex_dimension_scores, apex_ecosystem_health, apex_partner_signal_values,
                                     apex_score_changes, apex_signal_values)
from pipelines.checks import output_checks
from pipelines.partitions import ORGANISATIONS, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource

ASSETS = [raw_sandbox, canonical_tables, apex_signal_values, apex_partner_signal_values, apex_score_changes,
          apex_dimension_scores, apex_ecosystem_health, apex_drift_events, apex_measure, apex_report,
          output_checks(apex_measure.key, "apex_measure", "apex_survey_signals", "apex_perception_gaps",
                        "apex_peer_benchmark")]
START, END = "2026-02-01", "2026-03-17"
TINY_PROFILE = {"stage": "early_stage", "maturity": 2, "seed": 11, "history_start": "2025-01-01"}
OTHER_PROFILE = {"stage": "growth", "maturity": 4, "seed": 5, "history_start": "2025-01-01"}


def organisations() -> list[dict]:
    return [
        {"id": "tiny", "name": "Tiny Partners BV", "timezone": "Europe/Amsterdam", "language": "nl",
         "sources": [{"type": "sandbox", "profile": TINY_PROFILE}],
         "cycles": [{"id": "tiny-q1", "phase": "measure", "start": "2026-01-01", "end": "2026-02-28",
                     "focus": [{"dimension": "D2", "target": 60}, {"dimension": "D6", "target": 55}]},
                    {"id": "tiny-spring", "phase": "measure", "start": "2026-03-01", "end": "2026-06-30",
                     "focus": [{"dimension": "D4", "target": 75}, {"dimension": "D5", "target": 60}]}],
         "surveys": ["surveys/tiny-scan.csv", "surveys/tiny-ten-point.csv"]},
        {"id": "zephyr", "name": "Zephyr Alliances GmbH", "timezone": "UTC", "language": "en",
         "sources": [{"type": "sandbox", "profile": OTHER_PROFILE}],
         "cycles": [{"id": "zephyr-wave", "phase": "build", "start": "2026-02-10", "end": "2026-05-31",
                     "focus": [{"dimension": "D1", "target": 80}, {"dimension": "D3", "target": 85},
                               {"dimension": "D8", "target": 90}]}],
         "surveys": ["surveys/zephyr-export.json"]},
    ]


def write_surveys(folder: Path) -> None:
    write_csv(folder / "tiny-scan.csv", survey_answers("tiny", SandboxProfile(**TINY_PROFILE), date(2026, 2, 20)))
    write_form_json(folder / "zephyr-export.json",
                    survey_answers("zephyr", SandboxProfile(**OTHER_PROFILE), date(2026, 3, 2)))
    (folder / "tiny-ten-point.csv").write_text("respondent,role,date,item,value\nx1,leadership,2026-02-20,D1,9\n"
                                               "x1,leadership,2026-02-20,D2,8\n")


@pytest.fixture(scope="session")
def measured(tmp_path_factory):
    """(warehouse URL, config path, report folder, materialisation result) after the job ran for both orgs."""
    tmp = tmp_path_factory.mktemp("measure")
    write_surveys(tmp / "surveys")
    reports = tmp / "reports"
    config = tmp / "apex.yaml"
    config.write_text(yaml.safe_dump({"organisations": organisations(),
                                      "measure": {"reports": {"dir": str(reports)}}}, sort_keys=False))
    url = f"sqlite:///{tmp}/warehouse.sqlite"
    resources = {"warehouse": WarehouseResource(url=url),
                 "apex_config": ApexConfigResource(deployment_path=str(config))}
    results = {}
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(ORGANISATIONS.name, ["tiny", "zephyr"])
        for org in ("tiny", "zephyr"):
            tags = {"dagster/asset_partition_range_start": str(partition_key(START, org)),
                    "dagster/asset_partition_range_end": str(partition_key(END, org))}
            results[org] = materialize(ASSETS, instance=instance, resources=resources, tags=tags)
    return {"url": url, "config": str(config), "reports": reports, "results": results, "tmp": tmp}
