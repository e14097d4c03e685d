"""The drift and alerting layer, free of Dagster: read stored scores, detect, keep the alert lifecycle, fill the
outbox, deliver it.

Grain: one organisation per call; `run_drift` writes the drift rows of the given days, rebuilds the organisation's
alerts from its whole stored history (the lifecycle is a replay, so a recomputed day decides the same), and adds
one outbox row per day and route that has something to say. `deliver` sends the outbox rows that are due. The
Dagster assets, the CLI and the tests call these, so what runs daily and what a test checks are the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import sqlalchemy as sa

from apex_model.alert_text import day_text, digest_title, failure_title, finding_line, series_name
from apex_model.alerting import (DQ, ESCALATED, GREW, OPENED, REMINDER, RESOLVED, WATCH_OPENED, AlertRecord, Item,
                                 for_severities, group_by_day, replay, with_explanation)
from apex_model.composition import dimension_composition, overall_composition
from apex_model.drift import (ALERT, ONSET_LOOKBACK_DAYS, SERIES_IDS, WATCH, Rebase, detect, explain_change,
                              like_for_like, onset)
from apex_model.explain import APPEARED, DROPPED
from apex_model.model import DIMENSION_IDS, ApexModel
from connectors.notify import DeliveryError, Notification
from dbt_like_sql.drift_schema import apex_alert_actions, apex_alert_notifications, apex_alerts, apex_drift_events
from dbt_like_sql.schema import (apex_dimension_scores, apex_ecosystem_health, apex_score_changes, apex_signal_values,
                                 ensure_tables)
from dbt_like_sql.warehouse import insert_ignoring_duplicates, replace_partition_rows
from pipelines.alerting_config import MissingSecretError, build_channel
from pipelines.deployment import Deployment, Organisation

PENDING, SENT, FAILED, SUPPRESSED = "pending", "sent", "failed", "suppressed"
DATA_QUALITY_TABLE = "apex_data_quality_status"
SCORE_CHANGES_TABLE = "apex_score_changes"
_TOP_DRIVERS = 3


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class DriftRun:
    """What one organisation's drift run decided, for metadata and the CLI."""

    org_id: str
    findings: pd.DataFrame                    # the rows written for the run's days
    alerts: list[AlertRecord]
    outbox: list[dict] = field(default_factory=list)

    @property
    def open_alerts(self) -> list[AlertRecord]:
        return [a for a in self.alerts if a.status == "open"]


