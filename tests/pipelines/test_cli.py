"""The `apex` command line: one clear line on stderr and exit code 2 for every user error."""

from __future__ import annotations

import pytest

from pipelines.cli import main
from tests.pipelines.conftest import SMALL_ORG, write_config


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("APEX_CONFIG", write_config(tmp_path / "apex.yaml", [SMALL_ORG]))
    monkeypatch.setenv("WAREHOUSE_URL", f"sqlite:///{tmp_path}/wh.sqlite")
    return tmp_path


def test_unknown_organisation(cli_env, capsys) -> None:
    assert main(["show", "--org", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "apex: error: unknown organisation 'nope'; the configuration lists: tiny"


def test_missing_configuration_file(cli_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("APEX_CONFIG", str(cli_env / "absent.yaml"))
    assert main(["orgs-sync"]) == 2
    assert capsys.readouterr().err.strip() == f"apex: error: {cli_env / 'absent.yaml'}: file not found"


def test_backfill_range_backwards(cli_env, capsys) -> None:
    assert main(["backfill", "--org", "tiny", "--start", "2026-03-10", "--end", "2026-03-01"]) == 2
    assert "2026-03-01 is before --start 2026-03-10" in capsys.readouterr().err


def test_backfill_then_show(cli_env, capsys) -> None:
    assert main(["backfill", "--org", "tiny", "--start", "2026-03-01", "--end", "2026-03-03"]) == 0
    assert main(["show", "--org", "tiny", "--date", "2026-03-03"]) == 0
    out = capsys.readouterr().out
    assert "Tiny Partners BV (tiny) · as of 2026-03-03" in out
    assert "Enablement" in out and "Maturity: level" in out and "volgende:" in out


def test_explain_between_two_days(cli_env, capsys) -> None:
    import pandas as pd
    import sqlalchemy as sa

    from dbt_like_sql.warehouse import make_engine

    assert main(["backfill", "--org", "tiny", "--start", "2026-03-01", "--end", "2026-03-10"]) == 0
    capsys.readouterr()
    assert main(["explain", "--org", "tiny", "--from", "2026-03-01", "--to", "2026-03-10"]) == 0
    out = capsys.readouterr().out
    assert "why the dimension scores moved from 2026-03-01 to 2026-03-10" in out and "Enablement" in out
    engine = make_engine(f"sqlite:///{cli_env}/wh.sqlite")
    with engine.connect() as conn:
        rows = pd.read_sql(sa.text("select * from apex_score_changes where from_date = '2026-03-01' "
                                   "and to_date = '2026-03-10'"), conn)
    engine.dispose()
    assert set(rows["dimension"]) == {f"D{i}" for i in range(1, 9)}
    for _dim, part in rows.groupby("dimension"):
        total = part[part["effect"] == "total"]["contribution"].iloc[0]
        assert part[part["effect"] != "total"]["contribution"].sum() == pytest.approx(total, abs=1e-9)


def test_explain_needs_stored_days_in_order(cli_env, capsys) -> None:
    assert main(["backfill", "--org", "tiny", "--start", "2026-03-01", "--end", "2026-03-02"]) == 0
    capsys.readouterr()
    assert main(["explain", "--org", "tiny", "--from", "2026-03-02", "--to", "2026-03-01"]) == 2
    assert "--from before --to" in capsys.readouterr().err
    assert main(["explain", "--org", "tiny", "--from", "2026-02-01", "--to", "2026-03-01"]) == 2
    assert "no signal values stored for 2026-02-01" in capsys.readouterr().err
