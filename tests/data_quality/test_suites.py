"""The Great Expectations suites generated from a table's contract judge rows exactly as the runner's tests do."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import sqlalchemy as sa

from data_quality.suites import batch_for, validate
from dbt_like_sql.contracts import output_contract, rules
from dbt_like_sql.project import default_project
from dbt_like_sql.runner import prepare, run_tests
from dbt_like_sql.schema import ensure_tables


def _opportunity(oid: str, **over) -> dict:
    return {"org_id": "acme", "source": "sandbox", "opportunity_id": oid, "partner_id": None, "attribution": "none",
            "created_on": date(2026, 3, 1), "closed_on": None, "status": "open", "amount": 100.0, "currency": "EUR",
            "segment": "smb", "region": "emea", "customer_id": None, "is_new_logo": False, "campaign_id": None,
            "registration_id": None, "expected_close_on": None, "amount_eur": 100.0} | over


def test_suite_and_runner_agree_and_report_ids_only(engine) -> None:
    project = default_project()
    ensure_tables(engine)
    prepare(engine, project)
    model = project.by_name["opportunities"]
    rows = [_opportunity(f"O{i}") for i in range(20)] + [
        _opportunity("O3"),                                                      # duplicate id
        _opportunity("BAD-1", status="won", closed_on=date(2026, 2, 1)),         # closed before created
        _opportunity("BAD-2", status="pending"),                                 # status outside the set
        _opportunity("BAD-3", segment="galactic", customer_id="secret@example.com"),
        _opportunity("BAD-4", attribution="sourced"),                            # attributed without a partner
        _opportunity("BAD-5", created_on=None),
    ]
    table = sa.Table("opportunities", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
        conn.execute(table.insert(), [_opportunity("X1", org_id="other", status="nonsense")])

    outcomes = validate(engine.url.render_as_string(hide_password=False), [batch_for(model, "acme")])
    by_rule = {o.rule: o for o in outcomes}
    # GX counts both rows of the duplicated id; closed_iff_decided breaks for BAD-2 (not open, yet no close date).
    expected_failures = {"grain_unique": 2, "closed_after_created": 1, "status_accepted_values": 1,
                         "segment_accepted_values": 1, "partner_when_attributed": 1, "created_on_not_null": 1,
                         "closed_iff_decided": 1}
    failed = {o.rule: o.failing_rows for o in outcomes if not o.passed}
    assert failed == expected_failures
    assert by_rule["segment_accepted_values"].severity == "warn"
    assert by_rule["status_accepted_values"].expectation == "expect_column_values_to_be_in_set"
    assert by_rule["closed_after_created"].expectation == "unexpected_rows_expectation"
    assert by_rule["closed_after_created"].sample_keys == [{"opportunity_id": "BAD-1"}]
    assert by_rule["status_accepted_values"].sample_keys == [{"opportunity_id": "BAD-2"}]
    assert sorted(k["opportunity_id"] for k in by_rule["grain_unique"].sample_keys) == ["O3", "O3"]
    for outcome in outcomes:   # ids only: never a payload value such as the customer's address or the bad value
        for key in outcome.sample_keys:
            assert set(key) == {"opportunity_id"}
        assert "secret@example.com" not in str(outcome.as_dict()) and "galactic" not in str(outcome.as_dict())

    # The runner's SQL tests judge the same rows the same way (same declarations, same predicates).
    runner = {t.test: t.failing_rows for t in run_tests(engine, model, "acme", project) if not t.passed}
    assert runner == {rule: (1 if rule == "grain_unique" else n) for rule, n in expected_failures.items()}
    assert {r.name for r in rules(model) if r.severity in ("error", "warn")} <= set(by_rule)


def test_output_contract_catches_a_score_outside_its_range(engine) -> None:
    from dbt_like_sql.schema import apex_dimension_scores

    ensure_tables(engine)
    base = {"org_id": "acme", "model_version": "t", "dimension_name_en": "x", "dimension_name_nl": "x",
            "score_low": 10.0, "score_high": 90.0, "coverage": 1.0, "status": "ok", "capability_level": 2,
            "weight": 0.125, "n_present": 3, "n_stale": 0, "n_missing": 0, "n_not_applicable": 0,
            "computed_at": datetime(2026, 3, 2, 6, 0)}
    with engine.begin() as conn:
        conn.execute(apex_dimension_scores.insert(), [
            base | {"as_of": date(2026, 3, 1), "dimension": "D1", "score": 50.0},
            base | {"as_of": date(2026, 3, 1), "dimension": "D2", "score": 95.0},          # above its own high
            base | {"as_of": date(2026, 3, 1), "dimension": "D3", "score": None, "status": "ok"},  # ok needs a score
        ])
    batch = batch_for(output_contract("apex_dimension_scores"), "acme", ("2026-03-01", "2026-03-01"),
                      model_version="t")
    failed = {o.rule: o for o in validate(engine.url.render_as_string(hide_password=False), [batch]) if not o.passed}
    assert set(failed) == {"range_contains_score", "scored_when_ok"}
    assert failed["range_contains_score"].sample_keys == [{"as_of": "2026-03-01", "dimension": "D2",
                                                           "model_version": "t"}]


def test_loading_the_definitions_does_not_import_great_expectations() -> None:
    code = "import sys, pipelines.definitions; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
