"""Production shape: the daily job through `Definitions` with its EnvVar resources, PostgreSQL as the warehouse and
dagster-postgres as the instance storage."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey, DagsterInstance

from dbt_like_sql.warehouse import make_engine
from pipelines.cli import run_range, sync_organisations
from pipelines.deployment import load_deployment
from tests.conftest import pg_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_dagster_home(tmp_path, monkeypatch) -> str:
    url = sa.engine.make_url(pg_url())
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump({
        "storage": {"postgres": {"postgres_db": {
            "username": url.username, "password": {"env": "TEST_DAGSTER_PG_PASSWORD"}, "hostname": url.host,
            "db_name": f"{url.database}_dagster", "port": url.port, "scheme": "postgresql+psycopg2"}}},
        "telemetry": {"enabled": False},
    }))
    monkeypatch.setenv("TEST_DAGSTER_PG_PASSWORD", url.password)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return str(home)


def test_daily_job_on_postgres_warehouse_and_instance(pg_dagster_home, pg_schema_url, small_config, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", pg_schema_url)
    monkeypatch.setenv("APEX_CONFIG", small_config)
    with DagsterInstance.get() as instance:
        sync_organisations(instance, load_deployment(small_config))
        result = run_range(instance, "tiny", pd.Timestamp("2026-03-01").date(), pd.Timestamp("2026-03-10").date())
        assert result.success
        materialized = instance.get_materialized_partitions(AssetKey(["scores", "apex_ecosystem_health"]))
        assert {f"2026-03-{d:02d}|tiny" for d in range(1, 11)} <= set(materialized)
        run = instance.get_run_by_id(result.run_id)
        # The warehouse URL (with its password) is resolved from the environment, never stored in the run config.
        assert "apex_test:apex_test" not in str(run.run_config)
    engine = make_engine(pg_schema_url)
    with engine.connect() as conn:
        days = conn.execute(sa.text("select count(distinct as_of) from apex_ecosystem_health where org_id = 'tiny'"))
        assert days.scalar_one() == 10
    engine.dispose()