def load_history(engine: sa.Engine, model: ApexModel, org_id: str, until: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, coverage): one row per stored day from the organisation's first one to `until`, one column per
    series (D1..D8 from apex_dimension_scores, `overall` from apex_ecosystem_health); NaN where nothing was scored."""
    dims_t, health_t = apex_dimension_scores, apex_ecosystem_health
    with engine.connect() as conn:
        dims = pd.read_sql(sa.select(dims_t.c.as_of, dims_t.c.dimension, dims_t.c.score, dims_t.c.coverage)
                           .where(dims_t.c.org_id == org_id, dims_t.c.model_version == model.version,
                                  dims_t.c.as_of <= until), conn)
        health = pd.read_sql(sa.select(health_t.c.as_of, health_t.c.overall_score, health_t.c.coverage)
                             .where(health_t.c.org_id == org_id, health_t.c.model_version == model.version,
                                    health_t.c.as_of <= until), conn)
    if dims.empty:
        raise ValueError(f"organisation {org_id!r}: no dimension scores stored up to {until}; materialise the score "
                         f"layers first")
    dims["as_of"] = pd.to_datetime(dims["as_of"])
    health["as_of"] = pd.to_datetime(health["as_of"])
    days = pd.date_range(dims["as_of"].min(), pd.Timestamp(until), freq="D", name="as_of")
    scores = dims.pivot(index="as_of", columns="dimension", values="score").reindex(index=days,
                                                                                     columns=list(DIMENSION_IDS))
    coverage = dims.pivot(index="as_of", columns="dimension", values="coverage").reindex(
        index=days, columns=list(DIMENSION_IDS))
    scores["overall"] = health.set_index("as_of")["overall_score"].reindex(days)
    coverage["overall"] = health.set_index("as_of")["coverage"].reindex(days)
    return scores.astype(float), coverage.astype(float)


def load_composition(engine: sa.Engine, model: ApexModel, org_id: str, scores: pd.DataFrame) -> pd.DataFrame:
    """Each day's composition effect per series, in points (`apex_model/composition.py`): the part of the move from
    the day before that signals appearing or dropping out caused, from the stored day-over-day changes
    (`apex_score_changes`) and, for the overall score, the dimension weights (`apex_dimension_scores.weight`).
    0 where no change row is stored: the detector then takes that day's move as it is."""
    changes_t, dims_t = apex_score_changes, apex_dimension_scores
    first, last = scores.index[0].date(), scores.index[-1].date()
    with engine.connect() as conn:
        changes = pd.read_sql(sa.select(changes_t.c.from_date, changes_t.c.to_date, changes_t.c.dimension,
                                        changes_t.c.effect, changes_t.c.contribution).where(
            changes_t.c.org_id == org_id, changes_t.c.model_version == model.version,
            changes_t.c.effect.in_([APPEARED, DROPPED]), changes_t.c.to_date >= first, changes_t.c.to_date <= last),
            conn)
        weights = pd.read_sql(sa.select(dims_t.c.as_of, dims_t.c.dimension, dims_t.c.weight).where(
            dims_t.c.org_id == org_id, dims_t.c.model_version == model.version, dims_t.c.as_of >= first,
            dims_t.c.as_of <= last), conn)
    composition = dimension_composition(changes, scores.index)
    weights["as_of"] = pd.to_datetime(weights["as_of"])
    weights = weights.pivot(index="as_of", columns="dimension", values="weight").reindex(
        index=scores.index, columns=list(DIMENSION_IDS))
    composition["overall"] = overall_composition(scores[list(DIMENSION_IDS)], composition, weights,
                                                 scores["overall"])
    return composition


def stage_of(engine: sa.Engine, model: ApexModel, org_id: str, until: date) -> str | None:
    """The organisation's programme stage for the detector's stage settings: the most frequent stage of its health
    rows in the 90 days up to `until` (stable while a stage classification hovers at a boundary)."""
    h = apex_ecosystem_health
    with engine.connect() as conn:
        rows = conn.execute(sa.select(h.c.stage, sa.func.count()).where(
            h.c.org_id == org_id, h.c.model_version == model.version, h.c.as_of <= until,
            h.c.as_of > until - timedelta(days=90)).group_by(h.c.stage)).all()
    if not rows:
        return None
    return max(rows, key=lambda r: (r[1], r[0]))[0]


