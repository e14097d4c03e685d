"""Cycles in the deployment file: validated on load, one error naming the file, the field and the reason."""

from __future__ import annotations

import pytest

from apex_model.errors import ApexConfigError
from pipelines.deployment import parse_deployment
from tests.pipelines.conftest import SMALL_ORG


def org_with(cycles) -> dict:
    return {"organisations": [{**SMALL_ORG, "cycles": cycles}]}


def cycle(cid="c1", start="2026-01-01", end="2026-03-31", focus=(("D4", 70), ("D7", 60))) -> dict:
    return {"id": cid, "start": start, "end": end, "focus": [{"dimension": d, "target": t} for d, t in focus]}


def test_a_valid_history_loads() -> None:
    dep = parse_deployment(org_with([cycle(), cycle("c2", "2026-04-01", "2026-06-30")]), "apex.yaml")
    org = dep.organisations[0]
    assert [c.id for c in org.cycles] == ["c1", "c2"] and org.cycles[0].phase == "measure"
    from datetime import date

    assert org.cycle_on(date(2026, 4, 1)).id == "c2" and org.cycle_on(date(2025, 12, 31)) is None
    assert org.cycles[1].spec().focus_dimensions == ("D4", "D7")


def test_cycle_dates_may_be_relative_to_the_day_the_file_is_loaded() -> None:
    from datetime import date, timedelta

    dep = parse_deployment(org_with([cycle(start="today-150", end="today+30")]), "apex.yaml")
    c = dep.organisations[0].cycles[0]
    assert (c.start, c.end) == (date.today() - timedelta(days=150), date.today() + timedelta(days=30))
    with pytest.raises(ApexConfigError, match="start"):
        parse_deployment(org_with([cycle(start="yesterday")]), "apex.yaml")


@pytest.mark.parametrize("cycles, message", [
    ([cycle(focus=(("D4", 70),))], "focus"),
    ([cycle(focus=(("D1", 50), ("D2", 50), ("D3", 50), ("D4", 50)))], "focus"),
    ([cycle(focus=(("D4", 70), ("D4", 60)))], "focus names a dimension twice (D4, D4)"),
    ([cycle(focus=(("D9", 70), ("D4", 60)))], "dimension"),
    ([cycle(focus=(("D1", 170), ("D4", 60)))], "target"),
    ([cycle(end="2025-12-01")], "end 2025-12-01 is not after start 2026-01-01"),
    ([cycle(), cycle("c2", "2026-03-15", "2026-06-30")],
     "cycles[1] (c2): starts 2026-03-15, before the previous cycle (c1) ends on 2026-03-31"),
    ([cycle(), cycle("c1", "2026-04-01", "2026-06-30")], "duplicate cycle id 'c1'"),
])
def test_bad_cycles_fail_with_the_field(cycles, message) -> None:
    with pytest.raises(ApexConfigError) as err:
        parse_deployment(org_with(cycles), "apex.yaml")
    text = str(err.value)
    assert text.startswith("apex.yaml: organisations[0]") and message in text


def test_measure_section_is_validated() -> None:
    data = {**org_with([]), "measure": {"surveys": {"validity_days": 100, "max_age_days": 50}}}
    with pytest.raises(ApexConfigError, match="max_age_days must be at least validity_days"):
        parse_deployment(data, "apex.yaml")
