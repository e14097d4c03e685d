"""HubSpot CRM v3/v4 as the simulator serves it: private-app bearer tokens, object list (`after` paging, max 100,
`archived=true` for deleted records), search (POST, filters, sorts, max 200 per page, HTTP 400 past 10,000 results,
no rate-limit headers), v4 association batch read, `X-HubSpot-RateLimit-*` headers and 429 with `policyName`.

Property values are strings; `hs_lastmodifieddate` (contacts: `lastmodifieddate`), `createdate` and `hs_object_id`
are filled from the record. `hubspot_search_cap` (default 10,000) can be lowered to test the cap in seconds.
"""

from __future__ import annotations

import bisect
import json
import re
import uuid

import pandas as pd

from connectors.simulator.render import hs_time, ms
from connectors.simulator.server import Answer, Request

LIST_MAX, SEARCH_MAX = 100, 200


def error(status: int, message: str, category: str = "INTERNAL_ERROR") -> Answer:
    return Answer(status, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                           "category": category})


def throttled(sim, retry_after: bool) -> Answer:
    body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()), "policyName": "TEN_SECONDLY_ROLLING",
            "requestId": str(uuid.uuid4())}
    return Answer(429, body, {"Retry-After": "1"} if retry_after else {})


def _modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def _wire(sim, object_type: str, record: dict, properties: list[str] | None) -> dict:
    props = dict(record["properties"])
    props[_modified_property(object_type)] = hs_time(record["_updated"])
    props["hs_object_id"] = str(record["_id"])
    if properties is not None:
        keep = set(properties) | {"hs_object_id", "createdate", _modified_property(object_type)}
        props = {k: props.get(k) for k in keep if k in props or k in properties}
    out = {"id": str(record["_id"]), "properties": props, "createdAt": record["createdAt"],
           "updatedAt": hs_time(record["_updated"]), "archived": record["_deleted"]}
    if record["_deleted"]:
        out["archivedAt"] = hs_time(record["_updated"])
    if sim.faults.drift:
        out["properties"] = {k: v for k, v in props.items() if v is not None}
        out["url"] = f"https://app.hubspot.com/contacts/0/record/{record['_id']}"
    return out


def _value(object_type: str, record: dict, name: str):
    if name == _modified_property(object_type):
        return ms(record["_updated"])
    if name == "hs_object_id":
        return int(record["_id"])
    value = record["properties"].get(name)
    if name == "createdate" and value is not None:
        return ms(value)
    return value


def _coerce(name: str, value):
    if value is None:
        return None
    if name in ("hs_lastmodifieddate", "lastmodifieddate", "createdate", "hs_object_id"):
        return int(value)
    return str(value)


def _match(op: str, left, right) -> bool:
    if op == "EQ":
        return left == right
    if op == "NEQ":
        return left != right
    if op == "HAS_PROPERTY":
        return left is not None
    if left is None or right is None:
        return False
    return {"GT": left > right, "GTE": left >= right, "LT": left < right, "LTE": left <= right}[op]