def gate_reasons(engine: sa.Engine, org_id: str, coverage: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    """Why a day of a series must not be evaluated: coverage below the gate, or (when the data-quality table exists
    and has rows for the day) a dimension whose inputs failed their checks or are not fresh."""
    reasons = pd.DataFrame(None, index=coverage.index, columns=coverage.columns, dtype=object)
    low = coverage < min_coverage
    for col in coverage.columns:
        reasons.loc[low[col], col] = coverage.loc[low[col], col].map(
            lambda c: f"coverage {c:.0%} below {min_coverage:.0%}")
    if not sa.inspect(engine).has_table(DATA_QUALITY_TABLE):
        return reasons
    table = sa.Table(DATA_QUALITY_TABLE, sa.MetaData(), autoload_with=engine)
    needed = {"org_id", "as_of", "dimension", "status", "fresh"}
    if not needed <= set(table.c.keys()):
        return reasons
    cols = [table.c.as_of, table.c.dimension, table.c.status, table.c.fresh]
    if "reason" in table.c:
        cols.append(table.c.reason)
    with engine.connect() as conn:
        dq = pd.read_sql(sa.select(*cols).where(table.c.org_id == org_id, table.c.as_of >= coverage.index[0].date(),
                                                table.c.as_of <= coverage.index[-1].date()), conn)
    if dq.empty:
        return reasons
    dq["as_of"] = pd.to_datetime(dq["as_of"])
    bad = dq[(dq["status"] == "failed") | ~dq["fresh"].astype(bool)]
    for row in bad.itertuples(index=False):
        if row.dimension not in reasons.columns or row.as_of not in reasons.index:
            continue
        why = "inputs failed their checks" if row.status == "failed" else "inputs not fresh"
        detail = getattr(row, "reason", None)
        reasons.loc[row.as_of, row.dimension] = f"{why}: {detail}" if detail else why
    # The overall score is held back with any of its dimensions.
    dims_bad = reasons[list(DIMENSION_IDS)].notna().any(axis=1) & reasons["overall"].isna()
    reasons.loc[dims_bad, "overall"] = "a dimension's inputs failed their checks"
    return reasons


def rebases(engine: sa.Engine, deployment: Deployment, org_id: str) -> list[Rebase]:
    """Every "new normal" of the organisation: from `apex alerts ack` (the actions table) and the configuration."""
    out = [Rebase(a.series, a.on) for a in deployment.alerts.acknowledgements if a.organisation == org_id]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(apex_alert_actions.c.series, apex_alert_actions.c.effective_on)
                            .where(apex_alert_actions.c.org_id == org_id)).all()
    out += [Rebase(series, effective_on) for series, effective_on in rows]
    return sorted(out, key=lambda r: (r.on, r.series))


def acknowledge(engine: sa.Engine, org_id: str, series: str, effective_on: date, note: str | None = None) -> None:
    """Record that the level of `series` from `effective_on` is the new normal (re-bases the detector)."""
    if series not in SERIES_IDS:
        raise ValueError(f"unknown series {series!r}; expected one of {', '.join(SERIES_IDS)}")
    ensure_tables(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(apex_alert_actions).where(apex_alert_actions.c.org_id == org_id,
                                                         apex_alert_actions.c.series == series,
                                                         apex_alert_actions.c.effective_on == effective_on))
        conn.execute(sa.insert(apex_alert_actions).values(org_id=org_id, series=series, effective_on=effective_on,
                                                          action="new_normal", note=note, created_at=_now()))


def run_drift(engine: sa.Engine, model: ApexModel, deployment: Deployment, org: Organisation, dates,
              today: date | None = None) -> DriftRun:
    """Detect drift for `dates` (and everything stored before, which the detector needs), keep the lifecycle and
    fill the outbox. Days older than `notify_max_age_days` before `today` are recorded as suppressed, not sent."""
    ensure_tables(engine)
    dates = pd.DatetimeIndex(sorted(set(pd.to_datetime(list(dates)).normalize())), name="as_of")
    config = deployment.alerts
    with engine.connect() as conn:
        last_stored = conn.execute(sa.select(sa.func.max(apex_dimension_scores.c.as_of)).where(
            apex_dimension_scores.c.org_id == org.id,
            apex_dimension_scores.c.model_version == model.version)).scalar_one_or_none()
    if last_stored is None:
        raise ValueError(f"organisation {org.id!r}: no dimension scores stored; materialise the score layers first")
    until = max(pd.Timestamp(last_stored).date(), dates[-1].date())
    settings = config.drift_for(org.id).for_stage(org.stage_override or stage_of(engine, model, org.id, until))
    scores, coverage = load_history(engine, model, org.id, until)
    missing = dates.difference(scores.index[scores.notna().any(axis=1) | coverage.notna().any(axis=1)])
    if len(missing):
        raise ValueError(f"organisation {org.id!r}: no scores stored for {missing[0].date()} ({len(missing)} "
                         f"date(s)); materialise the score layers for these dates first")
    composition = load_composition(engine, model, org.id, scores) if settings.like_for_like else None
    findings = detect(scores, settings, gate_reasons=gate_reasons(engine, org.id, coverage, settings.min_coverage),
                      rebases=rebases(engine, deployment, org.id), composition=composition)
    findings["coverage"] = coverage.stack(future_stack=True).reindex(
        pd.MultiIndex.from_arrays([findings["as_of"], findings["series"]])).to_numpy()

    records, items = replay(org.id, findings, config.lifecycle)
    explainer = _Explainer(engine, model, org.id, scores, coverage, settings.baseline_lag_days,
                           like_for_like(scores, composition))
    for record in records:
        exp = explainer.explain(record.series, record.opened_on, record.baseline)
        record.onset_on = exp.get("onset")
        record.explanation = exp

    day_rows = findings[findings["as_of"].isin(dates)].copy()
    day_rows["alert_id"] = _alert_ids(day_rows, records)
    explanations = []
    for row in day_rows.itertuples(index=False):
        if row.event in (ALERT, WATCH):
            exp = explainer.explain(row.series, row.as_of.date(), row.episode_baseline
                                    if not pd.isna(row.episode_baseline) else row.baseline)
            explanations.append(exp)
        else:
            explanations.append(None)
    day_rows["explanation"] = explanations
    day_rows["onset_on"] = [date.fromisoformat(e["onset"]) if e and e.get("onset") else None for e in explanations]
    _write_findings(engine, model, org.id, day_rows, dates)
    _write_alerts(engine, model, org.id, records, explainer)

    today = today or date.today()
    outbox = _fill_outbox(engine, model, deployment, org, items, records, dates, today, explainer)
    return DriftRun(org.id, day_rows, records, outbox)


