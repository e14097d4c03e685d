"""Fixtures for running the real Dagster job on small sandbox organisations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

SMALL_ORG = {
    "id": "tiny",
    "name": "Tiny Partners BV",
    "timezone": "Europe/Amsterdam",
    "sources": [{"type": "sandbox", "profile": {"stage": "early_stage", "maturity": 2, "seed": 11,
                                                "history_start": "2025-01-01"}}],
}
SECOND_ORG = {
    "id": "second",
    "name": "Second Org",
    "timezone": "UTC",
    "sources": [{"type": "sandbox", "profile": {"stage": "early_stage", "maturity": 4, "seed": 5,
                                                "history_start": "2025-01-01"}}],
}


def write_config(path: Path, organisations: list[dict]) -> str:
    path.write_text(yaml.safe_dump({"organisations": organisations}, sort_keys=False))
    return str(path)


@pytest.fixture
def small_config(tmp_path) -> str:
    return write_config(tmp_path / "apex.yaml", [SMALL_ORG, SECOND_ORG])
