"""End to end on the sandbox: an injected enablement collapse raises one Enablement alert, with its explanation,
within the detection delay, and nothing else.

Two sandbox organisations with the same profile and seed (the demo's Northwind): one where the enablement team
leaves (`enablement_collapse`), its twin without the event. Because the sandbox draws every month from its own
seeded generators, everything the twin shows is the organisation's ordinary behaviour; whatever the collapsed one
shows beyond it is the collapse. Both go through the real daily layers (ingest, canonical, signals, dimension scores,
health) and the real drift step (detection, lifecycle, outbox, delivery to a loopback webhook).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from apex_model.model import load_model
from apex_model.drift import like_for_like
from dbt_like_sql.drift_schema import apex_alerts, apex_drift_events
from dbt_like_sql.schema import apex_score_changes
from dbt_like_sql.warehouse import make_engine
from pipelines import drift, layers
from pipelines.deployment import parse_deployment
from tests.connectors.receivers import HttpReceiver

COLLAPSE = date(2026, 3, 1)
DAYS = pd.date_range("2025-09-01", "2026-10-31")      # learning, the collapse, and the months it takes to show
PROFILE = {"stage": "growth", "maturity": 3, "seed": 42, "history_start": "2025-01-01"}
# The detection delay the detector promises for this kind of change, from the backtest (docs/drift.md): within
# 7 days of the day the score's own move from its level before the change reached the 10 points the goal names.
DETECTION_WINDOW_DAYS = 7
LARGE_SHIFT = 10.0


def deployment():
    orgs = [{"id": "collapse", "name": "Northwind (collapse)", "language": "en", "sources": [
                {"type": "sandbox", "profile": {**PROFILE, "events": [
                    {"kind": "enablement_collapse", "start": COLLAPSE.isoformat()}]}}]},
            {"id": "twin", "name": "Northwind (twin)", "language": "en", "sources": [
                {"type": "sandbox", "profile": PROFILE}]}]
    alerts = {"channels": [{"name": "hook", "type": "webhook", "url_env": "APEX_E2E_HOOK_URL",
                            "secret_env": "APEX_E2E_HOOK_SECRET", "backoff_seconds": 0.01}],
              "routes": [{"channel": "hook", "severities": ["alert"], "language": "en"}],
              # The backfill stands in for the daily runs of those days, so their digests are sent as they were.
              "notify_max_age_days": 1000}
    return parse_deployment({"organisations": orgs, "alerts": alerts}, "<e2e>")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Both organisations scored over DAYS and run through the drift step as of the last day; what the webhook got."""
    model = load_model()
    dep = deployment()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e')}/warehouse.sqlite")
    end = DAYS[-1].date()
    with HttpReceiver() as http:
        mp = pytest.MonkeyPatch()
        mp.setenv("APEX_E2E_HOOK_URL", http.url("/apex"))
        mp.setenv("APEX_E2E_HOOK_SECRET", "e2e-secret")
        try:
            for org in dep.organisations:
                layers.ingest(engine, org, end)
                layers.build_canonical(engine, org.id)
                layers.compute_signal_layer(engine, model, org, DAYS)
                layers.compute_dimension_layer(engine, model, org, DAYS)
                layers.compute_health_layer(engine, model, org, DAYS)
                layers.compute_change_layer(engine, model, org, DAYS)
                drift.run_drift(engine, model, dep, org, DAYS, today=end)
            drift.deliver(engine, dep, ["collapse", "twin"], today=end)
        finally:
            mp.undo()
        received = [r.json() for r in http.requests]
    with engine.connect() as conn:
        alerts = pd.read_sql(sa.select(apex_alerts).where(apex_alerts.c.severity == "alert"), conn)
        events = pd.read_sql(sa.select(apex_drift_events), conn)
    scores = {org: drift.load_history(engine, model, org, end)[0] for org in ("collapse", "twin")}
    composition = drift.load_composition(engine, model, "twin", scores["twin"])
    with engine.connect() as conn:
        changes = pd.read_sql(sa.select(apex_score_changes).where(apex_score_changes.c.org_id == "twin"), conn)
    engine.dispose()
    alerts["opened_on"] = pd.to_datetime(alerts["opened_on"]).dt.date
    return {"alerts": alerts, "events": events, "scores": scores, "received": received, "composition": composition,
            "changes": changes}


def keys(alerts: pd.DataFrame, org: str) -> set[tuple[str, str, date]]:
    mine = alerts[alerts["org_id"] == org]
    return set(zip(mine["series"], mine["direction"], mine["opened_on"]))


def unmatched(mine: set, others: set, days: int = 7) -> set:
    """The alerts of `mine` with no alert of `others` on the same series and direction opened within `days`: the
    two organisations share their ordinary wandering, but a score a point apart can cross the line a few days
    apart."""
    return {k for k in mine if not any(o[:2] == k[:2] and abs((o[2] - k[2]).days) <= days for o in others)}