def _alert_ids(rows: pd.DataFrame, records: list[AlertRecord]) -> list[str | None]:
    out = []
    for row in rows.itertuples(index=False):
        day = row.as_of.date()
        direction = row.direction or row.episode_direction
        match = None
        for rec in records:
            if rec.series == row.series and rec.direction == direction and rec.opened_on <= day and \
                    (rec.resolved_on is None or rec.resolved_on >= day):
                match = rec.alert_id
        out.append(match)
    return out


class _Explainer:
    """Why a series moved: the signals (or, for the overall score, the dimensions) that contributed most between a
    reference day of the baseline window and the day, the data coverage, and when the shift most likely began."""

    def __init__(self, engine, model, org_id, scores, coverage, lags, judged) -> None:
        self.engine, self.model, self.org_id = engine, model, org_id
        self.scores, self.coverage = scores, coverage
        # The series as the detector judged it (without composition effects); the baseline it reports reads in the
        # day's own composition, so `judged - scores` on the day converts it back.
        self.judged = judged
        self.near, self.far = lags
        self._names = None
        self._cache: dict = {}

    def names(self) -> dict[str, tuple[str, str]]:
        if self._names is None:
            from signals.registry import catalogue

            self._names = {sid: (card.name_en, card.name_nl) for sid, card in catalogue().items()}
        return self._names

    def reference_day(self, series: str, day: date, baseline: float) -> date | None:
        """The day of the baseline window whose score is nearest the baseline (the level the change is against),
        both taken without composition effects."""
        if baseline is None or pd.isna(baseline):
            return None
        s = self.judged[series]
        at = pd.Timestamp(day)
        level = baseline - (self.scores[series].get(at, np.nan) - s.get(at, np.nan))
        if pd.isna(level):
            level = baseline
        window = s.loc[at - pd.Timedelta(days=self.far):at - pd.Timedelta(days=self.near)].dropna()
        if window.empty:
            return None
        return (window - level).abs().idxmin().date()

    def explain(self, series: str, day: date, baseline: float) -> dict:
        key = (series, day)
        if key in self._cache:
            return self._cache[key]
        out: dict = {}
        ref = self.reference_day(series, day, baseline)
        s = self.judged[series]
        start = pd.Timestamp(day) - pd.Timedelta(days=ONSET_LOOKBACK_DAYS)
        when = onset(s.loc[start:pd.Timestamp(day)].index, s.loc[start:pd.Timestamp(day)].to_numpy())
        if when is not None:
            out["onset"] = when.date().isoformat()
        cov = self.coverage[series].get(pd.Timestamp(day))
        if cov is not None and not pd.isna(cov):
            out["coverage"] = round(float(cov), 4)
        if ref is not None:
            out["reference_day"] = ref.isoformat()
            out["drivers"] = self._drivers(series, ref, day)
        self._cache[key] = out
        return out

    def _drivers(self, series: str, ref: date, day: date) -> list[dict]:
        stored = self._stored_changes(series, ref, day)
        if stored is not None:
            parts = stored
        elif series == "overall":
            parts = self._dimension_parts(ref, day)
        else:
            parts = self._signal_parts(series, ref, day)
        names = self.names()
        ranked = sorted(parts.items(), key=lambda kv: -abs(kv[1]))[:_TOP_DRIVERS]
        out = []
        for component, points in ranked:
            if abs(points) < 0.05:
                continue
            if component == "coverage":
                en, nl = "coverage change", "wijziging in dekking"
            elif component in DIMENSION_IDS:
                dim = self.model.dimension(component).name
                en, nl = f"{dim.en} ({component})", f"{dim.nl} ({component})"
            else:
                en, nl = names.get(component, (component, component))
            out.append({"component": component, "points": round(float(points), 2), "name_en": en, "name_nl": nl})
        return out

    def _stored_changes(self, series: str, ref: date, day: date) -> dict[str, float] | None:
        """Issue 4's `apex_score_changes` (org, from_date, to_date, dimension, component, contribution), when it
        exists and holds this pair of days; None otherwise."""
        if series == "overall" or not sa.inspect(self.engine).has_table(SCORE_CHANGES_TABLE):
            return None
        table = sa.Table(SCORE_CHANGES_TABLE, sa.MetaData(), autoload_with=self.engine)
        if not {"org_id", "from_date", "to_date", "dimension", "component", "contribution"} <= set(table.c.keys()):
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.component, table.c.contribution).where(
                table.c.org_id == self.org_id, table.c.from_date == ref, table.c.to_date == day,
                table.c.dimension == series)).all()
        return {c: float(v) for c, v in rows} if rows else None

    def _signal_parts(self, series: str, ref: date, day: date) -> dict[str, float]:
        t = apex_signal_values
        with self.engine.connect() as conn:
            rows = pd.read_sql(sa.select(t.c.as_of, t.c.signal_id, t.c.score, t.c.status).where(
                t.c.org_id == self.org_id, t.c.model_version == self.model.version, t.c.dimension == series,
                t.c.as_of.in_([ref, day])), conn)
        rows["as_of"] = pd.to_datetime(rows["as_of"]).dt.date
        present = rows[(rows["status"] == "present") & rows["score"].notna()]
        before = dict(zip(present.loc[present["as_of"] == ref, "signal_id"], present.loc[present["as_of"] == ref,
                                                                                          "score"]))
        after = dict(zip(present.loc[present["as_of"] == day, "signal_id"], present.loc[present["as_of"] == day,
                                                                                         "score"]))
        weights = {s.id: s.weight for s in self.model.signals_of(series)}
        parts, cov = explain_change(before, after, weights)
        if abs(cov) >= 0.05:
            parts["coverage"] = cov
        return parts

    def _dimension_parts(self, ref: date, day: date) -> dict[str, float]:
        """Overall = weighted geometric mean, so its log change is the weighted sum of the dimensions' log changes;
        each dimension gets its share of the overall change."""
        t = apex_dimension_scores
        with self.engine.connect() as conn:
            rows = pd.read_sql(sa.select(t.c.as_of, t.c.dimension, t.c.score, t.c.weight).where(
                t.c.org_id == self.org_id, t.c.model_version == self.model.version, t.c.as_of.in_([ref, day])), conn)
        rows["as_of"] = pd.to_datetime(rows["as_of"]).dt.date
        b = rows[rows["as_of"] == ref].set_index("dimension")
        a = rows[rows["as_of"] == day].set_index("dimension")
        both = [d for d in DIMENSION_IDS if d in a.index and d in b.index and not pd.isna(a.loc[d, "score"])
                and not pd.isna(b.loc[d, "score"])]
        logs = {d: float(a.loc[d, "weight"]) * math.log(a.loc[d, "score"] / b.loc[d, "score"]) for d in both}
        total_log = sum(logs.values())
        overall_change = float(self.scores["overall"].get(pd.Timestamp(day), np.nan)
                               - self.scores["overall"].get(pd.Timestamp(ref), np.nan))
        if not logs or total_log == 0 or math.isnan(overall_change):
            return {}
        return {d: overall_change * v / total_log for d, v in logs.items()}

    def text(self, record: AlertRecord, language: str) -> str:
        item = Item(record.opened_on, record.series, OPENED, record.severity, record.direction, record.alert_id,
                    record.deviation_at_open + record.baseline, record.baseline, record.deviation_at_open,
                    record.sigma, record.min_effect, trigger=record.trigger, opened_on=record.opened_on,
                    explanation=record.explanation)
        return finding_line(self.model, item, language)


