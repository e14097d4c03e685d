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


def test_surveys_import(cli_env, capsys) -> None:
    import sqlalchemy as sa

    from dbt_like_sql.warehouse import make_engine

    good = cli_env / "scan.csv"
    good.write_text("respondent,role,date,item,value\nr1,leadership,2026-03-01,D4.1,4\nr1,leadership,2026-03-01,D4.2,9\n"
                    "r2,operations,2026-03-01,D4.1,2\n")
    bad = cli_env / "ten.json"
    bad.write_text('{"form": {"scale": {"min": 0, "max": 10}}, "responses": []}')
    assert main(["surveys", "import", "--org", "tiny", str(good), str(bad)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tiny scan.csv: imported, 2 answers, 1 held back: held back: 1 × value_on_scale"
    assert out[1] == "tiny ten.json: failed, 0 answers, 0 held back: ten.json: form.scale: declares a 0–10 scale; " \
                     "the quick-scan uses 1–5"
    assert main(["surveys", "import", "--org", "tiny", str(good)]) == 0          # again: replaced, not doubled
    again = cli_env / "resubmitted.csv"
    again.write_text("respondent,role,date,item,value\nr2,operations,2026-03-01,D4.1,5\nr3,partner,2026-03-02,D8,3\n")
    assert main(["surveys", "import", "--org", "tiny", str(again)]) == 0
    assert "held back: 1 × respondent_unique" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{cli_env}/wh.sqlite")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select respondent_id, value from survey_answers order by respondent_id, item")).all()
        held = conn.execute(sa.text("select rule, reason from survey_held_back order by rule")).all()
    engine.dispose()
    assert rows == [("r1", 4), ("r2", 2), ("r3", 3)]
    assert [h[0] for h in held] == ["respondent_unique", "value_on_scale"]
