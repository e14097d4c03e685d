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


def canonical_json(payload: dict) -> str:
    """The payload's canonical JSON text (sorted keys, no whitespace): what is hashed, and what `raw_<source>` stores."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def text_hash(text: str, is_deleted: bool = False) -> str:
    """sha256 of a payload's canonical JSON text and the deletion flag."""
    if is_deleted:
        text += "|deleted"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def payload_hash(payload: dict, is_deleted: bool = False) -> str:
    """sha256 of the payload's canonical JSON (sorted keys, no whitespace) and the deletion flag."""
    return text_hash(canonical_json(payload), is_deleted)


def envelope(org_id: str, stream: str, versions: pd.DataFrame, *, fetched_at: datetime,
             connector_version: str) -> pd.DataFrame:
    """Wrap record versions (`source_id`, `source_updated_at`, `is_deleted`, `payload`) in the raw envelope.

    `source_updated_at` is stored as naive UTC, the warehouse's convention for timestamps. Besides the envelope's
    columns the frame carries `payload_json`, each payload's canonical JSON text: it is serialised once, here (or by
    the caller, who passes `payload_json` along), hashed, and landed as it is.
    """
    if versions.empty:
        return pd.DataFrame(columns=[*ENVELOPE_COLUMNS, "payload_json"])
    texts = (list(versions["payload_json"]) if "payload_json" in versions.columns else
             [canonical_json(p) for p in versions["payload"]])
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
                             [text_hash(t, bool(d)) for t, d in zip(texts, versions["is_deleted"])]),
            "source_updated_at": updated.dt.to_pydatetime(),
            "fetched_at": fetched.to_pydatetime(),
            "connector_version": connector_version,
            "is_deleted": versions["is_deleted"].astype(bool).to_numpy(),
            "payload": list(versions["payload"]),
            "payload_json": texts,
        }
    )
    return frame[[*ENVELOPE_COLUMNS, "payload_json"]]