def _write_findings(engine, model, org_id, rows: pd.DataFrame, dates: pd.DatetimeIndex) -> None:
    out = rows.drop(columns=["episode_direction"]).assign(org_id=org_id, model_version=model.version,
                                                          computed_at=_now())
    out["as_of"] = out["as_of"].dt.date
    out["episode_start"] = [d if isinstance(d, date) else None for d in out["episode_start"]]
    with engine.begin() as conn:
        replace_partition_rows(conn, apex_drift_events, out, org_id=org_id, dates=list(dates.date),
                               model_version=model.version)


def _write_alerts(engine, model, org_id, records: list[AlertRecord], explainer: _Explainer) -> None:
    now = _now()
    rows = [{
        "alert_id": r.alert_id, "model_version": model.version, "org_id": org_id, "series": r.series,
        "direction": r.direction, "severity": r.severity, "status": r.status, "opened_on": r.opened_on,
        "escalated_on": r.escalated_on, "last_seen_on": r.last_seen_on, "resolved_on": r.resolved_on,
        "resolution": r.resolution, "cooldown_until": r.cooldown_until, "baseline": r.baseline,
        "deviation_at_open": r.deviation_at_open, "peak_deviation": r.peak_deviation,
        "last_deviation": r.last_deviation, "last_score": r.last_score, "sigma": r.sigma,
        "min_effect": r.min_effect, "trigger": r.trigger,
        "onset_on": date.fromisoformat(r.onset_on) if r.onset_on else None,
        "explanation_en": explainer.text(r, "en"), "explanation_nl": explainer.text(r, "nl"),
        "last_notified_on": r.last_notified_on, "notifications": r.notifications, "updated_at": now,
    } for r in records]
    with engine.begin() as conn:
        conn.execute(sa.delete(apex_alerts).where(apex_alerts.c.org_id == org_id,
                                                  apex_alerts.c.model_version == model.version))
        if rows:
            conn.execute(sa.insert(apex_alerts), rows)


