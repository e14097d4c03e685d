"""The as-of primitives every signal is built from, on events small enough to count by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from signals import timeline as tl


def d(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


EVENTS = d("2026-01-01", "2026-01-05", "2026-01-10", "2026-01-10", "NaT")
VALUES = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
DATES = d("2025-12-31", "2026-01-01", "2026-01-06", "2026-01-10", "2026-01-20")


def test_window_sum_counts_events_in_the_trailing_window() -> None:
    # 7-day windows: (Dec 24, Dec 31] -> 0; (Dec 25, Jan 1] -> 1; (Dec 30, Jan 6] -> 2; (Jan 3, Jan 10] -> 3
    # (Jan 5 and both Jan 10); (Jan 13, Jan 20] -> 0. The NaT event never counts.
    assert tl.window_sum(EVENTS, DATES, 7).tolist() == [0, 1, 2, 3, 0]
    assert tl.window_sum(EVENTS, DATES, 7, VALUES).tolist() == [0, 10, 30, 90, 0]


def test_window_quantile_is_the_median_of_the_window() -> None:
    median, n = tl.window_quantile(EVENTS, VALUES, DATES, 7)
    assert n.tolist() == [0, 1, 2, 3, 0]
    assert median[1:4].tolist() == [10.0, 15.0, 30.0]
    assert np.isnan(median[0]) and np.isnan(median[4])


def test_open_on_counts_half_open_intervals() -> None:
    # [Jan 1, Jan 6) and [Jan 5, open): on Jan 6 only the second holds; before Jan 1 none.
    got = tl.open_on(d("2026-01-01", "2026-01-05"), d("2026-01-06", "NaT"), DATES)
    assert got.tolist() == [0, 1, 1, 1, 1]


def test_merge_intervals_per_key() -> None:
    merged = tl.merge_intervals(["a", "a", "a", "b"], d("2026-01-01", "2026-01-03", "2026-02-01", "2026-01-01"),
                                d("2026-01-05", "2026-01-10", "NaT", "2026-01-02"))
    rows = [(r.key, str(r.start.date()), None if pd.isna(r.end) else str(r.end.date())) for r in merged.itertuples()]
    assert rows == [("a", "2026-01-01", "2026-01-10"), ("a", "2026-02-01", None), ("b", "2026-01-01", "2026-01-02")]


def test_intersect_and_event_coverage() -> None:
    active = pd.DataFrame({"key": ["a", "b"], "start": d("2026-01-01", "2026-01-01"), "end": d("NaT", "2026-01-08")})
    # a logs in on Jan 2 and Jan 20 (30-day coverage merges into one block); b on Jan 3 but leaves on Jan 8.
    coverage = tl.event_coverage(["a", "a", "b"], d("2026-01-02", "2026-01-20", "2026-01-03"), 30)
    both = tl.intersect_intervals(coverage, active)
    covered = tl.open_on(both["start"], both["end"],
                         d("2026-01-02", "2026-01-07", "2026-01-08", "2026-02-15", "2026-02-19"))
    # Jan 2: a; Jan 7: a and b; Jan 8: b has left; Feb 15: a's Jan 20 login is 26 days old; Feb 19: 30 days, gone.
    assert covered.tolist() == [1, 2, 1, 1, 0]


def test_last_event_and_ratio() -> None:
    assert tl.last_event_on_or_before(EVENTS, d("2025-12-01", "2026-01-07"))[1] == np.datetime64("2026-01-05")
    assert np.isnat(tl.last_event_on_or_before(EVENTS, d("2025-12-01"))[0])
    assert tl.ratio(np.array([1.0, 1.0]), np.array([4.0, 0.0]))[0] == pytest.approx(0.25)
    assert np.isnan(tl.ratio(np.array([1.0]), np.array([0.0]))[0])


def test_keyed_window_sum_and_open_on_by_hand() -> None:
    days = np.array(["2026-01-01", "2026-01-05", "2026-01-10", "2026-01-03"], dtype="datetime64[D]")
    keys = np.array(["a", "a", "a", "b"], dtype=object)
    query_keys = np.array(["a", "a", "b", "c", "a"], dtype=object)
    query_dates = np.array(["2026-01-05", "2026-01-10", "2026-01-10", "2026-01-10", "2025-12-31"],
                           dtype="datetime64[D]")
    # Window of 5 days ending 01-05 is (12-31, 01-05]: a's events on 01-01 and 01-05 -> 2; ending 01-10: (01-05,
    # 01-10] -> only 01-10 -> 1; b's 01-03 is outside (01-05, 01-10] -> 0; c has no events; before any event -> 0.
    assert tl.keyed_window_sum(keys, days, query_keys, query_dates, 5).tolist() == [2, 1, 0, 0, 0]
    assert tl.keyed_window_sum(keys, days, query_keys, query_dates, None).tolist() == [2, 3, 1, 0, 0]
    weights = np.array([1.0, 10.0, 100.0, 7.0])
    assert tl.keyed_window_sum(keys, days, query_keys, query_dates, None, weights).tolist() == [11, 111, 7, 0, 0]
    starts = np.array(["2026-01-01", "2026-01-08"], dtype="datetime64[D]")
    ends = np.array(["2026-01-06", "NaT"], dtype="datetime64[D]")
    held = tl.keyed_open_on(np.array(["a", "b"], dtype=object), starts, ends,
                            np.array(["a", "a", "b", "b"], dtype=object),
                            np.array(["2026-01-05", "2026-01-06", "2026-01-07", "2026-03-01"], dtype="datetime64[D]"))
    assert held.tolist() == [1, 0, 0, 1]
