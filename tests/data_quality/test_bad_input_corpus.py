"""The bad-input corpus through the whole pipeline, checks included, on SQLite and PostgreSQL.

A growth sandbox organisation's clean history is landed with 24 kinds of bad record (and a good twin of each) across
eleven streams, one stream that stops arriving and one whose volume suddenly drops; then one run of the daily job
scores March 2026. For each bad record: the rule that catches it, the held row with its reason, the good twin scored,
and the status of the dimensions it feeds.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey, DagsterInstance, materialize

from connectors import sandbox_source
from connectors.envelope import envelope
from connectors.sandbox import SandboxProfile
from dbt_like_sql import quarantine
from dbt_like_sql.landing import land
from dbt_like_sql.schema import ensure_tables
from dbt_like_sql.warehouse import make_engine
from pipelines.definitions import defs
from signals.registry import catalogue
from pipelines.partitions import ORGANISATIONS, partition_key
from pipelines.resources import ApexConfigResource, WarehouseResource
from tests.conftest import pg_url
from tests.data_quality.corpus import (
    CORPUS,
    DUPLICATE_TWIN,
    STOPPED_STREAM,
    THINNED_STREAM,
    shape_history,
)

ORG = "corpus"
PROFILE = {"stage": "growth", "maturity": 3, "seed": 42, "history_start": "2025-01-01"}
START, END = "2026-03-01", "2026-03-31"
LAST = pd.Timestamp(END)
FETCHED = datetime(2026, 4, 1, 6, 0)
ASSETS = list(defs.assets)
CHECKS = list(defs.asset_checks)


@dataclass
class CorpusRun:
    url: str
    result: object

    def frame(self, sql: str, **params) -> pd.DataFrame:
        engine = make_engine(self.url)
        with engine.connect() as conn:
            out = pd.read_sql(sa.text(sql), conn, params=params)
        engine.dispose()
        return out


def _land_history(engine) -> None:
    profile = SandboxProfile(**{**PROFILE, "history_start": date.fromisoformat(PROFILE["history_start"])})
    for batch in sandbox_source.fetch(ORG, profile, date.fromisoformat(END), {}, fetched_at=FETCHED):
        land(engine, "sandbox", shape_history(batch.stream, batch.records))


def _land_corpus(engine) -> None:
    rows = []
    for bad in CORPUS:
        rows.append((bad.stream, bad.source_id, bad.updated_at, bad.payload))
        good_id, _table, good_payload = bad.good
        rows.append((bad.stream, good_id, bad.good_updated_at, good_payload))
    rows.append((CORPUS[0].stream, DUPLICATE_TWIN[0], "2026-03-10T10:00:00Z", DUPLICATE_TWIN[2]))
    for stream in sorted({r[0] for r in rows}):
        versions = pd.DataFrame([{"source_id": sid, "source_updated_at": pd.Timestamp(ts), "payload": payload,
                                  "is_deleted": False} for s, sid, ts, payload in rows if s == stream])
        land(engine, "sandbox", envelope(ORG, stream, versions, fetched_at=FETCHED, connector_version="corpus/1"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def run(request, tmp_path_factory) -> CorpusRun:
    tmp = tmp_path_factory.mktemp("corpus")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp}/warehouse.sqlite"
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(pg_url())
        with admin.begin() as conn:
            conn.execute(sa.text(f'create schema "{schema}"'))
        url = f"{pg_url()}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    ensure_tables(engine)
    _land_history(engine)
    _land_corpus(engine)
    engine.dispose()
    config = tmp / "apex.yaml"
    config.write_text(yaml.safe_dump({"organisations": [
        {"id": ORG, "name": "Corpus BV", "timezone": "UTC", "sources": [{"type": "sandbox", "profile": PROFILE}]}]}))
    resources = {"warehouse": WarehouseResource(url=url),
                 "apex_config": ApexConfigResource(deployment_path=str(config))}
    tags = {"dagster/asset_partition_range_start": str(partition_key(START, ORG)),
            "dagster/asset_partition_range_end": str(partition_key(END, ORG))}
    try:
        with DagsterInstance.ephemeral() as instance:
            instance.add_dynamic_partitions(ORGANISATIONS.name, [ORG])
            result = materialize([*ASSETS, *CHECKS], instance=instance, resources=resources, tags=tags)
            yield CorpusRun(url, result)
    finally:
        if schema is not None:
            with admin.begin() as conn:
                conn.execute(sa.text(f'drop schema "{schema}" cascade'))
            admin.dispose()


def _held(run: CorpusRun) -> pd.DataFrame:
    return run.frame("select * from quarantined_records where org_id = :org and released_at is null", org=ORG)


def _status(run: CorpusRun, day: pd.Timestamp = LAST) -> pd.DataFrame:
    frame = run.frame("select * from apex_data_quality_status where org_id = :org", org=ORG)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame = frame[frame["as_of"] == day].set_index("dimension")
    for col in ("sources", "checks", "stale_tables"):
        frame[col] = frame[col].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    return frame


def test_corpus_has_twenty_kinds_across_sources() -> None:
    assert len({b.kind for b in CORPUS}) >= 20
    assert len({b.stream for b in CORPUS}) >= 10
    assert len({b.rule for b in CORPUS}) >= 20


@pytest.mark.parametrize("bad", CORPUS, ids=[b.kind for b in CORPUS])
def test_each_bad_record_is_caught_held_with_its_reason_and_shown(run: CorpusRun, bad) -> None:
    held = _held(run)
    mine = held[(held["model"] == bad.model) & (held["source_id"] == bad.held_as)]
    # The rule that catches it, and the held row with its reason (one sentence naming the field, never the value).
    assert bad.rule in set(mine["rule"]), (bad.kind, mine[["rule", "reason"]].values.tolist())
    row = mine[mine["rule"] == bad.rule].iloc[0]
    assert row["reason"] == bad.reason
    assert row["source"] == "sandbox"
    if bad.model.startswith("stg_"):
        assert row["stream"] == bad.stream
        assert pd.Timestamp(row["source_updated_at"]) == pd.Timestamp(bad.updated_at).tz_convert(None)
    injected = [v for k, v in bad.payload.items() if v != bad.good[2].get(k) and k != bad.key_column]
    for value in injected:   # the broken value itself never appears in the reason
        if value is not None and str(value).strip():
            assert str(value) not in row["reason"], (bad.kind, value)

    # The good twin flows on into its canonical table.
    _good_id, table, payload = bad.good
    key = bad.key_column
    found = run.frame(f'select count(*) as n from "{table}" where org_id = :org and "{key}" = :k', org=ORG,
                      k=payload[key])
    assert found["n"].iloc[0] >= 1, (bad.kind, table, payload[key])
    bad_rows = run.frame(f'select count(*) as n from "{table}" where org_id = :org and "{key}" = :k', org=ORG,
                         k=bad.payload.get(key) or "")
    if bad.payload.get(key) and bad.payload.get(key) != payload[key]:
        assert bad_rows["n"].iloc[0] == 0, f"{bad.kind}: the bad record reached {table}"

    # Every dimension it feeds says so on the day, and is still scored.
    status = _status(run)
    named = f"{bad.stream} (sandbox)" if bad.model.startswith("stg_") else f"{bad.model}:"
    for dim in bad.dimensions:
        assert status.loc[dim, "status"] in ("degraded", "failed"), (bad.kind, dim)
        assert named in status.loc[dim, "reason"] and "held back in quarantine" in status.loc[dim, "reason"]
        checks = {c["check"]: c for c in status.loc[dim, "checks"]}
        assert checks["quarantine"]["held"] >= 1
    scores = run.frame("select dimension, status, coverage from apex_dimension_scores where org_id = :org "
                       "and as_of = :d", org=ORG, d=LAST.date())
    assert len(scores) == 8


def test_the_good_rows_are_scored_every_day(run: CorpusRun) -> None:
    health = run.frame("select as_of, overall_score, status from apex_ecosystem_health where org_id = :org", org=ORG)
    assert len(health) == 31 and health["overall_score"].notna().all()
    status = run.frame("select held_back from apex_data_quality_status where org_id = :org", org=ORG)
    assert len(status) == 31 * 8 and not status["held_back"].astype(bool).any()


def test_a_stream_that_stops_arriving_makes_its_dimensions_stale_with_less_coverage(run: CorpusRun) -> None:
    status = _status(run)
    d4 = status.loc["D4"]
    assert not bool(d4["fresh"]) and d4["status"] == "degraded"
    assert f"{STOPPED_STREAM} (sandbox): newest record" in d4["reason"] and "(stale)" in d4["reason"]
    assert "support_tickets" in d4["stale_tables"]
    stream = next(s for s in d4["sources"] if s["stream"] == STOPPED_STREAM)
    assert stream["fresh"] is False and stream["age_days"] > stream["max_age_days"]
    # The signals reading support tickets count as stale: coverage drops and the reason is in the status row.
    dims = run.frame("select * from apex_dimension_scores where org_id = :org and dimension = 'D4' and as_of = :d",
                     org=ORG, d=LAST.date())
    assert dims["n_stale"].iloc[0] >= 1 and dims["coverage"].iloc[0] < 1.0
    signals = run.frame("select signal_id, status from apex_signal_values where org_id = :org and as_of = :d "
                        "and status = 'stale'", org=ORG, d=LAST.date())
    readers = {c.id for c in catalogue().values() if STOPPED_STREAM in c.data_needed}
    assert readers and readers <= set(signals["signal_id"])
    # Before it stopped, the same dimension was fresh.
    assert bool(_status(run, pd.Timestamp(START)).loc["D4", "fresh"])


def test_a_sudden_drop_in_volume_is_told_apart_and_named(run: CorpusRun) -> None:
    status = _status(run)
    for dim in ("D2", "D6", "D8"):    # QBRs, scorecard reviews, contact: the dimensions reading activities
        assert not bool(status.loc[dim, "fresh"])
        assert f"{THINNED_STREAM} (sandbox):" in status.loc[dim, "reason"]
        assert "(a drop in volume)" in status.loc[dim, "reason"]
    # Dimensions that do not read activities stay fresh on the same day.
    assert bool(status.loc["D1", "fresh"])


def test_checks_report_counts_expectations_and_keys_per_partition(run: CorpusRun) -> None:
    evaluations = {(e.asset_check_key.asset_key.to_user_string(), e.asset_check_key.name, e.partition): e
                   for e in run.result.get_asset_check_evaluations()}
    last = str(partition_key(END, ORG))
    contracts = evaluations[("canonical/tables", "contracts", last)]
    assert contracts.passed   # what broke a row-level rule was held back, so the canonical contracts hold
    assert contracts.metadata["expectations"].value > 150
    held = evaluations[("canonical/tables", "quarantine", last)]
    assert not held.passed and held.severity.value == "WARN"
    assert held.metadata["quarantined_rows"].value >= len(CORPUS)
    assert "partner_exists" in held.metadata["by_rule"].value
    fresh = evaluations[("canonical/tables", "source_freshness", last)]
    assert not fresh.passed and STOPPED_STREAM in fresh.metadata["summary"].value
    volume = evaluations[("canonical/tables", "source_volume", last)]
    assert not volume.passed and volume.severity.value == "WARN" and THINNED_STREAM in volume.metadata["summary"].value
    for asset in ("signals/apex_signal_values", "scores/apex_dimension_scores", "scores/apex_ecosystem_health"):
        assert evaluations[(asset, "output_contract", last)].passed
    # A backfill records passing days once (on the last day); failing days each get their own evaluation.
    stale_days = [k for k in evaluations if k[1] == "source_freshness" and not evaluations[k].passed]
    assert 1 < len(stale_days) < 31


def test_nothing_is_dropped_silently(run: CorpusRun) -> None:
    """Every landed version is either staged or held: raw = staged + held (per stream)."""
    raw = run.frame("select stream, count(*) as n from raw_sandbox where org_id = :org group by stream", org=ORG)
    held = _held(run)
    held_versions = held[held["model"].str.startswith("stg_")].drop_duplicates(["model", "record_key"])
    for stream, n in raw.itertuples(index=False):
        staged = run.frame(f'select count(*) as n from "stg_sandbox__{stream}" where org_id = :org', org=ORG)
        held_n = int((held_versions["stream"] == stream).sum())
        assert staged["n"].iloc[0] + held_n == n, stream
