"""The provenance envelope every connector wraps its records in before they land in `raw_<source>`.

Grain: one row per version of a source record. The key is (org, stream, source id, source updated-at, payload hash),
so landing the same version twice writes nothing, while a changed record, a deletion, or a record changed back to an
earlier content each add a version instead of overwriting one (Perceval's `Backend.metadata` idea: staging can always
be rebuilt from raw).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pandas as pd

ENVELOPE_COLUMNS = ("org_id", "stream", "source_id", "payload_hash", "source_updated_at", "fetched_at",
                    "connector_version", "is_deleted", "payload")


def payload_hash(payload: dict, is_deleted: bool = False) -> str:
    """sha256 of the payload's canonical JSON (sorted keys, no whitespace) and the deletion flag."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    if is_deleted:
        text += "|deleted"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def envelope(org_id: str, stream: str, versions: pd.DataFrame, *, fetched_at: datetime,
             connector_version: str) -> pd.DataFrame:
    """Wrap record versions (`source_id`, `source_updated_at`, `is_deleted`, `payload`) in the raw envelope.

    `source_updated_at` is stored as naive UTC, the warehouse's convention for timestamps.
    """
    if versions.empty:
        return pd.DataFrame(columns=list(ENVELOPE_COLUMNS))
    updated = pd.to_datetime(versions["source_updated_at"], utc=True).dt.tz_convert(None)
    fetched = pd.Timestamp(fetched_at)
    fetched = fetched.tz_convert(None) if fetched.tzinfo is not None else fetched
    frame = pd.DataFrame(
        {
            "org_id": org_id,
            "stream": stream,
            "source_id": versions["source_id"].astype(str).to_numpy(),
            # a caller that already hashed the versions (the sync's unchanged-record check) passes them along
            "payload_hash": (list(versions["payload_hash"]) if "payload_hash" in versions.columns else
                             [payload_hash(p, bool(d)) for p, d in zip(versions["payload"], versions["is_deleted"])]),
            "source_updated_at": updated.dt.to_pydatetime(),
            "fetched_at": fetched.to_pydatetime(),
            "connector_version": connector_version,
            "is_deleted": versions["is_deleted"].astype(bool).to_numpy(),
            "payload": list(versions["payload"]),
        }
    )
    return frame[list(ENVELOPE_COLUMNS)]