def _link(template: str, org_id: str, day: date) -> str:
    return template.replace("{org}", org_id).replace("{date}", day.isoformat())


def _fill_outbox(engine, model, deployment: Deployment, org: Organisation, items: list[Item],
                 records: list[AlertRecord], dates: pd.DatetimeIndex, today: date, explainer: _Explainer) -> list[dict]:
    config = deployment.alerts
    routes = config.routes_for(org.id)
    if not routes:
        return []
    wanted = set(dates.date)
    by_day = group_by_day(i for i in items if i.as_of in wanted)
    newest = max(wanted)
    if (today - newest).days <= config.notify_max_age_days:
        by_day.setdefault(newest, [])  # the newest day also catches up on open alerts never told
    rows = []
    for day, day_items in by_day.items():
        recent = (today - day).days <= config.notify_max_age_days
        for route in routes:
            chosen = for_severities(day_items, route.severities)
            if recent and day == newest:
                chosen = chosen + _catch_up(engine, org.id, route.name, records, day, chosen, route.severities)
            if not chosen:
                continue
            language = route.language or org.language
            chosen = [with_explanation(i, explainer.explain(i.series, i.as_of, i.baseline)
                                       if i.kind in (OPENED, ESCALATED, GREW, REMINDER, WATCH_OPENED) else {})
                      for i in chosen]
            lines = [finding_line(model, i, language) for i in chosen]
            severity = "alert" if any(i.severity == "alert" for i in chosen) else "watch"
            rows.append({
                "org_id": org.id, "as_of": day, "route": route.name, "kind": "digest", "channel": route.channel,
                "language": language, "severity": severity,
                "title": digest_title(org.name, day, chosen, language), "lines": lines,
                "link": _link(config.link, org.id, day),
                "payload": {"organisation": org.id, "organisation_name": org.name, "as_of": day.isoformat(),
                            "model_version": model.version, "items": [_item_json(model, i, language)
                                                                      for i in chosen]},
                "status": PENDING if recent else SUPPRESSED, "attempts": 0,
                "detail": None if recent else f"day older than {config.notify_max_age_days} days when computed "
                                              f"(a backfill): recorded, not sent",
                "created_at": _now(), "sent_at": None,
            })
    with engine.begin() as conn:
        insert_ignoring_duplicates(conn, apex_alert_notifications, rows)
    return rows


