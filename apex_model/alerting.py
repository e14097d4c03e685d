"""Alert lifecycle: turn the detector's daily findings into alerts people keep reading.

Grain: one organisation; the detector rows of every series (`apex_model.drift.detect`) in, alert records and the
day-by-day notification items out. Pure and deterministic: replaying the same findings gives the same alerts, so a
recomputed day changes nothing that was already decided (and the outbox keeps it from being sent twice).

Rules (precedents in `../shared/reference/scoring_methods.md` §3.4):
- **one open alert per (series, direction)**: further alarms of the same episode update it (de-duplication);
- **severities**: `watch` (evidence building, in-app unless a route asks for it) and `alert`; a watch that becomes an
  alarm is *escalated* and announced as an alert;
- **re-notify** only when the deviation grew by `renotify_growth` (50 %) over what was last announced (opened,
  escalated or grown; a reminder does not move that mark), or as a reminder `renotify_after_days` (7) after the
  last message;
- **resolve** when the detector's episode ends: the score returned (`returned`), someone accepted the new level
  (`new_normal`), or it stayed away `max_episode_days` and became the new normal by itself (`expired`); a watch
  that sees no evidence for `watch_clear_days` clears quietly;
- **cooldown**: after a resolution the same (series, direction) cannot open again for `cooldown_days`; an episode
  still open when the cooldown ends opens then;
- **data quality**: the first day a series cannot be evaluated (coverage, failed inputs) after days it could, is a
  data-quality item, never a drift alert;
- **digest**: all items of one organisation and day travel together (`group_by_day`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from apex_model.drift import ALERT, DATA_QUALITY, EXPIRED, LEARNING, NONE, OPEN, REBASED, RETURNED, WATCH

OPENED, ESCALATED, GREW, REMINDER, RESOLVED, WATCH_OPENED, DQ = (
    "opened", "escalated", "grew", "reminder", "resolved", "watch", "data_quality")
ITEM_KINDS = (OPENED, ESCALATED, GREW, REMINDER, RESOLVED, WATCH_OPENED, DQ)
SEVERITIES = ("watch", "alert")


class LifecycleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    renotify_growth: float = Field(default=0.5, gt=0)
    renotify_after_days: int = Field(default=7, ge=1)
    cooldown_days: int = Field(default=14, ge=0)
    watch_clear_days: int = Field(default=7, ge=1)


@dataclass
class AlertRecord:
    """One alert: an episode of drift of one series in one direction, from opening to resolution."""

    alert_id: str
    series: str
    direction: str
    severity: str
    status: str
    opened_on: date
    last_seen_on: date
    baseline: float
    deviation_at_open: float
    last_deviation: float
    peak_deviation: float
    last_score: float
    sigma: float
    min_effect: float
    trigger: str
    escalated_on: date | None = None
    resolved_on: date | None = None
    resolution: str | None = None
    cooldown_until: date | None = None
    last_notified_on: date | None = None
    last_notified_deviation: float | None = None
    notifications: int = 0
    onset_on: str | None = None
    explanation: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """Something to tell about one series on one day; `severity` decides which routes hear it."""

    as_of: date
    series: str
    kind: str
    severity: str
    direction: str | None
    alert_id: str | None
    score: float | None
    baseline: float | None
    deviation: float | None
    sigma: float | None
    min_effect: float | None
    trigger: str | None = None
    opened_on: date | None = None
    reason: str | None = None
    resolution: str | None = None
    explanation: dict = field(default_factory=dict)


def alert_id(org_id: str, series: str, direction: str, opened_on: date) -> str:
    return f"{org_id}:{series}:{direction}:{opened_on.isoformat()}"


def replay(org_id: str, findings: pd.DataFrame, settings: LifecycleSettings | None = None
           ) -> tuple[list[AlertRecord], list[Item]]:
    """Process the detector rows day by day (sorted by as_of) and return every alert record and every item."""
    settings = settings or LifecycleSettings()
    rows = findings.sort_values(["as_of", "series"], kind="stable")
    open_alerts: dict[tuple[str, str], AlertRecord] = {}
    cooldown: dict[tuple[str, str], date] = {}
    evaluated_before: dict[str, bool] = {}
    records: list[AlertRecord] = []
    items: list[Item] = []
    for as_of, day in rows.groupby("as_of", sort=True):
        today = pd.Timestamp(as_of).date()
        told_today: set[tuple[str, str]] = set()
        for row in day.itertuples(index=False):
            _day_of_series(org_id, row, today, settings, open_alerts, cooldown, evaluated_before, records, items,
                           told_today)
        for key, rec in list(open_alerts.items()):
            if key in told_today:
                continue
            if rec.severity == "watch" and (today - rec.last_seen_on).days >= settings.watch_clear_days:
                rec.status, rec.resolved_on, rec.resolution = "resolved", today, "watch_cleared"
                del open_alerts[key]
            elif rec.severity == "alert" and rec.last_notified_on is not None and \
                    (today - rec.last_notified_on).days >= settings.renotify_after_days:
                items.append(_item(rec, today, REMINDER))
                # A reminder repeats where things stand; it does not move the mark growth is measured from, or a
                # shift growing by a point a week would never count as growth (each reminder re-based it).
                _notified(rec, today, announced=False)
    return records, items


def _day_of_series(org_id, row, today, settings, open_alerts, cooldown, evaluated_before, records, items,
                   told_today) -> None:
    series = row.series
    if row.event == DATA_QUALITY:
        if evaluated_before.get(series):
            items.append(Item(today, series, DQ, "watch", None, None, _num(row.score), None, None, None,
                              _num(row.min_effect), reason=row.reason))
        evaluated_before[series] = False
        return
    if row.event != LEARNING:
        evaluated_before[series] = True

    if row.episode in (RETURNED, REBASED, EXPIRED) and row.episode_direction:
        key = (series, row.episode_direction)
        rec = open_alerts.pop(key, None)
        if rec is not None:
            rec.status, rec.resolved_on = "resolved", today
            rec.resolution = {RETURNED: "returned", REBASED: "new_normal", EXPIRED: "expired"}[row.episode]
            rec.last_score = _num(row.score) if _num(row.score) is not None else rec.last_score
            rec.cooldown_until = today + timedelta(days=settings.cooldown_days)
            cooldown[key] = rec.cooldown_until
            if rec.severity == "alert":
                items.append(_item(rec, today, RESOLVED, row))
            told_today.add(key)

    episode_open = row.episode == OPEN and row.episode_direction
    if row.event == ALERT or episode_open:
        direction = row.direction if row.event == ALERT and row.direction else row.episode_direction
        key = (series, direction)
        rec = open_alerts.get(key)
        deviation = _num(row.score) - row.episode_baseline if episode_open and _num(row.score) is not None \
            else _num(row.deviation)
        if rec is None:
            if key in cooldown and today < cooldown[key]:
                return
            rec = _open(org_id, row, today, direction, "alert", deviation)
            open_alerts[key] = rec
            records.append(rec)
            items.append(_item(rec, today, OPENED, row))
            _notified(rec, today)
            told_today.add(key)
            return
        _seen(rec, row, today, deviation)
        if rec.severity == "watch":
            rec.severity, rec.escalated_on = "alert", today
            rec.baseline = row.episode_baseline if episode_open else rec.baseline
            rec.trigger = row.trigger or rec.trigger
            items.append(_item(rec, today, ESCALATED, row))
            _notified(rec, today)
            told_today.add(key)
        elif rec.last_notified_deviation is not None and deviation is not None and \
                abs(deviation) >= (1 + settings.renotify_growth) * abs(rec.last_notified_deviation):
            items.append(_item(rec, today, GREW, row))
            _notified(rec, today)
            told_today.add(key)
        return

    if row.event == WATCH and row.direction:
        key = (series, row.direction)
        rec = open_alerts.get(key)
        if rec is not None:
            _seen(rec, row, today, _num(row.deviation))
            return
        if key in cooldown and today < cooldown[key]:
            return
        rec = _open(org_id, row, today, row.direction, "watch", _num(row.deviation))
        open_alerts[key] = rec
        records.append(rec)
        items.append(_item(rec, today, WATCH_OPENED, row))
        told_today.add(key)


def _open(org_id: str, row, today: date, direction: str, severity: str, deviation: float | None) -> AlertRecord:
    baseline = row.episode_baseline if row.episode == OPEN and not pd.isna(row.episode_baseline) else row.baseline
    dev = deviation if deviation is not None else 0.0
    return AlertRecord(
        alert_id=alert_id(org_id, row.series, direction, today), series=row.series, direction=direction,
        severity=severity, status="open", opened_on=today, last_seen_on=today, baseline=float(baseline),
        deviation_at_open=dev, last_deviation=dev, peak_deviation=dev, last_score=float(row.score),
        sigma=float(row.sigma), min_effect=float(row.min_effect), trigger=row.trigger or "cusum")


def _seen(rec: AlertRecord, row, today: date, deviation: float | None) -> None:
    rec.last_seen_on = today
    if deviation is not None:
        rec.last_deviation = deviation
        if abs(deviation) > abs(rec.peak_deviation):
            rec.peak_deviation = deviation
    if _num(row.score) is not None:
        rec.last_score = float(row.score)


def _notified(rec: AlertRecord, today: date, announced: bool = True) -> None:
    rec.last_notified_on = today
    if announced:
        rec.last_notified_deviation = rec.last_deviation
    rec.notifications += 1


def _item(rec: AlertRecord, today: date, kind: str, row=None) -> Item:
    score = _num(row.score) if row is not None else rec.last_score
    return Item(today, rec.series, kind, rec.severity, rec.direction, rec.alert_id,
                score if score is not None else rec.last_score, rec.baseline,
                (score - rec.baseline) if score is not None else rec.last_deviation, rec.sigma, rec.min_effect,
                trigger=rec.trigger, opened_on=rec.opened_on, resolution=rec.resolution)


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def group_by_day(items: Iterable[Item]) -> dict[date, list[Item]]:
    """The digest: every item of one day together, alerts first, then data quality, then watches."""
    order = {OPENED: 0, ESCALATED: 0, GREW: 1, REMINDER: 2, RESOLVED: 3, DQ: 4, WATCH_OPENED: 5}
    out: dict[date, list[Item]] = {}
    for item in items:
        out.setdefault(item.as_of, []).append(item)
    return {day: sorted(day_items, key=lambda i: (order[i.kind], i.series)) for day, day_items in sorted(out.items())}


def for_severities(items: Iterable[Item], severities: Iterable[str]) -> list[Item]:
    wanted = set(severities)
    return [i for i in items if i.severity in wanted]


def with_explanation(item: Item, explanation: dict) -> Item:
    return replace(item, explanation=explanation)


def open_alerts_on(records: Iterable[AlertRecord], day: date) -> list[AlertRecord]:
    """The records open at the end of `day`."""
    return [r for r in records if r.opened_on <= day and (r.resolved_on is None or r.resolved_on > day)]


__all__ = ["ALERT", "AlertRecord", "DQ", "ESCALATED", "EXPIRED", "GREW", "ITEM_KINDS", "Item", "LifecycleSettings",
           "NONE", "OPENED", "REMINDER", "RESOLVED", "SEVERITIES", "WATCH_OPENED", "for_severities", "group_by_day",
           "open_alerts_on", "replay", "with_explanation"]
