"""The asset checks are generated for every layer, per partition, and are the reviewed list."""

from __future__ import annotations

from pipelines.definitions import defs
from pipelines.partitions import DAY_BY_ORG

# Reviewed list: a check is what the UI shows on an asset and what blocks its downstream.
EXPECTED_CHECKS = {
    "alerts/apex_alert_deliveries:every_delivery_succeeded": False,
    "canonical/tables:contracts": True,
    "canonical/tables:quality_status_contract": True,
    "canonical/tables:quarantine": True,
    "canonical/tables:source_freshness": False,
    "canonical/tables:source_volume": True,
    "raw/raw_crossbeam:envelope_contract": False,
    "raw/raw_file_export:envelope_contract": False,
    "raw/raw_hubspot:envelope_contract": False,
    "raw/raw_impartner:envelope_contract": False,
    "raw/raw_partnerstack:envelope_contract": False,
    "raw/raw_salesforce:envelope_contract": False,
    "raw/raw_sandbox:envelope_contract": False,
    "measure/apex_measure:output_contract": True,
    "scores/apex_dimension_scores:output_contract": True,
    "scores/apex_ecosystem_health:output_contract": True,
    "scores/apex_score_changes:output_contract": True,
    "signals/apex_partner_signal_values:output_contract": True,
    "signals/apex_signal_values:output_contract": True,
}


def test_check_keys_and_blocking_match_the_reviewed_list() -> None:
    graph = defs.resolve_asset_graph()
    specs = {f"{key.asset_key.to_user_string()}:{key.name}": graph.get_check_spec(key)
             for key in graph.asset_check_keys}
    assert {k: s.blocking for k, s in specs.items()} == EXPECTED_CHECKS
    for key, spec in specs.items():
        if not key.startswith("alerts/"):     # the data-quality checks run per partition, like their assets
            assert spec.partitions_def == DAY_BY_ORG, key
            assert spec.description, key


def test_the_daily_job_runs_the_checks() -> None:
    ops = {node.name for node in defs.resolve_job_def("apex_daily_job").graph.node_defs}
    assert {"raw_sandbox_checks", "canonical_quality_checks", "apex_signal_values_checks",
            "apex_dimension_scores_checks", "apex_ecosystem_health_checks", "apex_partner_signal_values_checks",
            "apex_score_changes_checks"} <= ops