def _catch_up(engine, org_id: str, route: str, records: list[AlertRecord], day: date, chosen: list[Item],
              severities) -> list[Item]:
    """Open alerts this route was never told about (their messages fell in a backfill): say they are still open."""
    told_now = {i.alert_id for i in chosen}
    with engine.connect() as conn:
        sent = conn.execute(sa.select(apex_alert_notifications.c.payload).where(
            apex_alert_notifications.c.org_id == org_id, apex_alert_notifications.c.route == route,
            apex_alert_notifications.c.status == SENT)).scalars().all()
    told = {item.get("alert_id") for payload in sent for item in (payload or {}).get("items", [])}
    out = []
    for rec in records:
        if rec.status != "open" or rec.severity not in severities or rec.alert_id in told_now or \
                rec.alert_id in told or rec.opened_on > day:
            continue
        out.append(Item(day, rec.series, REMINDER, rec.severity, rec.direction, rec.alert_id, rec.last_score,
                        rec.baseline, rec.last_deviation, rec.sigma, rec.min_effect, trigger=rec.trigger,
                        opened_on=rec.opened_on))
    return out


def _item_json(model: ApexModel, item: Item, language: str) -> dict:
    def num(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 2)

    return {"kind": item.kind, "series": item.series, "series_name": series_name(model, item.series, language),
            "severity": item.severity, "direction": item.direction, "alert_id": item.alert_id,
            "score": num(item.score), "baseline": num(item.baseline), "deviation": num(item.deviation),
            "normal_variation": num(item.sigma), "min_effect": num(item.min_effect), "trigger": item.trigger,
            "opened_on": item.opened_on.isoformat() if item.opened_on else None, "reason": item.reason,
            "resolution": item.resolution, "explanation": item.explanation}


@dataclass(frozen=True)
class DeliveryOutcome:
    org_id: str
    as_of: date
    route: str
    channel: str
    status: str
    attempts: int
    detail: str


def deliver(engine: sa.Engine, deployment: Deployment, org_ids: list[str] | None = None,
            today: date | None = None, sleep=None) -> list[DeliveryOutcome]:
    """Send every due outbox row (pending, or failed and still recent) of the organisations; record each outcome.
    A delivery that finally fails is recorded as `failed` with its reason (never a secret) and returned."""
    ensure_tables(engine)
    config = deployment.alerts
    today = today or date.today()
    oldest = today - timedelta(days=config.notify_max_age_days)
    t = apex_alert_notifications
    query = sa.select(t).where(t.c.status.in_([PENDING, FAILED]), t.c.as_of >= oldest).order_by(t.c.org_id,
                                                                                               t.c.as_of, t.c.route)
    if org_ids is not None:
        query = query.where(t.c.org_id.in_(org_ids))
    with engine.connect() as conn:
        due = conn.execute(query).mappings().all()
    outcomes = []
    for row in due:
        notification = Notification(key=f"{row['kind']}|{row['org_id']}|{row['as_of']}|{row['route']}",
                                    title=row["title"], lines=tuple(row["lines"]), severity=row["severity"],
                                    language=row["language"], link=row["link"], payload=row["payload"])
        status, attempts, detail = _send(config, row["channel"], notification, sleep)
        with engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.org_id == row["org_id"], t.c.as_of == row["as_of"],
                                            t.c.route == row["route"]).values(
                status=status, attempts=row["attempts"] + attempts, detail=detail,
                sent_at=_now() if status == SENT else None))
        outcomes.append(DeliveryOutcome(row["org_id"], row["as_of"], row["route"], row["channel"], status,
                                        attempts, detail))
    return outcomes


