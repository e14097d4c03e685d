"""Crossbeam Partner API as the simulator serves it: OAuth2 client credentials (`/oauth/token`), bearer token plus
`Xbeam-Organization`, `/v1/partners` (page style: `limit`, `page`, `next_href`) and `/v1/overlaps/accounts` (cursor
style: `has_more`, `next_href`, `next_cursor`, max `limit` 1000). After a full run the last `next_href` is a
bookmark: calling it returns only overlaps new, changed or deleted since that run began (`is_deleted: true`); a
cursor continues after the last record served (not at an offset), so records changing while a run pages are not
skipped (simulator choices where the public docs say nothing). A bookmark used with
other query parameters returns results that no longer track changes (the full set), as documented.

UNSURE and therefore simulator choices: rate limiting (429), error bodies (`{"message"}`), the token response
beyond `access_token`/`expires_in`.
"""

from __future__ import annotations

import base64
import bisect
import json
import uuid
from urllib.parse import parse_qs

from connectors.simulator.render import ms
from connectors.simulator.server import Answer, Request

MAX_LIMIT = 1000


def error(status: int, message: str) -> Answer:
    return Answer(status, {"message": message})


def throttled(sim, retry_after: bool) -> Answer:
    return Answer(429, {"message": "Too Many Requests"}, {"Retry-After": "1"} if retry_after else {})


def _token(sim, req: Request) -> Answer:
    try:
        form = json.loads(req.body) if req.headers.get("content-type", "").startswith("application/json") else \
            {k: v[-1] for k, v in parse_qs(req.body.decode()).items()}
    except ValueError:
        form = {}
    tenant = sim.tenant_by("crossbeam", client_id=form.get("client_id", ""),
                           client_secret=form.get("client_secret", ""))
    if tenant is None or form.get("grant_type") != "client_credentials":
        return Answer(401, {"error": "access_denied", "error_description": "Unauthorized"})
    return Answer(200, {"access_token": sim.issue_token(tenant.name, "crossbeam"), "expires_in": 86400,
                        "token_type": "Bearer", "scope": "read:partners read:reports"})


def _cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _uncursor(text: str) -> dict | None:
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None


def _wire(sim, record: dict, incremental: bool, base: dict | None = None) -> dict:
    """The record as sent; `base` is its fields without the simulator's own (`_...`), when already computed."""
    out = dict(base) if base is not None else {k: v for k, v in record.items() if not k.startswith("_")}
    if incremental:
        out["is_deleted"] = record["_deleted"]
    if sim.faults.drift:
        out = {k: v for k, v in out.items() if v is not None}
        out["partner_record_new_field"] = "drift"
    return out


def _by_id(rows: list[dict]) -> tuple[list[dict], list[dict], list, dict[int, dict]]:
    """Overlaps ordered by id, the live ones among them and their ids, and each one's fields without the simulator's
    own (`_...`), by `id()` of the record."""
    ordered = sorted(rows, key=lambda r: r["_id"])
    live = [r for r in ordered if not r["_deleted"]]
    return ordered, live, [r["_id"] for r in live], {id(r): {k: v for k, v in r.items() if not k.startswith("_")}
                                                     for r in ordered}


def handle(sim, req: Request) -> Answer:
    if req.method == "POST" and req.path == "/oauth/token":
        return _token(sim, req)
    auth = req.headers.get("authorization", "")
    tenant = sim.tenant_for_token("crossbeam", auth[len("Bearer "):] if auth.startswith("Bearer ") else None)
    if tenant is None:
        return error(401, "Unauthorized")
    if req.headers.get("xbeam-organization") != tenant.credentials["crossbeam"].get("organization"):
        return error(403, "Xbeam-Organization does not name an organization this token can read")
    sim.count(tenant.name, "crossbeam")
    if sim.over_rate("crossbeam", tenant.name)[0]:
        return throttled(sim, False)
    objects = tenant.native("crossbeam")
    limit = int(req.arg("limit") or 25)
    if not 1 <= limit <= sim.page_limit("crossbeam", MAX_LIMIT):
        return error(400, f"limit must be between 1 and {sim.page_limit('crossbeam', MAX_LIMIT)}")
    base = sim.url("crossbeam")
    if req.path == "/v1/partners":
        page = int(req.arg("page") or 1)
        rows = sim.cached((tenant.name, "crossbeam", "partners"), objects["partners"], lambda all_rows: sorted(
            (r for r in all_rows if not r["_deleted"]), key=lambda r: r["_id"]))
        chunk = rows[(page - 1) * limit: page * limit]
        more = page * limit < len(rows)
        return Answer(200, {"data": [{"uuid": r["_id"], **_wire(sim, r, False)} for r in chunk],
                            "pagination": {"limit": limit, "page": page,
                                           "next_href": f"{base}/v1/partners?limit={limit}&page={page + 1}"
                                           if more else None}, "warnings": []})
    if req.path == "/v1/overlaps/accounts":
        state = _uncursor(req.arg("cursor") or "") if req.arg("cursor") else {"mode": "full", "limit": limit}
        if state is None:
            return error(400, "invalid cursor")
        with tenant.lock:
            # ordered by id, once per change of the overlaps (not per page)
            overlaps, live, live_ids, fields = sim.cached((tenant.name, "crossbeam", "overlaps"), objects["overlaps"],
                                                          _by_id)
            rows_now = objects["overlaps"]
            now = ms(tenant.clock)
        # A run's bookmark covers changes since the run's first page, so that what changes while it pages is returned
        # by the next run; pages continue after the last id served, so a change cannot shift a record out of reach.
        started = state.get("started", now)
        since = state.get("since") if state.get("limit") == limit else None   # other params: not tracking
        if since is None:
            rows, ids = live, live_ids
        else:
            stamps = sim.cached((tenant.name, "crossbeam", "overlap-stamps"), rows_now,
                                lambda _: [ms(r["_updated"]) for r in overlaps])   # only bookmark calls need them
            rows = [r for r, stamp in zip(overlaps, stamps) if stamp >= since]
            ids = [r["_id"] for r in rows]
        if state.get("after") is not None:   # ordered by id: continue after the last id served
            rows = rows[bisect.bisect_right(ids, state["after"]):]
        chunk = rows[:limit]
        more = len(rows) > limit
        nxt = ({**state, "after": chunk[-1]["_id"], "started": started} if more else
               {"mode": "since", "since": started, "limit": limit})
        cursor = _cursor(nxt)
        return Answer(200, {"data": [_wire(sim, r, since is not None, fields[id(r)]) for r in chunk],
                            "pagination": {"has_more": more, "next_cursor": cursor,
                                           "next_href": f"{base}/v1/overlaps/accounts?limit={limit}&cursor={cursor}"},
                            "warnings": []})
    return error(404, f"no route {req.path} ({uuid.uuid4()})")
