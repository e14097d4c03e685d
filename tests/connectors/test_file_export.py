"""File exports (CSV and Excel) mapped by a declarative column mapping into the canonical tables."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from connectors import sync
from connectors.file_export import ExportFile, FileExportConnector, FileExportSource, write_export
from dbt_like_sql.runner import build, read_table
from dbt_like_sql.warehouse import make_engine
from tests.connectors.simhelpers import landed


@pytest.fixture
def wh(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/wh.sqlite")
    yield engine
    engine.dispose()


PARTNERS = [
    {"Partner Key": "PTR-1", "Company": "Alpha Cloud", "Website": "alpha.example", "Kind": "reseller",
     "Level": "gold", "Region": "emea", "Country": "NL", "Joined": "2025-02-01", "Modified": "2025-06-01T10:00:00Z"},
    {"Partner Key": "PTR-2", "Company": "Beta IT", "Website": "beta.example", "Kind": "msp", "Level": "silver",
     "Region": "na", "Country": "US", "Joined": "2025-03-15", "Modified": "2025-06-02T11:30:00Z"},
]
ENROLMENTS = [
    {"record_id": "E1", "partner_id": "PTR-1", "person_id": "P1", "course_id": "C1", "enrolled_on": "2025-04-01",
     "completed_on": "2025-04-20", "last_modified": "2025-04-20T09:00:00Z"},
    {"record_id": "E2", "partner_id": "PTR-2", "person_id": "P2", "course_id": "C1", "enrolled_on": "2025-05-01",
     "completed_on": None, "last_modified": "2025-05-01T09:00:00Z"},
    {"record_id": "E3", "partner_id": "PTR-2", "person_id": "P3", "course_id": "C2", "enrolled_on": "2025-13-01",
     "completed_on": None, "last_modified": "2025-05-02T09:00:00Z"},                    # unparseable date
    {"record_id": None, "partner_id": "PTR-1", "person_id": "P4", "course_id": "C2", "enrolled_on": "2025-05-03",
     "completed_on": None, "last_modified": "2025-05-03T09:00:00Z"},                    # missing id
    {"record_id": "E5", "partner_id": "PTR-404", "person_id": "P5", "course_id": "C2", "enrolled_on": "2025-05-04",
     "completed_on": None, "last_modified": "2025-05-04T09:00:00Z"},                    # no such partner
]
PARTNER_MAP = {"partner_id": "Partner Key", "name": "Company", "domain": "Website", "partner_type": "Kind",
               "tier": "Level", "region": "Region", "country": "Country", "onboarded_on": "Joined"}


def source(directory) -> FileExportSource:
    return FileExportSource(type="file_export", directory=str(directory), files=(
        ExportFile(stream="partners", path="partners.xlsx", id_column="Partner Key", updated_column="Modified",
                   columns=PARTNER_MAP),
        ExportFile(stream="training_enrolments", path="enrolments.csv", id_column="record_id",
                   updated_column="last_modified", columns={"enrolment_id": "record_id"}),
    ))


def test_csv_and_excel_exports_map_into_the_canonical_tables(tmp_path, engine):
    wh = engine
    write_export(tmp_path / "partners.xlsx", PARTNERS, list(PARTNERS[0]))
    write_export(tmp_path / "enrolments.csv", ENROLMENTS, list(ENROLMENTS[0]))
    first = sync.sync(wh, FileExportConnector("acme", source(tmp_path)))
    assert first.streams["partners"].landed == 2 and first.streams["training_enrolments"].landed == 5
    result = build(wh, "acme")
    partners = read_table(wh, "partners", "acme").sort_values("partner_id")
    assert list(partners["partner_id"]) == ["PTR-1", "PTR-2"]
    assert list(partners["tier"]) == ["gold", "silver"] and list(partners["name"]) == ["Alpha Cloud", "Beta IT"]
    assert str(partners["onboarded_on"].iloc[1])[:10] == "2025-03-15"
    enrolments = read_table(wh, "training_enrolments", "acme")
    assert sorted(enrolments["enrolment_id"]) == ["E1", "E2"]   # the three bad rows are held back
    held = result.quarantined
    assert held[("stg_file_export__training_enrolments", "enrolled_on_parseable")] == 1
    assert held[("stg_file_export__training_enrolments", "enrolment_id_not_blank")] == 1
    assert sum(n for (m, r), n in held.items() if m == "training_enrolments") == 1   # the orphan
    # unchanged files are not read again; a changed file lands only its new versions
    again = sync.sync(wh, FileExportConnector("acme", source(tmp_path)))
    assert again.landed == 0 and again.fetched == 0
    changed = [dict(r) for r in ENROLMENTS]
    changed[1].update(completed_on="2025-06-10", last_modified="2025-06-10T08:00:00Z")
    time.sleep(0.01)
    write_export(tmp_path / "enrolments.csv", changed, list(ENROLMENTS[0]))
    third = sync.sync(wh, FileExportConnector("acme", source(tmp_path)))
    assert third.streams["training_enrolments"].landed == 1 and third.streams["partners"].fetched == 0
    build(wh, "acme")
    e2 = read_table(wh, "training_enrolments", "acme").set_index("enrolment_id").loc["E2"]
    assert str(e2["completed_on"])[:10] == "2025-06-10"
    assert len(landed(wh, "file_export", "acme")) == 8


def test_a_missing_file_names_the_organisation_and_the_path(tmp_path, wh):
    with pytest.raises(FileNotFoundError, match="organisation 'acme'.*partners.xlsx"):
        sync.sync(wh, FileExportConnector("acme", source(tmp_path)))
