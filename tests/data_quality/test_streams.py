"""Stream freshness, volume and quarantine share on hand-made histories, with hand-worked expected days."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from data_quality.streams import StreamRef, _judge
from dbt_like_sql.project import Freshness, Quality, Volume

REF = StreamRef("sandbox", "activities", "stg_sandbox__activities",
                Quality(freshness=Freshness(multiplier=2.5, min_days=3, history_days=365, min_history_days=20),
                        volume=Volume(min_arrival_ratio=0.25, min_weekly_arrivals=20, max_drop=0.5,
                                      min_live_records=20),
                        max_quarantine_share=0.1, min_quarantined=10),
                ("activities",))
NO_HELD = pd.DataFrame({"model": pd.Series(dtype=str), "day": pd.Series(dtype="datetime64[s]")})


def _versions(days, per_day: int = 1, deleted_on=None, deleted_share: float = 0.0) -> pd.DataFrame:
    rows = []
    n = 0
    for day in days:
        for _ in range(per_day):
            rows.append({"source_id": f"A{n}", "day": pd.Timestamp(day), "is_deleted": False})
            n += 1
    frame = pd.DataFrame(rows)
    if deleted_on is not None:
        doomed = frame.iloc[: int(len(frame) * deleted_share)]
        frame = pd.concat([frame, doomed.assign(day=pd.Timestamp(deleted_on), is_deleted=True)], ignore_index=True)
    frame["source_updated_at"] = frame["day"] + pd.Timedelta(hours=9)
    return frame


def _dates(first: str, last: str) -> np.ndarray:
    return pd.date_range(first, last).values.astype("datetime64[D]")


def test_a_daily_stream_that_stops_is_stale_after_its_limit() -> None:
    # A record every day of 2025 and up to 10 Jan 2026, then nothing. Longest gap in the year: 1 day, so the limit is
    # max(3, 2.5 x 1) = 3 days: the 11th..13th are fine (age 1..3), the 14th is the first stale day (age 4).
    history = _versions(pd.date_range("2025-01-01", "2026-01-10"))
    out = _judge(REF, history, NO_HELD, _dates("2026-01-10", "2026-01-16"))
    assert out["age_days"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert out["max_age_days"].tolist() == [3.0] * 7
    assert out["stale"].tolist() == [False, False, False, False, True, True, True]
    assert out["fresh"].tolist() == [True, True, True, True, False, False, False]


def test_a_stream_with_weekly_records_gets_a_weekly_limit() -> None:
    # Records every Monday: the longest gap is 7 days, the limit 17.5 days. The last record is on 5 January 2026.
    history = _versions(pd.date_range("2025-01-06", "2026-01-05", freq="7D"))
    out = _judge(REF, history, NO_HELD, _dates("2026-01-06", "2026-01-25"))
    assert set(out["max_age_days"]) == {17.5}
    stale = pd.DatetimeIndex(out.loc[out["stale"], "as_of"]).strftime("%m-%d").tolist()
    assert stale == ["01-23", "01-24", "01-25"]   # 18, 19 and 20 days old


def test_young_or_rare_streams_are_not_judged_on_their_gaps() -> None:
    young = _versions(pd.date_range("2025-09-01", "2025-12-01"))           # less than a year of history
    assert not _judge(REF, young, NO_HELD, _dates("2025-12-20", "2025-12-31"))["stale"].any()
    rare = _versions(pd.date_range("2024-01-01", "2025-12-01", freq="30D"))  # under 20 record days a year
    assert not _judge(REF, rare, NO_HELD, _dates("2025-12-20", "2026-03-31"))["stale"].any()
    capped = dataclasses.replace(REF, quality=Quality(freshness=Freshness(max_days=60)))
    out = _judge(capped, rare, NO_HELD, _dates("2026-01-20", "2026-01-31"))
    assert out["stale"].tolist() == (out["age_days"] > 60).tolist() and out["stale"].any()


def test_arrivals_far_below_the_usual_week_are_a_drop() -> None:
    # 10 versions a day until 28 Feb 2026, then 1 a day: from 1 March the 7-day count falls from 70 to 61, 52 ...
    # against a usual week of 70; below 25% (17.5) it is a drop: 7 March has 7 (one a day for 7 days).
    busy = _versions(pd.date_range("2025-01-01", "2026-02-28"), per_day=10)
    calm = _versions(pd.date_range("2026-03-01", "2026-03-10"), per_day=1)
    calm["source_id"] = "B" + calm["source_id"]
    out = _judge(REF, pd.concat([busy, calm]), NO_HELD, _dates("2026-03-01", "2026-03-08"))
    assert out["arrivals_7d"].tolist() == [61, 52, 43, 34, 25, 16, 7, 7]
    assert out["usual_7d"].tolist() == [70.0] * 8
    assert out["arrivals_low"].tolist() == [False, False, False, False, False, True, True, True]
    assert not out.loc[out["arrivals_low"], "fresh"].any()


def test_a_collapse_of_live_records_is_flagged_for_seven_days() -> None:
    # 100 records, 60 of them deleted on 20 March: live 100 -> 40 (below half of 7 days earlier) on 20..26 March.
    history = _versions(pd.date_range("2025-12-01", "2026-03-10"), per_day=1, deleted_on="2026-03-20",
                        deleted_share=0.6)
    out = _judge(REF, history, NO_HELD, _dates("2026-03-18", "2026-03-28"))
    assert out["live_records"].tolist() == [100] * 2 + [40] * 9
    collapsed = dict(zip(pd.DatetimeIndex(out["as_of"]).strftime("%m-%d"), out["collapsed"]))
    assert [d for d, c in collapsed.items() if c] == ["03-20", "03-21", "03-22", "03-23", "03-24", "03-25", "03-26"]


def test_quarantine_share_above_the_limit_once_enough_rows_are_held() -> None:
    history = _versions(pd.date_range("2026-01-01", "2026-01-31"), per_day=4)   # 124 records
    held = pd.DataFrame({"model": REF.model, "day": pd.to_datetime(["2026-01-20"] * 9 + ["2026-01-25"] * 6)})
    out = _judge(REF, history, held, _dates("2026-01-19", "2026-01-26"))
    # 9 held on the 20th: 9/80 = 11% but fewer than 10 held; 15 held on the 25th: 15/100 = 15% > 10%.
    assert out["quarantined"].tolist() == [0, 9, 9, 9, 9, 9, 15, 15]
    assert out["quarantine_overflow"].tolist() == [False] * 6 + [True] * 2
