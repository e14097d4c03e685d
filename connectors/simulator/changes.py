"""Records changing while a sync pages through them: the edits, inserts and deletes `FaultPlan.changes` applies.

Grain: one change = one record of one object of one system, made "now" at the tenant's clock, which then ticks one
second on (so every change has a later last-modified time than anything served before it, as on a real system).
Which changes a system can show is what its API exposes:

- salesforce: every streamed sObject; edit, insert, delete (`IsDeleted` through `queryAll`);
- hubspot: companies, deals, contacts, meetings, calls, emails (not the associations); edit, insert, delete (archived);
- partnerstack: partnerships, groups, customers, deals, leads: edit, insert; transactions (append-only): insert; no
  deletions, as the API exposes none;
- impartner: every object; edit, insert, delete (the record is no longer served);
- crossbeam: overlaps: edit, insert, delete (`is_deleted` in the bookmark); partners: edit, insert (a full refresh
  cannot show a partner's deletion).

- edit: a served text field gains a marker (" ~N") where the record has one, and the last-modified time moves to now;
- insert: a copy of a live record under a new id of the system's own shape (transactions: created now);
- delete: the record is marked deleted at now (each system then shows it as it shows deletions).
The object changed is the one the request reads when that can be told (SOQL `FROM`, the path), else a random one.
"""

from __future__ import annotations

import copy
import random
import re

import pandas as pd

from connectors.simulator import render

KINDS = ("edit", "insert", "delete")
_ALL = KINDS
_NO_DELETE = ("edit", "insert")


def changeable(system: str, objects: list[str]) -> dict[str, tuple[str, ...]]:
    """Object -> the change kinds that system's API can show for it."""
    if system == "hubspot":
        return {o: _ALL for o in objects if o != "deal_company_associations"}
    if system == "partnerstack":
        return {o: ("insert",) if o == "transactions" else _NO_DELETE for o in objects}
    if system == "crossbeam":
        return {o: _ALL if o == "overlaps" else _NO_DELETE for o in objects}
    return {o: _ALL for o in objects}


# The served text fields an edit marks (first one present); records without one change only their modified time.
_EDIT_FIELDS = ("Name", "Title", "Company", "Subject", "name", "dealname", "email", "hs_activity_type", "account_name",
                "record_name", "external_key", "first_name", "slug")


def requested_object(request, objects: list[str]) -> str | None:
    """The object a request reads, when its SOQL or path names one (case-insensitive)."""
    q = request.arg("q")
    if q:
        m = re.search(r"\bfrom\s+(\w+)", q, re.I)
        if m:
            return next((o for o in objects if o.lower() == m.group(1).lower()), None)
    segments = [s.lower() for s in request.path.split("/") if s]
    return next((o for o in objects if o.lower() in segments), None)


def apply(tenant, system: str, request, kinds: tuple[str, ...], rng: random.Random) -> tuple[str, str, str] | None:
    """Make one change in `tenant`'s `system` before `request` is answered: (object, kind, record id), or None when
    no allowed change applies (e.g. no live record)."""
    with tenant.lock:
        native = tenant.native(system)
        allowed = changeable(system, list(native))
        obj = requested_object(request, list(allowed))
        if obj is None:
            obj = rng.choice(sorted(allowed))
        options = [k for k in kinds if k in allowed[obj]]
        rows = native[obj]
        live = [r for r in rows if not r["_deleted"]]
        if not options or not live:
            return None
        kind = rng.choice(options)
        record = rng.choice(live)
        now = tenant.clock
        tenant.clock = tenant.clock + pd.Timedelta(seconds=1)
        if kind == "edit":
            _edit(record, rng)
            record["_updated"] = now
        elif kind == "delete":
            record["_deleted"] = True
            record["_updated"] = now
        else:
            record = _copy(system, obj, record, rows, now, rng)
            rows.append(record)
        # a changed object gets a new list (answers cached for the old one, e.g. HubSpot's search order, expire)
        native[obj] = render.ordered(rows)
        return obj, kind, str(record["_id"])


def _edit(record: dict, rng: random.Random) -> None:
    for holder in (record.get("properties"), record):
        if not isinstance(holder, dict):
            continue
        name = next((f for f in _EDIT_FIELDS if isinstance(holder.get(f), str)), None)
        if name:
            holder[name] = f"{holder[name].split(' ~')[0]} ~{rng.randrange(10**6)}"
            return


def _copy(system: str, obj: str, record: dict, rows: list[dict], now: pd.Timestamp, rng: random.Random) -> dict:
    new = copy.deepcopy(record)
    tag = f"sim-insert:{obj}:{rng.randrange(10**12)}"
    old = record["_id"]
    if isinstance(old, int):
        new["_id"] = max(r["_id"] for r in rows if isinstance(r["_id"], int)) + 1
    elif system == "salesforce":
        new["_id"] = render.sf_id(str(old)[:3], tag)
    elif system == "hubspot":
        new["_id"] = render.num_id(tag)
        new["createdAt"] = render.hs_time(now)
    elif system == "crossbeam" and obj == "overlaps":
        new["crossbeam_record_id"] = render.xb_uuid("record", tag)
        new["partner_crossbeam_record_id"] = render.xb_uuid("precord", tag)
        new["_id"] = f"{new['crossbeam_record_id']}:{new['partner_crossbeam_record_id']}"
    elif system == "crossbeam":
        new["_id"] = render.xb_uuid("partner", tag)
    else:
        new["_id"] = f"{old}-{tag.rsplit(':', 1)[1]}"
    if system == "partnerstack" and "created_at" in new:
        new["created_at"] = render.ms(now)
    new["_updated"] = now
    new["_deleted"] = False
    return new
