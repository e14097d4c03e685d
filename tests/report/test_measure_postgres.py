"""The Measure layer, its contracts and the report on PostgreSQL give what they give on SQLite.

The inputs (scores, signal values, health, survey answers, alerts, data-quality status, partner values, partners) are
copied from the SQLite warehouse the job built; the Measure layer then runs on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from apex_model.model import load_model
from data_quality.suites import batch_for, validate
from dbt_like_sql.contracts import output_contract
from dbt_like_sql.measure_schema import survey_answers
from dbt_like_sql.quality_tables import apex_data_quality_status
from dbt_like_sql.drift_schema import apex_alerts
from dbt_like_sql.schema import (apex_dimension_scores, apex_ecosystem_health, apex_partner_signal_values,
                                 apex_signal_values, ensure_tables)
from dbt_like_sql.warehouse import make_engine
from pipelines.deployment import load_deployment
from pipelines.measure import compute_measure_layer
from pipelines.report import gather
from report.render import render_html
from tests.report.conftest import END

COPIED = (apex_dimension_scores, apex_signal_values, apex_ecosystem_health, survey_answers, apex_alerts,
          apex_data_quality_status, apex_partner_signal_values)


@pytest.mark.postgres
def test_measure_layer_and_report_on_postgresql(measured, pg_schema_url) -> None:
    model = load_model()
    deployment = load_deployment(measured["config"], model)
    lite = make_engine(measured["url"])
    pg = make_engine(pg_schema_url)
    ensure_tables(pg)
    with lite.connect() as src, pg.begin() as dst:
        for table in COPIED:
            rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
            if rows:
                dst.execute(sa.insert(table), rows)
    day = date.fromisoformat(END)
    tiny = deployment.organisation("tiny")
    dates = pd.date_range("2026-03-01", END)
    on_pg = compute_measure_layer(pg, model, deployment, tiny, dates)
    on_lite = compute_measure_layer(lite, model, deployment, tiny, dates)
    cols = ["as_of", "dimension", "baseline", "score", "movement", "share_to_target", "on_track", "is_surprise"]
    pd.testing.assert_frame_equal(on_pg.measure[cols], on_lite.measure[cols])
    assert [list(x) for x in on_pg.measure["moved_by"]] == [list(x) for x in on_lite.measure["moved_by"]]
    pd.testing.assert_frame_equal(on_pg.survey, on_lite.survey)
    pd.testing.assert_frame_equal(on_pg.gaps, on_lite.gaps)
    # The contracts of the Measure tables hold on PostgreSQL too (including the quoted column "group").
    window = (str(dates[0].date()), END)
    outcomes = validate(pg_schema_url, [batch_for(output_contract(name), "tiny", window, model_version=model.version)
                                        for name in ("apex_measure", "apex_survey_signals", "apex_perception_gaps")])
    assert outcomes and all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]
    pg_data = gather(pg, model, deployment, tiny, day, "nl")
    lite_data = gather(lite, model, deployment, tiny, day, "nl")
    pg_data.generated_at = lite_data.generated_at = "fixed"
    # the partner table needs the canonical partners table, which was not copied: names fall back to ids
    pg_data.partners = lite_data.partners = None
    assert render_html(pg_data) == render_html(lite_data)
    lite.dispose()
    pg.dispose()
