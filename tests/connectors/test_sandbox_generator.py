"""The sandbox ecosystem generator: determinism, stability over the end date, the canonical contract, version
consistency, stage sizes, and maturity and events showing in behaviour measured straight from the streams."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from connectors.sandbox import SandboxEcosystem, SandboxEvent, SandboxProfile, generate_ecosystem
from connectors.sandbox.anchors import ANCHORS
from connectors.sandbox.generator import STREAMS
from connectors.sandbox.quality import QualityModel

ROOT = Path(__file__).resolve().parents[2]
START = date(2024, 1, 1)
END = date(2025, 12, 31)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE_FIELDS = {"onboarded_on", "churned_on", "created_on", "closed_on", "expected_close_on", "added_on",
               "enrolled_on", "completed_on", "earned_on", "expires_on", "period_start", "period_end",
               "submitted_on", "decided_on", "paid_on", "start_on", "end_on", "renewed_on", "sent_on",
               "responded_on", "login_on"}
TS_FIELDS = {"submitted_at", "decided_at", "conflict_resolved_at", "occurred_at", "opened_at", "resolved_at"}
AMOUNT_FIELDS = {"amount", "estimated_amount", "target_revenue", "target_amount"}


def profile(stage="growth", maturity=3, seed=11, events=(), **kw) -> SandboxProfile:
    return SandboxProfile(stage=stage, maturity=maturity, seed=seed, history_start=START, events=list(events), **kw)


@pytest.fixture(scope="module")
def growth() -> SandboxEcosystem:
    return generate_ecosystem(profile(), END)


def contract() -> tuple[dict[str, list[str]], dict[str, dict[str, set[str]]]]:
    """Columns and enumerations per canonical table, read from docs/canonical_tables.md."""
    text = (ROOT / "docs" / "canonical_tables.md").read_text()
    spans = [(m.group(1), m.start(), m.group(2)) for m in re.finditer(r"### `(\w+)`[^\n]*\n`(org_id,[^`]+)`", text)]
    spans += [(m.group(1), m.start(), m.group(2)) for m in re.finditer(r"- `(\w+)`: `(org_id,[^`]+)`", text)]
    spans.sort(key=lambda s: s[1])
    columns, enums = {}, {}
    for i, (table, pos, cols) in enumerate(spans):
        columns[table] = [c.strip() for c in cols.split(",")]
        section = text[pos: spans[i + 1][1] if i + 1 < len(spans) else len(text)]
        enums[table] = {}
        for m in re.finditer(r"`(\w+)` ∈ ([^;\n]+(?:\n  [^;\n]+)*)", section):
            listed = re.sub(r"\([^)]*\)", "", m.group(2)).split(".")[0]   # drop "(explanations)" and prose
            enums[table][m.group(1)] = {v.split()[0] for v in listed.split(",") if v.split()}
    return columns, enums


def latest(eco: SandboxEcosystem, stream: str) -> pd.DataFrame:
    versions = eco.streams[stream]
    last = versions.drop_duplicates("source_id", keep="last")
    return pd.DataFrame(last.loc[~last["is_deleted"], "payload"].tolist())


def active_on(partners: pd.DataFrame, day: str) -> pd.DataFrame:
    on = (partners["onboarded_on"] <= day) & ~(partners["churned_on"].fillna("9999") <= day)
    return partners[on]


def assert_same(a: SandboxEcosystem, b: SandboxEcosystem) -> None:
    for name in STREAMS:
        pd.testing.assert_frame_equal(a.streams[name], b.streams[name], check_exact=True, obj=name)
    pd.testing.assert_frame_equal(a.truth, b.truth, check_exact=True)


def test_same_profile_same_output_and_other_seed_differs():
    first = generate_ecosystem(profile("early_stage", seed=5), date(2024, 9, 30))
    again = generate_ecosystem(profile("early_stage", seed=5), date(2024, 9, 30))
    assert_same(first, again)
    other = generate_ecosystem(profile("early_stage", seed=6), date(2024, 9, 30))
    assert not first.streams["opportunities"].equals(other.streams["opportunities"])
    assert not first.truth.equals(other.truth)   # the seed also jitters the base quality


@pytest.mark.parametrize("cut", [date(2024, 7, 17), date(2025, 2, 28)])
def test_data_up_to_a_day_does_not_depend_on_the_end_date(growth, cut):
    short = generate_ecosystem(profile(), cut)
    visible = pd.Timestamp(cut + timedelta(days=1), tz="UTC")
    for name in STREAMS:
        frame = growth.streams[name]
        expected = frame[frame["source_updated_at"] < visible].reset_index(drop=True)
        pd.testing.assert_frame_equal(short.streams[name], expected, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(short.truth, growth.truth.loc[: pd.Timestamp(cut)], check_exact=True)


def test_stability_holds_with_a_mid_month_start_and_events():
    events = [SandboxEvent(kind="governance_reorganisation", start=date(2024, 5, 20)),
              SandboxEvent(kind="quality_shift", dimension="D5", delta=0.4, ramp_days=30, start=date(2024, 9, 1))]
    make = lambda end: generate_ecosystem(  # noqa: E731
        SandboxProfile(stage="early_stage", maturity=2, seed=3, history_start=date(2024, 2, 15), events=events), end)
    short, long = make(date(2024, 11, 3)), make(date(2025, 8, 31))
    visible = pd.Timestamp(date(2024, 11, 4), tz="UTC")
    for name in STREAMS:
        frame = long.streams[name]
        pd.testing.assert_frame_equal(short.streams[name],
                                      frame[frame["source_updated_at"] < visible].reset_index(drop=True), obj=name)


def test_every_stream_speaks_the_canonical_contract(growth):
    columns, enums = contract()
    assert set(STREAMS) == set(columns) - {"partner_versions", "partner_matches"}  # both derived from partners
    for name in STREAMS:
        frame = growth.streams[name]
        assert len(frame), name
        assert list(frame.columns) == ["source_id", "source_updated_at", "is_deleted", "payload"]
        assert str(frame["source_updated_at"].dt.tz) == "UTC"
        wanted = {c for c in columns[name] if c not in ("org_id", "source") and not c.endswith("_eur")}
        assert {frozenset(p) for p in frame["payload"]} == {frozenset(wanted)}, name
        values = pd.DataFrame(frame["payload"].tolist())
        for field, allowed in enums[name].items():
            seen = set(values[field].dropna())
            assert seen <= allowed, (name, field, seen - allowed)
        for field in values.columns:
            present = values[field].dropna()
            if field in DATE_FIELDS:
                assert present.map(lambda v: bool(ISO_DATE.match(v))).all(), (name, field)
            elif field in TS_FIELDS:
                assert present.map(lambda v: bool(ISO_TS.match(v))).all(), (name, field)
            elif field in AMOUNT_FIELDS:
                assert present.map(lambda v: isinstance(v, float) and round(v, 2) == v).all(), (name, field)
            elif field == "currency":
                assert set(present) <= {"EUR", "USD", "GBP"}
            elif field.endswith("_id"):
                assert present.map(lambda v: isinstance(v, str)).all(), (name, field)


def test_versions_are_ordered_consistent_and_never_after_the_end(growth):
    visible = pd.Timestamp(END + timedelta(days=1), tz="UTC")
    for name in STREAMS:
        frame = growth.streams[name]
        assert (frame["source_updated_at"] < visible).all(), name
        assert frame["source_updated_at"].is_monotonic_increasing, name
        assert not frame.duplicated(["source_id", "source_updated_at"]).any(), name
    opps = growth.streams["opportunities"]
    status = opps["payload"].map(lambda p: p["status"])
    closed = opps["payload"].map(lambda p: p["closed_on"])
    first = ~opps["source_id"].duplicated()
    assert (status[first] == "open").all() and closed[first].isna().all()
    later = ~first
    assert status[later].isin(["won", "lost"]).all() and closed[later].notna().all()
    assert opps["source_id"].value_counts().max() == 2
    assert (status == "open").any() and (status == "won").any()   # deals still open at the end stay open
    regs = growth.streams["deal_registrations"]
    first = ~regs["source_id"].duplicated()
    assert (regs.loc[first, "payload"].map(lambda p: p["status"]) == "pending").all()
    partners = growth.streams["partners"]
    churn = partners["payload"].map(lambda p: p["churned_on"])
    assert churn[~partners["source_id"].duplicated()].isna().all()   # nobody is churned when onboarded
    assert (partners["source_id"].value_counts() > 1).any()          # tier/owner/sponsor changes make versions
    # Partners older than the history are stamped at their onboarding, before history_start.
    assert partners["source_updated_at"].min() < pd.Timestamp(START, tz="UTC")


def test_deals_come_with_and_without_partners_in_mostly_euro(growth):
    opps = latest(growth, "opportunities")
    direct = opps["attribution"] == "none"
    assert direct.any() and (~direct).any()
    assert opps.loc[direct, "partner_id"].isna().all() and opps.loc[~direct, "partner_id"].notna().all()
    share = opps["currency"].value_counts(normalize=True)
    assert share["EUR"] > 0.5 and share.get("USD", 0) > 0.02 and share.get("GBP", 0) > 0.02


def test_truth_is_the_daily_latent_quality(growth):
    truth = growth.truth
    assert list(truth.columns) == [f"D{i}" for i in range(1, 9)]
    assert truth.index[0] == pd.Timestamp(START) and truth.index[-1] == pd.Timestamp(END)
    assert len(truth) == (END - START).days + 1
    assert truth.to_numpy().min() >= 0 and truth.to_numpy().max() <= 1
    assert growth.level == 3
    assert truth["D5"].iloc[0] == pytest.approx(0.44, abs=0.04)   # level 3 base plus jitter


@pytest.mark.parametrize("stage, partners, opportunities_per_year", [
    ("early_stage", (8, 25), (100, 900)),
    ("growth", (60, 150), (3_500, 9_000)),
    ("mature", (420, 620), (35_000, 75_000)),
])
def test_stage_sets_the_size(stage, partners, opportunities_per_year, capsys):
    started = time.perf_counter()
    eco = generate_ecosystem(profile(stage, maturity=3), END)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[sandbox] {stage} level 3, {START}..{END}: generated in {seconds:.2f} s")
    p = latest(eco, "partners")
    for day in (str(START), "2024-12-31", str(END)):
        assert partners[0] <= len(active_on(p, day)) <= partners[1], (stage, day)
    assert (p["onboarded_on"] < str(START)).any() and (p["onboarded_on"] > str(START)).any()
    assert p["churned_on"].notna().any()
    o = latest(eco, "opportunities")
    per_year = o["created_on"].between(str(START), str(END)).sum() / 2
    assert opportunities_per_year[0] <= per_year <= opportunities_per_year[1], per_year
    tiers = active_on(p, str(END))["tier"].value_counts()
    assert tiers.get("registered", 0) + tiers.get("silver", 0) > tiers.get("gold", 0) + tiers.get("platinum", 0)


def _behaviour(eco: SandboxEcosystem) -> dict[str, float]:
    """A handful of behaviours over the last year, computed the plain way from the latest versions."""
    since = "2025-01-01"
    regs = latest(eco, "deal_registrations")
    regs = regs[regs["submitted_at"] >= since]
    hours = (pd.to_datetime(regs["decided_at"]) - pd.to_datetime(regs["submitted_at"])).dt.total_seconds() / 3600
    partners = active_on(latest(eco, "partners"), str(END))
    certs = latest(eco, "certifications")
    valid = certs[(certs["earned_on"] <= str(END)) & (certs["expires_on"] >= str(END))]
    surveys = latest(eco, "partner_surveys")
    answered = surveys[(surveys["responded_on"] >= since) & surveys["nps_score"].notna()]
    opps = latest(eco, "opportunities")
    closed = opps[opps["status"].isin(["won", "lost"]) & (opps["closed_on"] >= since)]
    win = (closed["status"] == "won").groupby(closed["attribution"] != "none").mean()
    tickets = latest(eco, "support_tickets")
    tickets = tickets[tickets["opened_at"] >= since]
    resolution = (pd.to_datetime(tickets["resolved_at"]) - pd.to_datetime(tickets["opened_at"])).dt.total_seconds()
    return {
        "decision_hours": float(hours.median()),
        "certified_share": float(partners["partner_id"].isin(valid["partner_id"]).mean()),
        "nps": float(((answered["nps_score"] >= 9).mean() - (answered["nps_score"] <= 6).mean()) * 100),
        "owner_share": float(partners["owner_id"].notna().mean()),
        "win_rate_uplift": float(win[True] - win[False]),
        "ticket_hours": float(resolution.median() / 3600),
    }


def test_a_level_4_organisation_beats_a_level_2_one():
    low = _behaviour(generate_ecosystem(profile(maturity=2, seed=21), END))
    high = _behaviour(generate_ecosystem(profile(maturity=4, seed=21), END))
    assert high["decision_hours"] < low["decision_hours"] / 2
    assert high["certified_share"] > low["certified_share"] + 0.2
    assert high["nps"] > low["nps"] + 20
    assert high["owner_share"] > low["owner_share"] + 0.15
    assert high["win_rate_uplift"] > low["win_rate_uplift"] + 0.05
    assert high["ticket_hours"] < low["ticket_hours"] / 1.5


def test_enablement_collapse_shows_from_its_start_and_not_before():
    start = date(2025, 1, 1)
    calm = generate_ecosystem(profile(maturity=4, seed=31), END)
    hit = generate_ecosystem(profile(maturity=4, seed=31, events=[SandboxEvent(kind="enablement_collapse",
                                                                              start=start)]), END)
    assert hit.truth.loc["2025-01-08":, "D4"].max() < calm.truth.loc["2025-01-08":, "D4"].min() - 0.4
    before = pd.Timestamp(start, tz="UTC")
    for name in STREAMS:   # quality only changes what happens from the start on
        a, b = calm.streams[name], hit.streams[name]
        pd.testing.assert_frame_equal(a[a["source_updated_at"] < before].reset_index(drop=True),
                                      b[b["source_updated_at"] < before].reset_index(drop=True), obj=name)

    def enablement(eco):
        certs = latest(eco, "certifications")
        earned = (certs["earned_on"] >= str(start)).sum()
        training = latest(eco, "training_enrolments")
        training = training[training["enrolled_on"].between(str(start), "2025-10-31")]
        done = (pd.to_datetime(training["completed_on"]) - pd.to_datetime(training["enrolled_on"])).dt.days <= 60
        partners = active_on(latest(eco, "partners"), str(END))
        valid = certs[(certs["earned_on"] <= str(END)) & (certs["expires_on"] >= str(END))]
        return earned, done.mean(), partners["partner_id"].isin(valid["partner_id"]).mean()

    calm_earned, calm_done, calm_cover = enablement(calm)
    hit_earned, hit_done, hit_cover = enablement(hit)
    assert hit_earned < 0.6 * calm_earned
    assert hit_done < calm_done - 0.2
    assert hit_cover < calm_cover - 0.15


def test_governance_reorganisation_dips_and_recovers():
    start = date(2024, 6, 3)
    model = QualityModel(profile(maturity=3, events=[SandboxEvent(kind="governance_reorganisation", start=start)]))
    days = np.array([start - timedelta(days=1), start + timedelta(days=5), start + timedelta(days=50),
                     start + timedelta(days=95)], dtype="datetime64[D]")
    d2 = model.dim("D2", days)
    assert d2[1] == pytest.approx(d2[0] - 0.35)
    assert d2[2] == pytest.approx(d2[0] - 0.35 / 2, abs=0.01)
    assert d2[3] == pytest.approx(d2[0])


def test_quality_shift_with_duration_returns():
    shift = SandboxEvent(kind="quality_shift", dimension="D6", delta=0.3, ramp_days=10, duration_days=30,
                         start=date(2024, 3, 1))
    model = QualityModel(profile(maturity=2, events=[shift], quality_overrides={"D6": 0.4}))
    offsets = [0, 5, 10, 40, 45, 50, 200]
    days = np.array([date(2024, 3, 1) + timedelta(days=d) for d in offsets], dtype="datetime64[D]")
    assert model.dim("D6", days) == pytest.approx([0.4, 0.55, 0.7, 0.7, 0.55, 0.4, 0.4])
    assert model.base[5] == 0.4   # overrides replace the level's base exactly


def test_profile_validation():
    with pytest.raises(ValidationError, match="needs delta"):
        SandboxEvent(kind="quality_shift", dimension="D1", start=START)
    with pytest.raises(ValidationError, match="only apply to quality_shift"):
        SandboxEvent(kind="enablement_collapse", dimension="D4", start=START)
    with pytest.raises(ValidationError):
        SandboxEvent(kind="quality_shift", dimension="D9", delta=0.1, start=START)
    with pytest.raises(ValidationError):
        SandboxEvent(kind="quality_shift", dimension="D1", delta=1.5, start=START)
    with pytest.raises(ValidationError):
        SandboxProfile(stage="growth", maturity=6, seed=1, history_start=START)
    with pytest.raises(ValidationError):
        SandboxProfile(stage="huge", maturity=3, seed=1, history_start=START)
    with pytest.raises(ValidationError):
        SandboxProfile(stage="growth", maturity=3, seed=1, history_start=START, quality_overrides={"D1": 1.2})
    with pytest.raises(ValidationError):
        SandboxProfile(stage="growth", maturity=3, seed=1, history_start=START, colour="blue")
    p = profile()
    with pytest.raises(ValidationError):
        p.seed = 2
    with pytest.raises(ValueError, match="before history_start"):
        generate_ecosystem(p, date(2023, 12, 31))


def test_the_docs_state_every_behaviour():
    text = (ROOT / "docs" / "sandbox.md").read_text()
    missing = [name for name in ANCHORS if f"`{name}`" not in text]
    assert not missing
