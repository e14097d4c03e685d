"""The sandbox as a source: the generator's record versions, landed incrementally like any connector's.

The sandbox has no server, so "fetching" means generating the organisation's history up to the end of the requested
day and keeping the versions changed after the stream's cursor. The cursor is read back from `raw_sandbox` by the
caller, so a rerun lands nothing twice and a later day lands only what changed since.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pandas as pd

from connectors.envelope import envelope
from connectors.sandbox import SandboxProfile, generate_ecosystem

CONNECTOR_VERSION = "sandbox/1"


@dataclass(frozen=True)
class StreamBatch:
    stream: str
    records: pd.DataFrame      # enveloped, ready for raw_sandbox
    cursor_before: pd.Timestamp | None


def fetch(org_id: str, profile: SandboxProfile, until: date, cursors: Mapping[str, pd.Timestamp],
          fetched_at: datetime | None = None) -> Iterator[StreamBatch]:
    """Versions of every stream changed after its cursor and on or before the end of `until` (UTC)."""
    fetched_at = fetched_at or datetime.now(timezone.utc)
    if until < profile.history_start:
        return  # the simulated organisation has no history yet
    ecosystem = generate_ecosystem(profile, until)
    for stream, versions in ecosystem.streams.items():
        cursor = cursors.get(stream)
        updated = pd.to_datetime(versions["source_updated_at"], utc=True).dt.tz_convert(None)
        keep = updated < pd.Timestamp(until) + pd.Timedelta(days=1)
        if cursor is not None:
            keep &= updated >= cursor  # the boundary version lands again and is skipped as a duplicate
        yield StreamBatch(stream, envelope(org_id, stream, versions[keep.to_numpy()], fetched_at=fetched_at,
                                           connector_version=CONNECTOR_VERSION), cursor)