def test_the_collapse_raises_one_enablement_alert_and_nothing_else(world) -> None:
    alerts = world["alerts"]
    twin, collapse = keys(alerts, "twin"), keys(alerts, "collapse")
    # Without the event: no Enablement alert at all.
    assert not [k for k in twin if k[0] == "D4"]
    # With it: exactly one alert more, Enablement falling; every other alert is the twin's own (the same
    # organisation wandering the same way, opened within a week of the twin's), so the collapse raised nothing else.
    extra = unmatched(collapse, twin)
    assert len(extra) == 1
    ((series, direction, opened_on),) = extra
    assert (series, direction) == ("D4", "down")
    assert unmatched(twin, collapse) == set()


def test_the_alert_comes_within_the_detection_delay(world) -> None:
    (opened_on,) = [k[2] for k in keys(world["alerts"], "collapse") if k[0] == "D4"]
    d4 = world["scores"]["collapse"]["D4"]
    # The score's own fall from its level in the month before the collapse (what the detector can see).
    before = d4.loc[pd.Timestamp(COLLAPSE) - pd.Timedelta(days=30):pd.Timestamp(COLLAPSE)].median()
    fall = (before - d4.rolling(7, min_periods=4).median()).loc[pd.Timestamp(COLLAPSE):]
    reached = fall.index[(fall >= LARGE_SHIFT).to_numpy()][0]
    assert COLLAPSE < opened_on <= (reached + pd.Timedelta(days=DETECTION_WINDOW_DAYS)).date()
    # And the collapse is what moved it: the twin's Enablement score did not fall like that.
    twin = world["scores"]["twin"]["D4"]
    assert twin.loc[pd.Timestamp(opened_on)] - d4.loc[pd.Timestamp(opened_on)] >= LARGE_SHIFT


def test_the_alert_is_explained(world) -> None:
    alerts = world["alerts"]
    row = alerts[(alerts["org_id"] == "collapse") & (alerts["series"] == "D4")].iloc[0]
    events = world["events"]
    day = events[(events["org_id"] == "collapse") & (events["series"] == "D4")
                 & (pd.to_datetime(events["as_of"]).dt.date == row["opened_on"])].iloc[0]
    assert day["event"] == "alert" and day["alert_id"] == row["alert_id"]
    explanation = day["explanation"]
    # The signals that moved it most: Enablement signals, the largest contribution a fall.
    drivers = explanation["drivers"]
    assert drivers and drivers[0]["points"] < 0
    model = load_model()
    d4_signals = {s.id for s in model.signals if s.dimension == "D4"} | {"coverage"}
    assert {d["component"] for d in drivers} <= d4_signals
    # The baseline and the normal variation, and a likely start after the collapse began.
    d4 = world["scores"]["collapse"]["D4"]
    assert row["baseline"] == pytest.approx(d4.loc[pd.Timestamp(COLLAPSE) - pd.Timedelta(days=60):
                                                   pd.Timestamp(COLLAPSE)].median(), abs=4)
    assert 0 < row["sigma"] < 10
    assert row["deviation_at_open"] <= -row["min_effect"]
    assert COLLAPSE <= pd.Timestamp(row["onset_on"]).date() <= row["opened_on"]
    text = row["explanation_en"]
    assert "Enablement (D4) fell" in text and "normal variation" in text and "began" in text


def test_the_alert_is_delivered_once_with_its_explanation(world) -> None:
    (opened_on,) = [k[2] for k in keys(world["alerts"], "collapse") if k[0] == "D4"]
    opened = [(r["payload"]["as_of"], i) for r in world["received"] if r["payload"]["organisation"] == "collapse"
              for i in r["payload"]["items"] if i["series"] == "D4" and i["kind"] == "opened"]
    assert len(opened) == 1
    day, item = opened[0]
    assert day == opened_on.isoformat() and item["direction"] == "down"
    assert item["explanation"]["drivers"] and item["explanation"]["onset"] >= COLLAPSE.isoformat()
    # The twin's digests never mention Enablement.
    assert not [i for r in world["received"] if r["payload"]["organisation"] == "twin"
                for i in r["payload"]["items"] if i["series"] == "D4"]


def test_the_detector_judges_the_signals_own_moves_not_signals_coming_and_going(world) -> None:
    # The daily job stores why each dimension moved (apex_score_changes); the drift step takes the part of signals
    # appearing or dropping out out of the series, so what it judges moves exactly by the signals' value changes.
    composition, scores, changes = world["composition"], world["scores"]["twin"], world["changes"]
    dims = [c for c in composition.columns if c != "overall"]
    assert (composition[dims].abs() > 0.5).any().any(), "the sandbox year has signals coming and going"
    values = changes[changes["effect"] == "value"].assign(to_date=lambda f: pd.to_datetime(f["to_date"]))
    value_moves = values.groupby(["to_date", "dimension"])["contribution"].sum().unstack()
    judged_moves = like_for_like(scores, composition)[dims].diff().loc[value_moves.index]
    both = judged_moves.notna() & value_moves[dims].notna()
    assert both.to_numpy().sum() > 300
    assert (judged_moves[both] - value_moves[dims][both]).abs().max().max() < 1e-6
