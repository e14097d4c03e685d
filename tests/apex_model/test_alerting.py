"""Alert lifecycle on hand-built detector rows: duplicates, re-notify, resolve, cooldown, digest, recompute."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from apex_model.alerting import (DQ, ESCALATED, GREW, OPENED, REMINDER, RESOLVED, WATCH_OPENED, LifecycleSettings,
                                 group_by_day, replay)
from apex_model.alert_text import digest_title, finding_line
from apex_model.drift import OUTPUT_COLUMNS
from apex_model.model import load_model

START = date(2026, 3, 1)


class Days:
    """Detector rows for one series, day by day, as `detect` would write them."""

    def __init__(self, series: str = "D4", baseline: float = 60.0) -> None:
        self.series, self.baseline, self.rows, self.day = series, baseline, [], START
        self.episode_start = None

    def add(self, score: float, event: str = "none", direction: str | None = None, episode: str | None = None,
            reason: str | None = None) -> "Days":
        if episode == "open" and self.episode_start is None:
            self.episode_start = self.day
        ep_dir = None if episode is None else ("down" if score < self.baseline else "up")
        self.rows.append({"as_of": pd.Timestamp(self.day), "series": self.series, "score": score, "coverage": 0.9,
                          "baseline": self.baseline, "deviation": score - self.baseline, "sigma": 2.0,
                          "z": (score - self.baseline) / 2, "cusum_up": 0.0, "cusum_down": 0.0, "min_effect": 8.0,
                          "event": event, "direction": direction, "trigger": "cusum" if direction else None,
                          "reason": reason, "episode": episode,
                          "episode_start": self.episode_start if episode else None,
                          "episode_baseline": self.baseline if episode else float("nan"),
                          "episode_direction": ep_dir})
        if episode in ("returned", "rebased", "expired"):
            self.episode_start = None
        self.day += timedelta(days=1)
        return self

    def quiet(self, n: int, score: float = 60.0) -> "Days":
        for _ in range(n):
            self.add(score)
        return self

    def open_episode(self, n: int, score: float, first_event: str = "alert") -> "Days":
        direction = "down" if score < self.baseline else "up"
        self.add(score, first_event, direction, "open")
        for _ in range(n - 1):
            self.add(score, "none", None, "open")
        return self

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)[list(OUTPUT_COLUMNS)]


def kinds(items) -> list[tuple[date, str]]:
    return [(i.as_of, i.kind) for i in items]


def test_one_open_alert_per_series_and_direction_however_often_the_detector_fires() -> None:
    days = Days().quiet(5)
    days.open_episode(1, 48)
    for _ in range(5):
        days.add(47, "alert", "down", "open")      # the CUSUM re-alarms inside the same episode
    records, items = replay("org", days.frame())
    assert len(records) == 1 and records[0].status == "open" and records[0].severity == "alert"
    assert kinds(items) == [(START + timedelta(days=5), OPENED)]
    assert records[0].alert_id == f"org:D4:down:{START + timedelta(days=5)}"


def test_renotify_when_it_grows_by_half_or_after_a_week() -> None:
    days = Days().quiet(3).open_episode(3, 50)          # opened at -10
    days.add(44, "none", None, "open")                  # -16: grew by 60% -> told again
    days.open_episode(8, 44, first_event="none")        # no growth for a week -> reminder
    records, items = replay("org", days.frame())
    opened = START + timedelta(days=3)
    assert kinds(items) == [(opened, OPENED), (opened + timedelta(days=3), GREW),
                            (opened + timedelta(days=10), REMINDER)]
    assert records[0].peak_deviation == -16 and records[0].notifications == 3


def test_growth_by_small_steps_is_told_once_it_adds_up_to_half() -> None:
    # Opened at -8, then a point further every week: the reminders say where it stands, but only the growth over
    # what was announced at the opening (-12 and beyond) is told as growth.
    days = Days().quiet(3).open_episode(7, 52)
    for score in (51, 50, 49, 48, 47, 46):
        days.open_episode(7, score, first_event="none")
    records, items = replay("org", days.frame())
    opened = START + timedelta(days=3)
    grew = [d for d, kind in kinds(items) if kind == GREW]
    assert grew == [opened + timedelta(days=7 * 4)]          # the first day at 48: -12 = 1.5 x -8
    assert [kind for _, kind in kinds(items)].count(REMINDER) >= 4


def test_resolves_when_the_score_returns_then_cools_down() -> None:
    days = Days().quiet(3).open_episode(5, 48)
    days.add(59, "none", None, "returned")
    days.quiet(3)
    days.open_episode(2, 47)                           # within the 14-day cooldown: no new alert
    days.add(59, "none", None, "returned")
    days.quiet(12)
    days.open_episode(2, 46)                           # after the cooldown: a new alert
    records, items = replay("org", days.frame())
    assert [r.status for r in records] == ["resolved", "open"]
    first = records[0]
    assert first.resolution == "returned" and first.cooldown_until == first.resolved_on + timedelta(days=14)
    assert [k for _, k in kinds(items)] == [OPENED, RESOLVED, OPENED]
    assert records[1].opened_on > first.cooldown_until


def test_an_episode_still_open_when_the_cooldown_ends_opens_then() -> None:
    days = Days().quiet(2).open_episode(3, 48)
    days.add(59, "none", None, "returned")
    days.open_episode(20, 45)                          # comes back at once and stays
    records, items = replay("org", days.frame(), LifecycleSettings(cooldown_days=14))
    assert len(records) == 2
    assert records[1].opened_on == records[0].resolved_on + timedelta(days=14)


def test_watch_escalates_to_alert_and_a_lone_watch_clears_quietly() -> None:
    days = Days().quiet(2)
    days.add(51, "watch", "down").add(50, "watch", "down").open_episode(2, 49)
    records, items = replay("org", days.frame())
    assert [k for _, k in kinds(items)] == [WATCH_OPENED, ESCALATED]
    assert records[0].severity == "alert" and records[0].escalated_on == START + timedelta(days=4)

    lone = Days().quiet(2).add(70, "watch", "up").quiet(10)
    records, items = replay("org", lone.frame())
    assert records[0].status == "resolved" and records[0].resolution == "watch_cleared"
    assert [k for _, k in kinds(items)] == [WATCH_OPENED]


def test_data_quality_item_on_the_first_gated_day_only() -> None:
    days = Days().quiet(3)
    for _ in range(4):
        days.add(float("nan"), "data_quality", reason="coverage 50% below 70%")
    days.quiet(2)
    _records, items = replay("org", days.frame())
    assert kinds(items) == [(START + timedelta(days=3), DQ)]
    assert items[0].reason == "coverage 50% below 70%" and items[0].severity == "watch"


def test_digest_groups_a_day_alerts_first_and_the_replay_is_deterministic() -> None:
    d4 = Days("D4").quiet(3).open_episode(2, 48)
    d2 = Days("D2", baseline=50).quiet(3).add(62, "watch", "up").quiet(1, 50)
    d7 = Days("D7", baseline=40).quiet(3).open_episode(2, 30)
    frame = pd.concat([d4.frame(), d2.frame(), d7.frame()])
    records, items = replay("org", frame)
    again = replay("org", frame.sample(frac=1.0, random_state=3))
    assert [vars(r) for r in again[0]] == [vars(r) for r in records] and again[1] == items
    digest = group_by_day(items)
    day = START + timedelta(days=3)
    assert list(digest) == [day]
    assert [(i.series, i.kind) for i in digest[day]] == [("D4", OPENED), ("D7", OPENED), ("D2", WATCH_OPENED)]


@pytest.mark.parametrize("language,expected", [
    ("en", "Alert: Enablement (D4) fell 12.0 points to 48.0 against its normal level of 60.0 (normal variation "
           "±2.0); the shift most likely began around 2 March 2026; largest contributions: Certification coverage "
           "−9.5, coverage change −2.5; data coverage 92%."),
    ("nl", "Melding: Enablement (D4) daalde 12,0 punten naar 48,0 t.o.v. het normale niveau van 60,0 (normale "
           "variatie ±2,0); de verschuiving begon waarschijnlijk rond 2 maart 2026; grootste bijdragen: "
           "Certificeringsdekking −9,5, wijziging in dekking −2,5; datadekking 92%."),
])
def test_the_message_says_what_moved_why_and_since_when(language, expected) -> None:
    _records, items = replay("org", Days().quiet(3).open_episode(1, 48).frame())
    item = items[0]
    explained = type(item)(**{**vars(item), "explanation": {
        "onset": "2026-03-02", "coverage": 0.92,
        "drivers": [{"component": "d4_certification_coverage", "points": -9.5, "name_en": "Certification coverage",
                     "name_nl": "Certificeringsdekking"},
                    {"component": "coverage", "points": -2.5, "name_en": "coverage change",
                     "name_nl": "wijziging in dekking"}]}})
    assert finding_line(load_model(), explained, language) == expected
    title = digest_title("Northwind", item.as_of, [explained], language)
    assert title == ("apex-monitor · Northwind · 4 March 2026: 1 alert" if language == "en"
                     else "apex-monitor · Northwind · 4 maart 2026: 1 melding")
