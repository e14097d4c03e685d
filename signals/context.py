"""What a signal computation sees: one organisation's canonical tables and the as-of dates to answer for.

Grain: one context per organisation and date range. Tables are loaded once and shared by every signal; partner
intervals that many signals need (active membership, attribute history) are computed once and cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from signals import timeline as tl

CANONICAL_TABLES = (
    "partners", "partner_versions", "opportunities", "opportunity_partners", "deal_registrations", "activities",
    "training_enrolments", "certifications", "mdf_allocations", "mdf_requests", "mdf_claims", "campaigns",
    "joint_business_plans", "partner_targets", "partner_agreements", "support_tickets", "partner_surveys",
    "portal_logins",
)


@dataclass
class SignalContext:
    """`tables` holds frames already loaded; `loader` loads any other canonical table on first use."""

    org_id: str
    dates: np.ndarray                       # datetime64[D], sorted, unique
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    loader: Callable[[str], pd.DataFrame] | None = None
    programme_start: np.datetime64 | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.dates = np.unique(tl.as_days(self.dates))
        self.tables = dict(self.tables)

    def table(self, name: str) -> pd.DataFrame:
        if name not in CANONICAL_TABLES:
            raise KeyError(f"{name!r} is not a canonical table")
        if name not in self.tables:
            if self.loader is None:
                raise ValueError(f"signal context for {self.org_id!r} has no table {name!r} and no loader")
            self.tables[name] = self.loader(name)
        return self.tables[name]

    def cached(self, key: str, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def date_index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.dates.astype("datetime64[ns]"), name="as_of")

    def active_intervals(self) -> pd.DataFrame:
        """[onboarded_on, churned_on) per partner: the days a partner is in the programme."""
        def build() -> pd.DataFrame:
            p = self.table("partners")
            frame = pd.DataFrame({"key": p["partner_id"].to_numpy(), "start": tl.as_days(p["onboarded_on"]),
                                  "end": tl.as_days(p["churned_on"])})
            return tl.merge_intervals(frame["key"], frame["start"], frame["end"])
        return self.cached("active_intervals", build)

    def active_partners(self) -> np.ndarray:
        """Number of partners in the programme on each date."""
        def build() -> np.ndarray:
            iv = self.active_intervals()
            return tl.open_on(iv["start"], iv["end"], self.dates)
        return self.cached("active_partners", build)

    def share_of_active(self, intervals: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(share of active partners covered by `intervals` on each date, number of active partners)."""
        covered = tl.intersect_intervals(tl.merge_intervals(intervals["key"], intervals["start"], intervals["end"]),
                                         self.active_intervals())
        active = self.active_partners()
        return tl.ratio(tl.open_on(covered["start"], covered["end"], self.dates), active), active

    def version_intervals(self, mask: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
        """Partner attribute-history intervals (optionally only versions where `mask` holds), as key/start/end."""
        v = self.table("partner_versions")
        if mask is not None:
            v = v[np.asarray(mask, dtype=bool)]
        return pd.DataFrame({"key": v["partner_id"].to_numpy(), "start": tl.as_days(v["valid_from"]),
                             "end": tl.as_days(v["valid_to"])})

    def strategic_intervals(self) -> pd.DataFrame:
        """Days each partner was gold or platinum tier (and in the programme)."""
        def build() -> pd.DataFrame:
            v = self.table("partner_versions")
            strategic = self.version_intervals(v["tier"].isin(["gold", "platinum"]).fillna(False))
            merged = tl.merge_intervals(strategic["key"], strategic["start"], strategic["end"])
            return tl.intersect_intervals(merged, self.active_intervals())
        return self.cached("strategic_intervals", build)

    def programme_age_days(self) -> np.ndarray:
        """Days since the programme started (configured, or the first partner's onboarding)."""
        start = self.programme_start
        if start is None:
            onboarded = tl.as_days(self.table("partners")["onboarded_on"])
            onboarded = onboarded[~np.isnat(onboarded)]
            if len(onboarded) == 0:
                return np.zeros(len(self.dates))
            start = onboarded.min()
        age = (self.dates - np.datetime64(start, "D")).astype(int)
        return np.maximum(age, 0).astype(float)

    def partner_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(partner ids, dates): one pair per partner in the programme on each as-of date, the grain of
        partner-level values. Built as partners x dates, so meant for a few snapshot dates at a time."""
        def build() -> tuple[np.ndarray, np.ndarray]:
            iv = self.active_intervals()
            keys = pd.unique(iv["key"].to_numpy())
            grid_keys = np.repeat(keys, len(self.dates))
            grid_dates = np.tile(self.dates, len(keys))
            active = tl.keyed_open_on(iv["key"], iv["start"], iv["end"], grid_keys, grid_dates) > 0
            return grid_keys[active], grid_dates[active]
        return self.cached("partner_grid", build)

    def partner_frame(self, value, n) -> pd.DataFrame:
        """Partner-level rows on the `partner_grid`: as_of, partner_id, value, n."""
        keys, dates = self.partner_grid()
        return pd.DataFrame({"as_of": dates.astype("datetime64[ns]"), "partner_id": keys,
                             "value": np.asarray(value, dtype=float), "n": np.asarray(n, dtype=float)})

    def partner_coverage(self, intervals: pd.DataFrame) -> pd.DataFrame:
        """Per partner in the programme: 1 when one of `intervals` (key/start/end) holds on the date, else 0."""
        keys, dates = self.partner_grid()
        held = tl.keyed_open_on(intervals["key"], intervals["start"], intervals["end"], keys, dates) > 0
        return self.partner_frame(held.astype(float), np.ones(len(keys)))

    def in_span(self, days, window_days: int) -> np.ndarray:
        """True for events that can fall in some date's window (D - window, D]: dated after the first date minus
        the window and on or before the last date. Filtering by it first only saves work; results are the same."""
        days = tl.as_days(days)
        return (days > self.dates.min() - np.timedelta64(window_days, "D")) & (days <= self.dates.max())

    def event_coverage(self, keys, days, window_days: int) -> pd.DataFrame:
        """`timeline.event_coverage` of the events that matter for the context's dates (see `in_span`)."""
        keep = self.in_span(days, window_days)
        return tl.event_coverage(np.asarray(keys, dtype=object)[keep], tl.as_days(days)[keep], window_days)

    def commercial_events(self) -> tuple[np.ndarray, np.ndarray]:
        """A partner's commercial events as (partner ids, days): every deal registration (its submission day) and every
        opportunity with a primary partner (its creation day). What "active", "engaged" and "activated" count."""
        regs = self.table("deal_registrations")
        opps = self.table("opportunities")
        opps = opps[opps["partner_id"].notna()]
        keys = np.concatenate([regs["partner_id"].to_numpy(), opps["partner_id"].to_numpy()])
        days = np.concatenate([tl.as_days(regs["submitted_at"]), tl.as_days(opps["created_on"])])
        return keys, days

    def ever_before(self, table: str, column: str) -> np.ndarray:
        """True on dates on or after the first record of `table.column` (e.g. "the organisation has an MDF programme")."""
        days = tl.as_days(self.table(table)[column])
        days = days[~np.isnat(days)]
        if len(days) == 0:
            return np.zeros(len(self.dates), bool)
        return self.dates >= days.min()


def first_event_day(keys, days, lookup) -> np.ndarray:
    """For each key in `lookup`, the earliest of its event days (NaT when it has none)."""
    events = pd.DataFrame({"key": np.asarray(keys, dtype=object), "day": tl.as_days(days)})
    first = events.dropna().groupby("key")["day"].min()
    found = pd.DataFrame({"key": np.asarray(lookup, dtype=object)}).merge(
        first.rename("day").reset_index(), on="key", how="left")
    return tl.as_days(pd.to_datetime(found["day"]))
