"""Impartner PRM objects API v1 as the simulator serves it (medium-confidence facts, prm_apis.md section 4):
`Authorization: prm-key <key>` (+ optional `X-PRM-TenantId`), `GET /api/objects/v1/{Entity}` with `fields`,
`filter` (`updated >= 'yyyy-MM-dd HH:mm:ss'` in the tenant's time zone, `and`), `orderby`, `skip`/`take`, and the
`{"data": {"count", "entity", "results"}, "success": true}` envelope; camelCase fields, local-offset timestamps.

UNSURE and therefore simulator choices: the maximum `take` (500 here), the error body (`{"success": false,
"message"}`), rate limiting (429), and deletions: a deleted record is simply no longer served (no flag, no
deleted-records endpoint), the assumption the connector's id reconciliation rests on.
"""

from __future__ import annotations

import re

import pandas as pd

from connectors.simulator.render import IMPARTNER_TZ, imp_time
from connectors.simulator.server import Answer, Request

MAX_TAKE = 500
_COND = re.compile(r"^\s*(\w+)\s*(>=|<=|>|<|=| eq )\s*'?([^']*)'?\s*$", re.I)


def error(status: int, message: str) -> Answer:
    return Answer(status, {"success": False, "message": message})


def throttled(sim, retry_after: bool) -> Answer:
    return Answer(429, {"success": False, "message": "Too many requests"}, {"Retry-After": "1"} if retry_after else {})


def _wire(sim, record: dict, fields: list[str] | None) -> dict:
    out = {"id": record["_id"], **{k: v for k, v in record.items() if not k.startswith("_")},
           "updated": imp_time(record["_updated"])}
    if fields:
        wanted = {f.lower() for f in fields} | {"id"}
        out = {k: v for k, v in out.items() if k.lower() in wanted}
    if sim.faults.drift:
        out = {k: v for k, v in out.items() if v is not None}
        out["newField__cf"] = "drift"
    return out


def _value(record: dict, name: str):
    name = name.lower()
    if name == "updated":
        return record["_updated"]
    if name == "id":
        return record["_id"]
    return next((v for k, v in record.items() if k.lower() == name), None)


def handle(sim, req: Request) -> Answer:
    auth = req.headers.get("authorization", "")
    key = auth[len("prm-key "):] if auth.lower().startswith("prm-key ") else None
    tenant = sim.tenant_by("impartner", api_key=key) if key else None
    tenant_id = req.headers.get("x-prm-tenantid")
    if tenant is None or (tenant_id and tenant_id != tenant.credentials["impartner"].get("tenant_id")):
        return error(401, "Invalid username/password")
    sim.count(tenant.name, "impartner")
    if sim.over_rate("impartner", tenant.name)[0]:
        return throttled(sim, False)
    m = re.match(r"^/api/objects/v1/(\w+)$", req.path)
    objects = tenant.native("impartner")
    entity = next((e for e in objects if m and e.lower() == m.group(1).lower()), None)
    if entity is None:
        return error(404, f"Record not found: {req.path}")
    rows = [r for r in objects[entity] if not r["_deleted"]]
    for part in re.split(r"\s+and\s+", req.arg("filter") or "", flags=re.I):
        if not part.strip():
            continue
        c = _COND.match(part)
        if not c:
            return error(400, f"Invalid filter: {part}")
        name, op, literal = c.group(1), c.group(2).strip().lower(), c.group(3)
        if name.lower() in ("updated", "created"):
            value = pd.Timestamp(literal).tz_localize(IMPARTNER_TZ).tz_convert("UTC")
        elif name.lower() == "id":
            if not literal.strip().lstrip("-").isdigit():
                return error(400, f"Invalid filter: {part}")
            value = int(literal)
        else:
            value = literal
        ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
               "<": lambda a, b: a < b, "=": lambda a, b: a == b, "eq": lambda a, b: a == b}
        rows = [r for r in rows if _value(r, name) is not None and ops[op](_value(r, name), value)]
    order = req.arg("orderby") or "id asc"
    for term in reversed([t.strip() for t in order.split(",") if t.strip()]):
        name, _, direction = term.partition(" ")
        rows.sort(key=lambda r, n=name: _value(r, n), reverse=direction.strip().lower() == "desc")
    skip, take = int(req.arg("skip") or 0), int(req.arg("take") or 10)
    if take > sim.page_limit("impartner", MAX_TAKE):
        return error(400, f"take must be at most {sim.page_limit('impartner', MAX_TAKE)}")
    fields = [f.strip() for f in (req.arg("fields") or "").split(",") if f.strip()] or None
    page = rows[skip: skip + take]
    return Answer(200, {"data": {"count": len(rows), "entity": entity,
                                 "results": [_wire(sim, r, fields) for r in page]}, "success": True})
