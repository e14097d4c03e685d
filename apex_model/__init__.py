"""The APEX frame as data (`model.yaml`) and scoring as pure functions. No Dagster, no database."""

from apex_model.errors import ApexConfigError
from apex_model.model import DIMENSION_IDS, ApexModel, load_model

__all__ = ["DIMENSION_IDS", "ApexConfigError", "ApexModel", "load_model"]
