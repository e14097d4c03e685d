"""The model file loads, and every way of breaking it fails with the file, the field and the reason."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from apex_model import ApexConfigError, load_model
from apex_model.model import DEFAULT_MODEL_PATH


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_MODEL_PATH.read_text())


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_packaged_model_is_valid() -> None:
    model = load_model()
    assert [d.id for d in model.dimensions] == [f"D{i}" for i in range(1, 9)]
    assert model.dimension("D4").name.nl == "Enablement"
    assert [lv.name.nl for lv in model.levels] == ["Fragiel", "Reactief", "Gestructureerd", "Geoptimaliseerd",
                                                   "Optimaliserend"]
    assert model.stage_ids == ("early_stage", "growth", "mature")
    assert model.coverage.min_dimension == pytest.approx(2 / 3)
    for dim in model.dimensions:
        assert len(model.signals_of(dim.id)) >= 3


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda m: m["dimensions"].pop(), "dimensions", "exactly D1"),
        (lambda m: m["stages"][1]["weights"].pop("D3"), "stages[1] (growth).weights", "no weight for D3"),
        (lambda m: m["stages"][0]["weights"].update(D9=3), "stages[0] (early_stage).weights", "unknown dimension 'D9'"),
        (lambda m: m["levels"][2]["gates"][1].update(dimensions=["D2", "D12"]), "levels[2].gates[1]",
         "unknown dimension 'D12'"),
        (lambda m: m["levels"][3]["gates"][1].pop("count"), "levels[3].gates[1]", "needs 'count'"),
        (lambda m: m["signals"][0]["goalposts"]["growth"].update(target=0.05), "signals[0] (d1_partner_share_of_bookings)"
         ".goalposts.growth", "goalposts must differ"),
        (lambda m: m["signals"][0]["goalposts"].pop("mature"), "", "no goalposts for stage 'mature'"),
        (lambda m: m["signals"][1].update(dimension="D3"), "signals[1] (d1_partner_new_logo_share)",
         "starts with d1 but its dimension is D3"),
        (lambda m: m.update(capability_thresholds=[20, 60, 40, 80]), "", "must increase strictly"),
        (lambda m: m["dimensions"][0].update(colour="red"), "dimensions[0] (D1).colour", "Extra inputs"),
        (lambda m: m["coverage"].update(min_dimension="2/0"), "coverage.min_dimension", "fraction such as 2/3"),
    ],
)
def test_invalid_model_names_file_field_and_reason(tmp_path: Path, mutate, field: str, reason: str) -> None:
    data = copy.deepcopy(_raw())
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ApexConfigError) as err:
        load_model(path)
    message = str(err.value)
    assert message.startswith(str(path))
    assert field in message
    assert reason in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("version: '1'\nscale: {min: 1, max: 100\n")
    with pytest.raises(ApexConfigError, match=r"model.yaml: line \d+, column \d+: invalid YAML"):
        load_model(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ApexConfigError, match="file not found"):
        load_model(tmp_path / "nope.yaml")
