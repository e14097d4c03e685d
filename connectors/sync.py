"""Running a connector into the warehouse: page by page, land, then advance the stream's cursor.

Each page's record versions are enveloped and landed into `raw_<source>` (idempotent: a version already landed is
skipped) in one transaction; only after that commit is the stream's cursor in `connector_cursors` moved to the page's
high-water mark. A sync killed at any point therefore resumes at the last committed page, refetches at most that
page's boundary, and lands nothing twice. Deletions land as versions with `is_deleted` true, never as removals.

Id reconciliation (for APIs that show no deletions, only stop serving a record): a connector with `live_ids(stream)`
and `reconcile_every` (a timedelta) has, at most once per `reconcile_every`, every id it still serves compared with
the ids landed and live; each landed id no longer served lands a deletion version (its last payload, stamped with the
fetch time). The time of the last reconciliation is kept in `connector_cursors` under the stream `<stream>#ids`. A
stream's first sync (no cursor before it) only starts the period: it read everything just now, and listing every id
again would double a full sync's requests.

Record reconciliation (for streams whose changes the incremental read can miss, e.g. HubSpot's deal-company
associations, which change without their deal's last-modified time moving): a connector may instead offer
`live_records(stream, landed)`, yielding pages of the full current versions it serves for `stream` (`landed(other)`
gives the ids landed live of any stream of the same source, e.g. the deals whose associations to read). On the same
period and marker, those versions go through the ordinary landing path (an undated or `content_versioned` version
lands only when its content differs from the latest landed one; undated ones are stamped with the fetch time) and
each landed live id not among them lands a deletion, as above. `reconciled_streams` (optional) limits either kind of
reconciliation to the streams it names.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

import pandas as pd
import sqlalchemy as sa

from connectors.envelope import envelope
from dbt_like_sql import landing
from dbt_like_sql.schema import ensure_tables

# One record version as a connector yields it: (source id, last-modified, deleted?, payload as sent).
Version = tuple[str, object, bool, dict]


class Connector(Protocol):
    """What `sync` runs. A connector may also name `content_versioned` streams (see `_undated`)."""

    source: str
    org_id: str
    version: str

    def streams(self) -> list[str]: ...

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list[Version], str | None]]: ...


@dataclass
class StreamSync:
    stream: str
    fetched: int = 0
    landed: int = 0
    pages: int = 0
    cursor_before: str | None = None
    cursor_after: str | None = None
    reconciled_deletions: int | None = None   # deletions found by id reconciliation (None: none ran)
    reconciled_changes: int | None = None     # new or changed versions landed by record reconciliation (None: none ran)


@dataclass
class SyncResult:
    org_id: str
    source: str
    streams: dict[str, StreamSync] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def fetched(self) -> int:
        return sum(s.fetched for s in self.streams.values())

    @property
    def landed(self) -> int:
        return sum(s.landed for s in self.streams.values())

    @property
    def new_versions(self) -> dict[str, int]:
        return {name: s.landed for name, s in self.streams.items()}


def to_frame(versions: Iterable[Version], fetched_at: datetime) -> pd.DataFrame:
    """Versions as the envelope expects them, with each payload's canonical JSON text (`payload_json`, serialised
    here once: the unchanged-record check and the envelope hash it, landing stores it). A record without an id is kept
    under a content-derived id (staging quarantines it: its entity id is blank); a missing or unreadable last-modified
    is NaT (see `_undated`)."""
    from connectors.envelope import canonical_json, text_hash

    rows = []
    for sid, u, d, p in versions:
        text = canonical_json(p)
        rows.append((sid if sid not in (None, "") else f"no-id:{text_hash(text)[:16]}", u, d, p, text))
    frame = pd.DataFrame(rows, columns=["source_id", "source_updated_at", "is_deleted", "payload", "payload_json"])
    if rows:
        frame["source_updated_at"] = pd.to_datetime(frame["source_updated_at"], utc=True, format="mixed",
                                                    errors="coerce")
    return frame


def _undated(engine: sa.Engine, source: str, org_id: str, stream: str, frame: pd.DataFrame,
             fetched_at: datetime, *, by_content: bool = False, landed_before: bool = True) -> pd.DataFrame:
    """Records without a last-modified time (full-refresh streams) are stamped with the fetch time, and left out
    when their content equals the latest landed version: a re-fetch of an unchanged record writes nothing.

    `by_content`: the stream's timestamps are borrowed, not the record's own (HubSpot's associations carry their
    deal's last-modified time), so every record whose content equals its latest landed version is left out.
    `landed_before` false (the stream had no version when the sync began) skips looking up latest versions of
    undated records: only this sync's own pages could hold them, under this sync's fetch time, where landing the
    same content again is a duplicate key and writes nothing."""
    from connectors.envelope import text_hash
    from dbt_like_sql.schema import raw_table

    missing = frame["source_updated_at"].isna()
    checked = missing | by_content
    if not checked.any():
        return frame
    hashes = [text_hash(t, bool(d)) for t, d in zip(frame["payload_json"], frame["is_deleted"])]
    latest: dict[str, str] = {}
    if landed_before or by_content:
        table = raw_table(source)
        ids = list(frame.loc[checked, "source_id"].astype(str))
        with engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(sa.select(table.c.source_id, table.c.source_updated_at, table.c.payload_hash)
                                    .where(table.c.org_id == org_id, table.c.stream == stream,
                                           table.c.source_id.in_(ids[start:start + 500]))
                                    .order_by(table.c.source_updated_at)).all()
                latest.update({sid: h for sid, _, h in rows})
    unchanged = checked & pd.Series([latest.get(str(i)) == h for i, h in zip(frame["source_id"], hashes)],
                                    index=frame.index)
    frame = frame.assign(payload_hash=hashes)[~unchanged].copy()
    if not missing.any():
        return frame
    when = _utc(fetched_at)
    frame["source_updated_at"] = frame["source_updated_at"].astype("datetime64[us, UTC]").fillna(when)
    return frame


def prefetched(pages: Iterator, depth: int = 1) -> Iterator:
    """The pages of `pages`, fetched by a helper thread up to `depth` pages ahead of the caller, so the next page
    is on the wire while this one lands (a paced sync then spends its waits fetching, not idle). Errors surface in the
    caller at the page where they happened; pages are handed over in order, and nothing is landed out of order."""
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        box.put(("page", page), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("end", done))
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller
            box.put(("error", err))

    thread = threading.Thread(target=work, name="connector-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()


def sync(engine: sa.Engine, connector: Connector, *, streams: list[str] | None = None,
         fetched_at: datetime | None = None) -> SyncResult:
    """Land every stream's changes since its cursor; returns counts per stream."""
    with _old_objects_frozen():
        return _sync(engine, connector, streams=streams, fetched_at=fetched_at)


@contextmanager
def _old_objects_frozen():
    """Keep the objects that existed before the sync (modules, pandas and SQLAlchemy internals: most of the heap) out
    of the garbage collector's full collections while it runs. Parsing pages allocates enough containers to trigger
    several full collections per sync, and each one scanned that whole old heap: about 100 ms each, a tenth of a
    second of stall in a sync of ten 1,000-record pages. Garbage made during the sync is collected as before; old
    objects are scanned again once it ends (`gc.unfreeze`)."""
    import gc

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _sync(engine: sa.Engine, connector: Connector, *, streams: list[str] | None,
          fetched_at: datetime | None) -> SyncResult:
    ensure_tables(engine)
    started = time.perf_counter()
    fetched_at = fetched_at or datetime.now(timezone.utc)
    result = SyncResult(connector.org_id, connector.source)
    for stream in streams or connector.streams():
        state = StreamSync(stream)
        state.cursor_before = state.cursor_after = landing.read_cursor(engine, connector.org_id, connector.source,
                                                                       stream)
        result.streams[stream] = state
        by_content = stream in getattr(connector, "content_versioned", ())
        landed_before = landing.has_versions(engine, connector.source, connector.org_id, stream)
        for versions, new_cursor in prefetched(connector.fetch(stream, state.cursor_before)):
            frame = to_frame(versions, fetched_at)
            state.fetched += len(frame)
            state.pages += 1
            state.landed += _land(engine, connector, stream, frame, fetched_at,
                                  by_content=by_content, landed_before=landed_before)
            if new_cursor is not None and new_cursor != state.cursor_after:
                landing.save_cursor(engine, connector.org_id, connector.source, stream, new_cursor)
                state.cursor_after = new_cursor
        reconcile(engine, connector, stream, state, fetched_at)
    result.seconds = time.perf_counter() - started
    return result


RECONCILED = "#ids"


def reconcile(engine: sa.Engine, connector: Connector, stream: str, state: StreamSync, fetched_at: datetime) -> None:
    """Land deletions for the ids landed live that the system no longer serves and, for a connector serving whole
    records (`live_records`), the versions whose content changed (see the module docstring). Runs after the stream's
    changes are landed, so a record created since is served and never mistaken for deleted; one deleted while the
    ids are listed is found by the next reconciliation."""
    every = getattr(connector, "reconcile_every", None)
    records = getattr(connector, "live_records", None)
    if every is None or (records is None and not hasattr(connector, "live_ids")):
        return
    if stream not in getattr(connector, "reconciled_streams", (stream,)):
        return
    marker = stream + RECONCILED
    last = landing.read_cursor(engine, connector.org_id, connector.source, marker)
    now = _utc(fetched_at)
    if last is not None and pd.Timestamp(last) > now - every:
        return
    if state.cursor_before is None:
        landing.save_cursor(engine, connector.org_id, connector.source, marker, now.isoformat())
        return
    served: set[str] = set()
    if records is not None:
        by_content = stream in getattr(connector, "content_versioned", ())
        state.reconciled_changes = 0
        for versions in records(stream, lambda other: _landed_live(engine, connector.source, connector.org_id, other,
                                                                   payloads=False)):
            frame = to_frame(versions, fetched_at)
            served.update(frame["source_id"].astype(str))
            landed = _land(engine, connector, stream, frame, fetched_at, by_content=by_content)
            state.reconciled_changes += landed
            state.landed += landed
    else:
        for ids in connector.live_ids(stream):
            served.update(str(i) for i in ids)
    live = _landed_live(engine, connector.source, connector.org_id, stream)
    gone = [(sid, fetched_at, True, payload) for sid, payload in live.items()
            if sid not in served and not sid.startswith("no-id:")]
    state.reconciled_deletions = len(gone)
    if gone:
        state.landed += _land(engine, connector, stream, to_frame(gone, fetched_at), fetched_at, check=False)
    landing.save_cursor(engine, connector.org_id, connector.source, marker, now.isoformat())


def _utc(moment: datetime) -> pd.Timestamp:
    """`moment` as a UTC timestamp (a naive one is taken as UTC)."""
    ts = pd.Timestamp(moment)
    return ts.tz_convert("UTC") if ts.tzinfo else ts.tz_localize("UTC")


def _land(engine: sa.Engine, connector: Connector, stream: str, frame: pd.DataFrame, fetched_at: datetime, *,
          check: bool = True, by_content: bool = False, landed_before: bool = True) -> int:
    """Envelope one page of versions (`to_frame`) and land it; returns the versions landed. `check` passes the page
    through `_undated` first (stamp undated versions, leave out unchanged ones); deletion versions made here already
    carry their time and skip it."""
    if check:
        frame = _undated(engine, connector.source, connector.org_id, stream, frame, fetched_at,
                         by_content=by_content, landed_before=landed_before)
    records = envelope(connector.org_id, stream, frame, fetched_at=fetched_at, connector_version=connector.version)
    return landing.land(engine, connector.source, records)


def _landed_live(engine: sa.Engine, source: str, org_id: str, stream: str, *, payloads: bool = True) -> dict[str, dict]:
    """Source id -> last payload of each record of `stream` whose latest landed version is not a deletion (`payloads`
    false: the ids only, each mapped to None; a connector's `landed(stream)` needs no payloads, and reading a large
    stream's payloads would cost more than the ids)."""
    from dbt_like_sql.schema import raw_table

    t = raw_table(source)
    query = (sa.select(t.c.source_id, t.c.is_deleted, t.c.payload if payloads else sa.null())
             .where(t.c.org_id == org_id, t.c.stream == stream)
             .order_by(t.c.source_id, t.c.source_updated_at, t.c.fetched_at))
    latest: dict[str, tuple[bool, dict]] = {}
    with engine.connect() as conn:
        for sid, deleted, payload in conn.execute(query):
            latest[str(sid)] = (bool(deleted), payload)
    return {sid: payload for sid, (deleted, payload) in latest.items() if not deleted}
