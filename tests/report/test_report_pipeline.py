"""The Measure layer and the report through the real Dagster job: values checked by hand against the stored scores,
survey imports with a malformed file, the report files and their metadata, isolation between organisations, and the
peer benchmark in a deployment of six."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey

from apex_model.model import load_model
from dbt_like_sql.warehouse import make_engine
from pipelines.deployment import load_deployment
from pipelines.measure import compute_measure_layer
from pipelines.report import gather
from report.render import expected_charts, render_html

from tests.report.conftest import END, OTHER_PROFILE, organisations

END_DAY = date.fromisoformat(END)


def read(url: str, sql: str, **params) -> pd.DataFrame:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = pd.read_sql(sa.text(sql), conn, params=params)
    engine.dispose()
    return out


def score(url: str, org: str, dim: str, day: str) -> float:
    return float(read(url, "select score from apex_dimension_scores where org_id = :o and dimension = :d and "
                           "as_of = :a", o=org, d=dim, a=day)["score"].iloc[0])


def test_survey_imports_and_the_malformed_file(measured) -> None:
    imports = read(measured["url"], "select * from survey_imports order by org_id, file_name").set_index("file_name")
    # 14 respondents x 8 dimensions x 2 items
    assert imports.loc["tiny-scan.csv", "status"] == "imported" and imports.loc["tiny-scan.csv", "answers"] == 224
    assert imports.loc["zephyr-export.json", "answers"] == 224
    assert imports.loc["tiny-ten-point.csv", "status"] == "failed"
    assert "2 of 2 answers lie outside 1–5" in imports.loc["tiny-ten-point.csv", "reason"]
    answers = read(measured["url"], "select count(*) as n from survey_answers where org_id = 'tiny'")
    assert answers["n"].iloc[0] == 224                       # nothing of the failed file was kept
    meta = measured["results"]["tiny"].get_asset_materialization_events()
    measure_meta = [e.materialization.metadata for e in meta if e.asset_key == AssetKey(["measure", "apex_measure"])]
    assert "tiny-ten-point.csv" in measure_meta[-1]["survey_files_failed"].value


def test_the_measure_tables_meet_their_contracts(measured) -> None:
    for org, result in measured["results"].items():
        evaluations = result.get_asset_check_evaluations()
        assert evaluations and all(e.passed for e in evaluations), org
        assert evaluations[-1].metadata["tables"].value == 4


def test_focus_progress_by_hand_from_the_stored_scores(measured) -> None:
    url = measured["url"]
    base = score(url, "tiny", "D4", "2026-03-01")
    now = score(url, "tiny", "D4", END)
    row = read(url, "select * from apex_measure where org_id = 'tiny' and as_of = :a and dimension = 'D4'",
               a=END).iloc[0]
    assert row["cycle_id"] == "tiny-spring" and bool(row["is_focus"])
    assert row["baseline"] == pytest.approx(base) and row["movement"] == pytest.approx(now - base)
    assert row["days_elapsed"] == 16 and row["days_total"] == 121
    projected = base + (now - base) * 121 / 16
    assert row["projected_end"] == pytest.approx(projected)
    assert bool(row["on_track"]) == (projected >= 75 or now >= 75)
    if base < 75:
        assert row["share_to_target"] == pytest.approx((now - base) / (75 - base))
    others = read(url, "select * from apex_measure where org_id = 'tiny' and as_of = :a and is_focus = 0 and "
                       "movement is not null", a=END)
    assert len(others) >= 4
    for row in others.itertuples():
        moved = score(url, "tiny", row.dimension, END) - score(url, "tiny", row.dimension, "2026-03-01")
        assert row.movement == pytest.approx(moved) and bool(row.is_surprise) == (abs(moved) >= 8)


def test_cycle_history_carries_the_last_result_forward(measured) -> None:
    url = measured["url"]
    cycles = read(url, "select * from apex_cycles where org_id = 'tiny' and dimension = 'D4'").set_index("cycle_id")
    assert cycles.loc["tiny-q1", "status"] == "closed" and cycles.loc["tiny-spring", "status"] == "current"
    assert str(cycles.loc["tiny-q1", "baseline_on"])[:10] == "2026-02-01"          # the first scored day
    assert str(cycles.loc["tiny-q1", "latest_on"])[:10] == "2026-02-28"
    q1_result = score(url, "tiny", "D4", "2026-02-28")
    assert cycles.loc["tiny-q1", "latest_score"] == pytest.approx(q1_result)
    assert cycles.loc["tiny-spring", "previous_cycle_id"] == "tiny-q1"
    assert cycles.loc["tiny-spring", "previous_result"] == pytest.approx(q1_result)
    assert cycles.loc["tiny-spring", "baseline"] == pytest.approx(score(url, "tiny", "D4", "2026-03-01"))


def test_survey_signal_and_gaps_by_hand(measured) -> None:
    url = measured["url"]
    answers = read(url, "select * from survey_answers where org_id = 'tiny' and dimension = 'D4'")
    per_person = answers.groupby(["respondent_id", "role"])["value"].mean().reset_index()
    own = per_person[per_person["role"].isin(["leadership", "operations"])]
    self_score = float(np.mean(1 + 99 * (own["value"] - 1) / 4))        # all answers 25 days old: weight 1
    sig = read(url, "select * from apex_survey_signals where org_id = 'tiny' and as_of = :a and dimension = 'D4' "
                    "and \"group\" = 'self'", a=END).iloc[0]
    assert sig["score"] == pytest.approx(self_score, abs=1e-3) and sig["respondents"] == len(own)
    assert sig["age_days"] == 25 and sig["status"] == "valid" and sig["confidence"] == 1.0
    gap = read(url, "select * from apex_perception_gaps where org_id = 'tiny' and as_of = :a and dimension = 'D4' "
                    "and kind = 'self_vs_measured'", a=END).iloc[0]
    assert gap["gap"] == pytest.approx(self_score - score(url, "tiny", "D4", END), abs=1e-3)
    lead = per_person[per_person["role"] == "leadership"]["value"]
    ops = per_person[per_person["role"] == "operations"]["value"]
    lvo = read(url, "select gap from apex_perception_gaps where org_id = 'tiny' and as_of = :a and dimension = 'D4' "
                    "and kind = 'leadership_vs_operations'", a=END)["gap"].iloc[0]
    assert lvo == pytest.approx(float(np.mean(1 + 99 * (lead - 1) / 4) - np.mean(1 + 99 * (ops - 1) / 4)), abs=1e-3)
    # before the quick-scan there is no survey signal and no gap
    assert read(url, "select count(*) as n from apex_survey_signals where org_id = 'tiny' and as_of < '2026-02-20'"
                )["n"].iloc[0] == 0


def test_report_files_and_asset_metadata(measured) -> None:
    events = measured["results"]["tiny"].get_asset_materialization_events()
    last = [e for e in events if e.asset_key == AssetKey(["report", "apex_report"])
            and "report_path" in e.materialization.metadata]
    assert len(last) == 1                                                    # the run's last day only
    path = last[0].materialization.metadata["report_path"].value
    assert path.endswith(f"tiny/{END}.nl.html")                               # the organisation's own language first
    html = open(path, encoding="utf-8").read()
    assert '<html lang="nl">' in html and "Tiny Partners BV" in html
    rows = read(measured["url"], "select * from apex_reports where org_id = 'tiny'")
    assert sorted(rows["language"]) == ["en", "nl"] and (rows["bytes"] > 10_000).all()
    for forbidden in ("<script", "http://", "https://", "<link", "@import", "<img"):
        assert forbidden not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def copy_warehouse(url: str, target) -> str:
    """A consistent copy of the SQLite warehouse (the backup API: the WAL file holds the newest pages)."""
    import sqlite3

    src, dst = sqlite3.connect(url[len("sqlite:///"):]), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{target}"


def _render(url: str, config: str, org_id: str, language: str) -> str:
    model = load_model()
    deployment = load_deployment(config, model)
    engine = make_engine(url)
    data = gather(engine, model, deployment, deployment.organisation(org_id), END_DAY, language)
    engine.dispose()
    data.generated_at = "fixed"
    return render_html(data)


def test_a_report_contains_nothing_of_another_organisation(measured, tmp_path) -> None:
    url, config = measured["url"], measured["config"]
    for language in ("nl", "en"):
        html = _render(url, config, "tiny", language).lower()
        for trace in ("zephyr", "alliances gmbh", "zephyr-wave", "zephyr-export", "zephyr-l01"):
            assert trace not in html
    # Stronger: tiny's report is the same byte for byte when every row of the other organisation is gone.
    alone = copy_warehouse(url, tmp_path / "alone.sqlite")
    engine = make_engine(alone)
    deleted = 0
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            if "org_id" in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
                deleted += conn.execute(sa.text(f'delete from "{table}" where org_id = :o'), {"o": "zephyr"}).rowcount
    engine.dispose()
    assert deleted > 10_000
    for language in ("nl", "en"):
        assert _render(alone, config, "tiny", language) == _render(url, config, "tiny", language)


PEERS = {"peer-a": 0.0, "peer-b": 30.0, "peer-c": -30.0, "peer-d": 10.0}


def test_peer_benchmark_in_a_deployment_of_six(measured, tmp_path) -> None:
    """Four more organisations (scores copied from zephyr, shifted) make six: tiny gets its percentiles, and its
    report names none of them and shows none of their figures."""
    url = copy_warehouse(measured["url"], tmp_path / "six.sqlite")
    engine = make_engine(url)
    with engine.begin() as conn:
        for org, shift in PEERS.items():
            for table in ("apex_dimension_scores", "apex_ecosystem_health"):
                frame = pd.read_sql(sa.text(f"select * from {table} where org_id = 'zephyr' and as_of = :a"), conn,
                                    params={"a": END})
                frame["org_id"] = org
                col = "score" if table == "apex_dimension_scores" else "overall_score"
                frame[col] = (frame[col] + shift).clip(1, 100)
                frame.to_sql(table, conn, if_exists="append", index=False)
    orgs = organisations() + [{"id": org, "name": f"Peer {org[-1].upper()} Holding",
                               "sources": [{"type": "sandbox", "profile": OTHER_PROFILE}]} for org in PEERS]
    config = tmp_path / "six.yaml"
    config.write_text(yaml.safe_dump({"organisations": orgs}, sort_keys=False))
    model = load_model()
    deployment = load_deployment(config, model)
    tiny = deployment.organisation("tiny")
    result = compute_measure_layer(engine, model, deployment, tiny, [END_DAY])
    bench = result.benchmark.set_index("dimension")
    scores = read(url, "select org_id, dimension, score from apex_dimension_scores where as_of = :a and "
                       "dimension = 'D4'", a=END).set_index("org_id")["score"]
    # stages differ (tiny is early stage, the rest growth): no cohort of five at tiny's stage -> all six
    assert bench.loc["D4", "cohort"] == "all" and bench.loc["D4", "cohort_size"] == 6
    mine, peers = scores["tiny"], scores.drop("tiny").to_numpy()
    expected = 100 * (np.sum(peers < mine) + 0.5 * np.sum(peers == mine)) / 5
    assert bench.loc["D4", "percentile"] == pytest.approx(expected)
    data = gather(engine, model, deployment, tiny, END_DAY, "en")
    engine.dispose()
    assert data.benchmark is not None and "benchmark" in expected_charts(data)
    html = render_html(data)
    assert 'data-chart="benchmark"' in html and "cohort of 6 organisations" in html
    for org in [*PEERS, "zephyr"]:
        assert org not in html and f"Peer {org[-1].upper()} Holding" not in html
    section = re.search(r'<section id="benchmark">(.*?)</section>', html, re.S).group(1)
    shown = {float(x) for x in re.findall(r">P(\d+)<", section)}
    assert shown <= {0, 25, 50, 75, 100} | {round(p) for p in bench["percentile"]}


def test_moved_by_and_biggest_movers_come_from_the_exact_decomposition(measured) -> None:
    from pipelines import layers

    url = measured["url"]
    model = load_model()
    engine = make_engine(url)
    row = read(url, "select * from apex_measure where org_id = 'tiny' and as_of = :a and dimension = 'D4'",
               a=END).iloc[0]
    import json

    moved = row["moved_by"] if isinstance(row["moved_by"], list) else json.loads(row["moved_by"])
    full = layers.explain_between(engine, model, "tiny", [(pd.Timestamp("2026-03-01"), pd.Timestamp(END))])
    d4 = full[(full["dimension"] == "D4") & (full["effect"] != "total")].dropna(subset=["contribution"])
    assert d4["contribution"].sum() == pytest.approx(row["movement"], abs=1e-6)     # the parts add up
    top = d4.reindex(d4["contribution"].abs().sort_values(ascending=False).index).head(3)
    assert [m["signal_id"] for m in moved] == list(top["signal_id"])[:len(moved)]
    assert [m["points"] for m in moved] == [round(x, 2) for x in top["contribution"]][:len(moved)]
    # the report's movers: the 28-day pair is stored in apex_score_changes and matches the stored scores
    stored = read(url, "select * from apex_score_changes where org_id = 'tiny' and from_date = '2026-02-17' and "
                       "to_date = :a and effect = 'total'", a=END).set_index("dimension")
    assert len(stored) == 8
    deployment = load_deployment(measured["config"], model)
    data = gather(engine, model, deployment, deployment.organisation("tiny"), END_DAY, "en")
    engine.dispose()
    assert data.movers and len(data.movers) <= 3
    changes = [m["change"] for m in data.movers]
    assert changes == sorted(changes, key=abs, reverse=True)
    for m in data.movers:
        by_hand = score(url, "tiny", m["dimension"], END) - score(url, "tiny", m["dimension"], "2026-02-17")
        assert m["change"] == pytest.approx(by_hand, abs=1e-6)


def test_partner_table_scores_partners_on_the_goalposts(measured) -> None:
    url = measured["url"]
    model = load_model()
    deployment = load_deployment(measured["config"], model)
    engine = make_engine(url)
    data = gather(engine, model, deployment, deployment.organisation("zephyr"), END_DAY, "en")
    engine.dispose()
    rows = read(url, "select * from apex_partner_signal_values where org_id = 'zephyr' and as_of = :a and n > 0 "
                     "and value is not null", a=END)
    assert not rows.empty and data.partners
    shares = read(url, "select stage_shares from apex_ecosystem_health where org_id = 'zephyr' and as_of = :a",
                  a=END)["stage_shares"].iloc[0]
    import json

    shares = json.loads(shares) if isinstance(shares, str) else shares
    names = read(url, "select partner_id, name from partners where org_id = 'zephyr'").set_index("partner_id")["name"]
    for entry in data.partners:
        part = rows[rows["dimension"] == entry["dimension"]]
        by_hand = {}
        for r in part.itertuples():
            spec = model.signal(r.signal_id)
            total = 0.0
            for stage, share in shares.items():
                g = spec.goalposts[stage]
                total += share * (1 + 99 * min(max((r.value - g.floor) / (g.target - g.floor), 0), 1))
            by_hand.setdefault(r.partner_id, []).append(total)
        means = {p: sum(v) / len(v) for p, v in by_hand.items()}
        best = max(means.values())
        top_names = {names.get(p, p) for p, v in means.items() if abs(v - best) < 1e-9}
        assert entry["lifts"][0]["partner"] in top_names
        assert entry["lifts"][0]["text"] == f"score {best:.0f}"
        assert entry["partners"] == len(means)
    html = render_html(data)
    from markupsafe import escape

    assert str(escape(entry["lifts"][0]["partner"])) in html