def handle(sim, req: Request) -> Answer:
    auth = req.headers.get("authorization", "")
    token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
    tenant = sim.tenant_by("hubspot", token=token) if token else None
    if tenant is None:
        return error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                     "INVALID_AUTHENTICATION")
    sim.count(tenant.name, "hubspot")
    is_search = req.path.endswith("/search")
    # Search has its own limit (5/s per account) and sends no rate-limit headers; the rest share the app's window.
    over, limit, remaining, window = sim.over_rate("hubspot_search" if is_search else "hubspot", tenant.name)
    headers = {} if is_search or not limit else {
        "X-HubSpot-RateLimit-Max": str(limit), "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(window * 1000))}
    if over:
        answer = throttled(sim, False)
        answer.headers.update(headers)
        return answer
    objects = tenant.native("hubspot")
    m = re.match(r"^/crm/(?:v3|\d{4}-\d{2})/objects/(\w+)(/search)?$", req.path)
    if m and m.group(1) in objects:
        answer = _search(sim, objects, m.group(1), req) if m.group(2) else _list(sim, objects, m.group(1), req)
    elif req.path == "/crm/v4/associations/deals/companies/batch/read" and req.method == "POST":
        answer = _associations(sim, objects, req)
    else:
        answer = error(404, f"no route {req.method} {req.path}", "OBJECT_NOT_FOUND")
    answer.headers.update(headers)
    return answer


def _list(sim, objects, object_type: str, req: Request) -> Answer:
    limit = int(req.arg("limit") or 10)
    if limit > sim.page_limit("hubspot", LIST_MAX):
        limit = sim.page_limit("hubspot", LIST_MAX)  # HubSpot caps silently
    archived = (req.arg("archived") or "false").lower() == "true"
    props = req.arg("properties")
    wanted = props.split(",") if props else None
    rows, ids = _cached(sim, ("list", object_type, archived), objects[object_type], lambda all_rows: _by_id(
        [r for r in all_rows if r["_deleted"] == archived]))
    after = int(req.arg("after") or 0)
    start = bisect.bisect_right(ids, after)
    page = rows[start:start + limit]
    body = {"results": [_wire(sim, object_type, r, wanted) for r in page]}
    if len(page) == limit and start + limit < len(rows):
        nxt = page[-1]["_id"]
        body["paging"] = {"next": {"after": str(nxt), "link": f"{sim.url('hubspot')}/crm/v3/objects/{object_type}"
                                                               f"?after={nxt}&limit={limit}"}}
    return Answer(200, body)


def _cached(sim, key: tuple, rows: list[dict], build):
    """`build(rows)`, kept while `rows` is the object's current list. The tenant replaces an object's list whenever
    its records change (a new clock, a mutation), so a result is never served for records that have since changed;
    the list itself is held in the entry, so its identity cannot be reused by another list while cached."""
    cache = sim.__dict__.setdefault("_hubspot_cache", {})
    hit = cache.get(key)
    if hit is not None and hit[0] is rows:
        return hit[1]
    if len(cache) > 64:
        cache.clear()
    value = build(rows)
    cache[key] = (rows, value)
    return value


def _by_id(rows: list[dict]) -> tuple[list[dict], list[int]]:
    rows = sorted(rows, key=lambda r: int(r["_id"]))
    return rows, [int(r["_id"]) for r in rows]


def _sort_key(object_type: str, name: str):
    def key(r):
        value = _value(object_type, r, name)
        return (value is None, value or 0)
    return key


def _ordered(object_type: str, all_rows: list[dict], specs: list[tuple[str, bool]]):
    """The live records in the search's order (ties by id), with their keys for the first sort."""
    rows = sorted((r for r in all_rows if not r["_deleted"]), key=lambda r: int(r["_id"]))
    keys = None
    for name, desc in reversed(specs):
        keyed = [(_sort_key(object_type, name)(r), r) for r in rows]
        keyed.sort(key=lambda kr: kr[0], reverse=desc)
        rows, keys = [r for _, r in keyed], [k for k, _ in keyed]
    return rows, keys


def _matching(sim, object_type: str, all_rows: list[dict], groups: list, sorts: list) -> list[dict]:
    """The live records matching any filter group, in the search's order. The order is computed once per clock and
    sort; with one ascending sort and one group bounding that property from below (the incremental window), the
    start is found by bisecting the ordered records instead of testing every record."""
    specs = [(s["propertyName"] if isinstance(s, dict) else str(s).lstrip("-"),
              (s.get("direction") == "DESCENDING") if isinstance(s, dict) else str(s).startswith("-")) for s in sorts]
    rows, keys = _cached(sim, ("order", object_type, json.dumps(specs)), all_rows,
                         lambda r: _ordered(object_type, r, specs))
    if len(specs) == 1 and not specs[0][1] and len(groups) == 1:
        name = specs[0][0]
        low = [f for f in groups[0].get("filters", []) if f["propertyName"] == name and f["operator"] in ("GT", "GTE")
               and f.get("value") is not None]
        if len(low) == 1:
            bound = _coerce(name, low[0]["value"])
            side = bisect.bisect_left if low[0]["operator"] == "GTE" else bisect.bisect_right
            # keys are (missing?, value): records without the property sort last and never match a bound
            rows = rows[side(keys, (False, bound)):]
            groups = [{**groups[0], "filters": [f for f in groups[0]["filters"] if f is not low[0]]}]
            if not groups[0]["filters"]:
                return rows
    if groups:
        rows = [r for r in rows if any(all(
            _match(f["operator"], _value(object_type, r, f["propertyName"]),
                   _coerce(f["propertyName"], f.get("value"))) for f in g.get("filters", [])) for g in groups)]
    return rows


def _search(sim, objects, object_type: str, req: Request) -> Answer:
    body = req.json() or {}
    limit = int(body.get("limit") or 10)
    if limit > sim.page_limit("hubspot", SEARCH_MAX):
        return error(400, f"limit must be <= {SEARCH_MAX}", "VALIDATION_ERROR")
    after = int(body.get("after") or 0)
    cap = getattr(sim, "hubspot_search_cap", 10_000)
    if after >= cap:
        return error(400, f"The request exceeds the maximum of {cap} results per search.", "VALIDATION_ERROR")
    groups = body.get("filterGroups") or []
    sorts = body.get("sorts") or []
    # The matching rows in order are computed once per search (its pages differ only in `after`) and from an index
    # sorted once per clock, so paging a large object costs a slice per page, not a filter and sort of every record.
    query = json.dumps([groups, sorts], sort_keys=True, default=str)
    rows = _cached(sim, ("search", object_type, query), objects[object_type],
                   lambda all_rows: _matching(sim, object_type, all_rows, groups, sorts))
    page = rows[after: min(after + limit, cap)]
    out = {"total": len(rows), "results": [_wire(sim, object_type, r, body.get("properties")) for r in page]}
    if after + limit < len(rows):
        out["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
    return Answer(200, out)


def _associations_by_deal(rows: list[dict]) -> dict[str, list[dict]]:
    by_deal: dict[str, list[dict]] = {}
    for a in rows:
        if not a["_deleted"]:
            by_deal.setdefault(str(a["fromObjectId"]), []).append(a)
    return by_deal


def _associations(sim, objects, req: Request) -> Answer:
    body = req.json() or {}
    wanted = [str(i.get("id")) for i in body.get("inputs", [])]
    by_deal = _cached(sim, ("associations",), objects["deal_company_associations"], _associations_by_deal)
    results = [{"from": {"id": d}, "to": [
        {"toObjectId": a["toObjectId"], "associationTypes": [
            {"category": "USER_DEFINED", "typeId": 1000 + ["Sourced", "Influenced", "Co Sell",
                                                           "Implementation"].index(a["label"])
             if a["label"] in ("Sourced", "Influenced", "Co Sell", "Implementation") else 999,
             "label": a["label"]},
            {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": None}],
         "addedOn": a["addedOn"], "updatedAt": hs_time(a["_updated"])} for a in by_deal[d]]}
        for d in wanted if d in by_deal]
    now = hs_time(pd.Timestamp.now(tz="UTC"))
    return Answer(200, {"status": "COMPLETE", "results": results, "requestedAt": now, "startedAt": now,
                        "completedAt": now})
