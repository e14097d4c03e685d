"""Dagster resources: the warehouse and the deployment configuration, both set through environment variables.

`EnvVar` is resolved when a run launches and is hidden in the UI (unlike `os.getenv` at import), so a warehouse
password in `WAREHOUSE_URL` never shows in the UI, in run config or in metadata.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from dagster import ConfigurableResource

from apex_model.model import ApexModel, load_model
from dbt_like_sql.warehouse import make_engine, redact_url
from pipelines.deployment import Deployment, load_deployment


@functools.cache
def _engine(url: str) -> sa.Engine:
    return make_engine(url)


class WarehouseResource(ConfigurableResource):
    """The warehouse: a SQLAlchemy URL (sqlite:///... by default, postgresql+psycopg://... in production)."""

    url: str

    def engine(self) -> sa.Engine:
        return _engine(self.url)

    @property
    def display_url(self) -> str:
        return redact_url(self.url)


class ApexConfigResource(ConfigurableResource):
    """The deployment file (organisations and sources) and the scoring model file."""

    deployment_path: str
    model_path: str = ""

    def model(self) -> ApexModel:
        return load_model(self.model_path or None)

    def deployment(self) -> Deployment:
        return load_deployment(self.deployment_path, self.model())
