"""PartnerStack vendor API v2 as the simulator serves it: HTTP Basic (public key : secret key), the
`{data, message, status}` envelope, `limit` 1..250 (400 beyond), `starting_after`/`ending_before` (exclusive of each
other), `has_more`, `min_updated`/`min_created` filters and `order_by`, epoch-millisecond timestamps.

Rate limits are not documented (UNSURE): the simulator answers 429 `{"message", "status"}`, with `Retry-After` only
when the fault asks for it.
"""

from __future__ import annotations

import base64

from connectors.simulator.render import ms
from connectors.simulator.server import Answer, Request

RESOURCES = ("partnerships", "groups", "customers", "deals", "leads", "transactions")
MAX_LIMIT = 250


def error(status: int, message: str) -> Answer:
    return Answer(status, {"message": message, "status": status})


def throttled(sim, retry_after: bool) -> Answer:
    return Answer(429, {"message": "Too Many Requests", "status": 429}, {"Retry-After": "1"} if retry_after else {})


def _tenant(sim, req: Request):
    auth = req.headers.get("authorization", "")
    if not auth.startswith("Basic "):
        return None
    try:
        public, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return None
    return sim.tenant_by("partnerstack", public_key=public, secret_key=secret)


def _wire(sim, record: dict) -> dict:
    out = {"key": record["_id"], **{k: v for k, v in record.items() if not k.startswith("_")},
           "updated_at": ms(record["_updated"])}
    if sim.faults.drift:
        out = {k: v for k, v in out.items() if v is not None}
        out["new_unknown_field"] = {"drift": True}
    return out


def handle(sim, req: Request) -> Answer:
    tenant = _tenant(sim, req)
    if tenant is None:
        return error(401, "Unauthorized")
    sim.count(tenant.name, "partnerstack")
    over, *_ = sim.over_rate("partnerstack", tenant.name)
    if over:
        return throttled(sim, False)
    resource = req.path.removeprefix("/api/v2/").strip("/")
    objects = tenant.native("partnerstack")
    if resource not in RESOURCES:
        return error(404, "Not Found")
    try:
        limit = int(req.arg("limit") or 10)
    except ValueError:
        return error(400, "limit must be an integer")
    if not 1 <= limit <= sim.page_limit("partnerstack", MAX_LIMIT):
        return error(400, f"limit must be between 1 and {sim.page_limit('partnerstack', MAX_LIMIT)}")
    after, before = req.arg("starting_after"), req.arg("ending_before")
    if after and before:
        return error(400, "starting_after and ending_before are mutually exclusive")
    rows = [r for r in objects[resource]]
    if req.arg("min_updated"):
        rows = [r for r in rows if ms(r["_updated"]) >= int(req.arg("min_updated"))]
    if req.arg("min_created"):
        rows = [r for r in rows if (r.get("created_at") or 0) >= int(req.arg("min_created"))]
    order = req.arg("order_by") or "-created_at"
    field = order.lstrip("-")
    value = (lambda r: ms(r["_updated"])) if field == "updated_at" else (lambda r: r.get("created_at") or 0)
    rows.sort(key=lambda r: (value(r), r["_id"]), reverse=order.startswith("-"))
    start = 0
    if after:
        keys = [r["_id"] for r in rows]
        if after not in keys:
            return error(400, f"starting_after: no {resource[:-1]} with key {after}")
        start = keys.index(after) + 1
    page = rows[start: start + limit]
    return Answer(200, {"data": {"has_more": start + limit < len(rows), "items": [_wire(sim, r) for r in page],
                                 "total": len(rows)},
                        "message": "Page returned successfully", "status": 200})