def _send(config, channel_name: str, notification: Notification, sleep) -> tuple[str, int, str]:
    try:
        channel = build_channel(config.channel(channel_name), sleep)
        delivery = channel.send(notification)
    except DeliveryError as err:
        return FAILED, err.attempts, str(err)
    except (MissingSecretError, ValueError) as err:
        return FAILED, 0, str(err)
    return SENT, delivery.attempts, delivery.detail


def notify_run_failure(engine: sa.Engine | None, deployment: Deployment, *, job: str, run_id: str,
                       org_id: str | None, error: str, link: str | None = None, sleep=None,
                       today: date | None = None) -> list[DeliveryOutcome]:
    """Tell the failure channels that a run failed, so a broken daily run is not mistaken for a quiet day."""
    config = deployment.alerts
    outcomes = []
    today = today or date.today()
    for channel_name in config.failure_channels():
        language = next((r.language for r in config.routes if r.channel == channel_name and r.language), "en")
        nl = language == "nl"
        lines = ((f"Run {run_id[:8]} van {job} faalde op {day_text(today, 'nl')}: er zijn vandaag geen nieuwe "
                  f"scores of meldingen; dit is geen rustige dag.",) if nl else
                 (f"Run {run_id[:8]} of {job} failed on {day_text(today, 'en')}: no new scores or alerts today; "
                  f"this is not a quiet day.",)) + ((f"Fout: {error}" if nl else f"Error: {error}"),)
        notification = Notification(key=f"run_failure|{run_id}|{channel_name}",
                                    title=failure_title(job, org_id, language), lines=lines, severity="failure",
                                    language=language, link=link,
                                    payload={"job": job, "run_id": run_id, "organisation": org_id, "error": error})
        status, attempts, detail = _send(config, channel_name, notification, sleep)
        outcome = DeliveryOutcome(org_id or "*", today, f"run-failure:{channel_name}", channel_name, status,
                                  attempts, detail)
        outcomes.append(outcome)
        if engine is not None:
            ensure_tables(engine)
            with engine.begin() as conn:
                insert_ignoring_duplicates(conn, apex_alert_notifications, [{
                    "org_id": org_id or "*", "as_of": today, "route": f"run-failure:{run_id[:12]}:{channel_name}"[:64],
                    "kind": "run_failure", "channel": channel_name, "language": language, "severity": "failure",
                    "title": notification.title, "lines": list(lines), "link": link, "payload": notification.payload,
                    "status": status, "attempts": attempts, "detail": detail, "created_at": _now(),
                    "sent_at": _now() if status == SENT else None}])
    return outcomes


def open_alerts(engine: sa.Engine, model: ApexModel, org_id: str | None = None) -> pd.DataFrame:
    t = apex_alerts
    query = sa.select(t).where(t.c.status == "open", t.c.model_version == model.version)
    if org_id:
        query = query.where(t.c.org_id == org_id)
    with engine.connect() as conn:
        return pd.read_sql(query.order_by(t.c.org_id, t.c.series), conn)


__all__ = ["DQ", "DriftRun", "RESOLVED", "WATCH_OPENED", "acknowledge", "deliver", "load_history", "notify_run_failure",
           "open_alerts", "run_drift"]
