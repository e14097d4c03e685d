"""Everything the canonical layer's checks judge for one organisation and a set of days, in one call.

`assess_organisation` runs the canonical tables' contracts as Great Expectations suites, judges every source stream's
freshness, volume and quarantine share over the days, combines them into the per-dimension status, writes it to
`apex_data_quality_status`, and validates that table against its own contract. The Dagster checks
(`pipelines/checks.py`) turn the report into check results; a test can call it on any warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from apex_model.model import ApexModel
from data_quality import status as dq_status
from data_quality.streams import stream_status
from data_quality.suites import RuleOutcome, batch_for, validate
from dbt_like_sql.contracts import output_contract
from dbt_like_sql.project import Project, default_project
from dbt_like_sql.quarantine import quarantined_records


@dataclass
class QualityReport:
    org_id: str
    dates: pd.DatetimeIndex
    contracts: list[RuleOutcome] | None      # None when the contract suites were not run
    streams: pd.DataFrame                    # streams.stream_status
    table_held: dict[str, dict[str, int]]    # rows held at canonical tables: {table: {rule: rows}}
    staging_held: dict[str, dict[str, int]]  # record versions held at staging models: {model: {rule: rows}}
    status: pd.DataFrame                     # status.assess
    status_contract: list[RuleOutcome] | None

    @property
    def held_back_days(self) -> pd.DatetimeIndex:
        days = self.status.loc[self.status["held_back"], "as_of"].unique()
        return pd.DatetimeIndex(sorted(days))


def held_by_model(engine: sa.Engine, org_id: str) -> dict[str, dict[str, int]]:
    """Open quarantined rows of an organisation: {model: {rule: rows}}."""
    q = quarantined_records
    query = (sa.select(q.c.model, q.c.rule, sa.func.count()).where(q.c.org_id == org_id, q.c.released_at.is_(None))
             .group_by(q.c.model, q.c.rule))
    out: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for model, rule, n in conn.execute(query).all():
            out.setdefault(model, {})[rule] = int(n)
    return out


def assess_organisation(engine: sa.Engine, url: str, model: ApexModel, org_id: str, dates,
                        project: Project | None = None, run_contracts: bool = True,
                        check_status_contract: bool = True) -> QualityReport:
    """Judge one organisation's inputs for `dates`, write its data-quality status, and report."""
    project = project or default_project()
    dates = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(dates).normalize())), name="as_of")
    contracts = validate(url, [batch_for(m, org_id) for m in project.marts]) if run_contracts else None
    streams = stream_status(engine, org_id, dates, project)
    held = held_by_model(engine, org_id)
    tables = {m.name for m in project.marts}
    table_held = {m: rules for m, rules in held.items() if m in tables}
    staging_held = {m: rules for m, rules in held.items() if m not in tables}
    status = dq_status.assess(model, project, org_id, dates, streams, contracts, table_held)
    dq_status.write(engine, status, model.version)
    status_contract = None
    if check_status_contract:
        days = (str(dates[0].date()), str(dates[-1].date()))
        status_contract = validate(url, [batch_for(output_contract("apex_data_quality_status"), org_id, days,
                                                   model_version=model.version)])
    return QualityReport(org_id, dates, contracts, streams, table_held, staging_held, status, status_contract)
