"""Salesforce REST as the simulator serves it: OAuth2 token endpoint, SOQL `query`/`queryAll` with
`nextRecordsUrl` paging, `Sforce-Query-Options: batchSize`, `Sforce-Limit-Info`, and JSON-array error bodies.

The SOQL understood is what connectors send: `SELECT f, ... FROM Obj [WHERE a op v [AND ...]] [ORDER BY f [ASC],
...] [LIMIT n]` with `=`, `!=`, `<`, `<=`, `>`, `>=` on booleans, quoted strings, numbers and unquoted datetime
literals. A query's result is a snapshot: its later pages come from the locator, as on the real server.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs

import pandas as pd

from connectors.simulator.render import sf_time
from connectors.simulator.server import Answer, Request

API = "v62.0"
_SOQL = re.compile(r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<obj>\w+)(?:\s+where\s+(?P<where>.+?))?"
                   r"(?:\s+order\s+by\s+(?P<order>.+?))?(?:\s+limit\s+(?P<limit>\d+))?\s*$", re.I | re.S)
_COND = re.compile(r"^\s*(\w+)\s*(>=|<=|!=|=|<|>)\s*(.+?)\s*$")
_BASE_FIELDS = ("Id", "IsDeleted", "SystemModstamp")


def error(status: int, message: str, code: str = "UNKNOWN_EXCEPTION") -> Answer:
    return Answer(status, [{"message": message, "errorCode": code}])


def throttled(sim, retry_after: bool) -> Answer:
    # Salesforce sends no 429 and no Retry-After: the signal is 403 REQUEST_LIMIT_EXCEEDED.
    return error(403, "TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED")


def _limit_header(sim, tenant) -> dict[str, str]:
    used = sim.count(tenant.name, "salesforce")
    value = f"api-usage={used}/{sim.sf_daily_allocation}"
    if sim.sf_limit_info_bursts:
        value += "; api-bursts=1/750"
    return {"Sforce-Limit-Info": value}


def handle(sim, req: Request) -> Answer:
    if req.method == "POST" and req.path == "/services/oauth2/token":
        return _token(sim, req)
    auth = req.headers.get("authorization", "")
    tenant = sim.tenant_for_token("salesforce", auth[len("Bearer "):] if auth.startswith("Bearer ") else None)
    if tenant is None:
        return error(401, "Session expired or invalid", "INVALID_SESSION_ID")
    headers = _limit_header(sim, tenant)
    over, *_ = sim.over_rate("salesforce", tenant.name)
    if over:
        answer = throttled(sim, False)
        answer.headers.update(headers)
        return answer
    m = re.match(r"^/services/data/v\d+\.\d+/(query|queryAll)(?:/([\w-]+))?$", req.path)
    if not m:
        return error(404, "The requested resource does not exist", "NOT_FOUND")
    if m.group(2):
        answer = _next_page(sim, m.group(2))
    else:
        answer = _query(sim, tenant, req, include_deleted=m.group(1) == "queryAll")
    answer.headers.update(headers)
    return answer


def _token(sim, req: Request) -> Answer:
    form = {k: v[-1] for k, v in parse_qs(req.body.decode()).items()}
    if form.get("grant_type") not in ("client_credentials", "refresh_token"):
        return Answer(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
    tenant = sim.tenant_by("salesforce", client_id=form.get("client_id", ""),
                           client_secret=form.get("client_secret", ""))
    if tenant is None:
        return Answer(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
    token = "00D" + "x" * 12 + "!" + sim.issue_token(tenant.name, "salesforce")
    sim.tokens[token] = (tenant.name, "salesforce")
    return Answer(200, {"access_token": token, "signature": secrets.token_urlsafe(16), "token_format": "opaque",
                        "instance_url": sim.url("salesforce"), "id": f"{sim.url('salesforce')}/id/00D/005",
                        "token_type": "Bearer", "issued_at": str(int(pd.Timestamp.now().timestamp() * 1000)),
                        "scope": "api"})


def _literal(text: str):
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    if t.lower() == "null":
        return None
    if t.startswith("'") and t.endswith("'"):
        return t[1:-1].replace("\\'", "'")
    if re.match(r"^\d{4}-\d{2}-\d{2}T", t):
        return pd.Timestamp(t)
    try:
        return float(t)
    except ValueError:
        raise ValueError(f"unexpected literal {t}") from None


def _value(record: dict, name: str):
    if name == "SystemModstamp":
        return record["_updated"]
    if name == "IsDeleted":
        return record["_deleted"]
    if name == "Id":
        return record["_id"]
    return record.get(name)


def _compare(left, op: str, right) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _batch_size(sim, req: Request) -> int:
    size = 2000
    options = req.headers.get("sforce-query-options", "")
    m = re.search(r"batchSize=(\d+)", options)
    if m:
        size = min(2000, max(200, int(m.group(1))))
    return sim.page_limit("salesforce", size) if "salesforce" in sim.page_limits else size


def _query(sim, tenant, req: Request, include_deleted: bool) -> Answer:
    soql = req.arg("q") or ""
    m = _SOQL.match(soql)
    if not m:
        return error(400, "unexpected token in query", "MALFORMED_QUERY")
    obj = m.group("obj")
    objects = tenant.native("salesforce")
    if obj not in objects:
        return error(400, f"sObject type '{obj}' is not supported.", "INVALID_TYPE")
    rows = objects[obj]
    fields = [f.strip() for f in m.group("fields").split(",")]
    known = set(_BASE_FIELDS) | {k for r in rows[:50] for k in r if not k.startswith("_")} | {"CreatedDate"}
    unknown = [f for f in fields if f not in known and rows]
    if unknown:
        return error(400, f"No such column '{unknown[0]}' on entity '{obj}'.", "INVALID_FIELD")
    conditions = []
    if m.group("where"):
        for part in re.split(r"\s+and\s+", m.group("where"), flags=re.I):
            c = _COND.match(part)
            if not c:
                return error(400, f"unexpected condition {part!r}", "MALFORMED_QUERY")
            try:
                conditions.append((c.group(1), c.group(2), _literal(c.group(3))))
            except ValueError as err:
                return error(400, str(err), "MALFORMED_QUERY")
    with tenant.lock:
        picked = [r for r in rows if (include_deleted or not r["_deleted"])
                  and all(_compare(_value(r, f), op, v) for f, op, v in conditions)]
    if m.group("order"):
        keys = [k.strip().split()[0] for k in m.group("order").split(",")]
        picked.sort(key=lambda r: tuple((_value(r, k) is None, _value(r, k) if _value(r, k) is not None else 0)
                                        for k in keys))
    if m.group("limit"):
        picked = picked[: int(m.group("limit"))]
    snapshot = [_wire(sim, obj, r, fields) for r in picked]
    locator = "01g" + secrets.token_hex(6)
    size = _batch_size(sim, req)
    sim.snapshots[locator] = (snapshot, size)
    return _page(locator, snapshot, 0, size)


def _wire(sim, obj: str, record: dict, fields: list[str]) -> dict:
    out = {"attributes": {"type": obj, "url": f"/services/data/{API}/sobjects/{obj}/{record['_id']}"}}
    for f in fields:
        if f == "SystemModstamp":
            out[f] = sf_time(record["_updated"])
        elif f == "IsDeleted":
            out[f] = record["_deleted"]
        elif f == "Id":
            out[f] = record["_id"]
        else:
            out[f] = record.get(f)
    if sim.faults.drift:
        for f in [k for k, v in out.items() if v is None]:
            del out[f]
        out["Apex_Unknown_New_Field__c"] = "drift"
    return out


def _page(locator: str, snapshot: list[dict], offset: int, size: int) -> Answer:
    chunk = snapshot[offset: offset + size]
    done = offset + size >= len(snapshot)
    body = {"totalSize": len(snapshot), "done": done, "records": chunk}
    if not done:
        body["nextRecordsUrl"] = f"/services/data/{API}/query/{locator}-{offset + size}"
    return Answer(200, body)


def _next_page(sim, locator_offset: str) -> Answer:
    locator, _, offset = locator_offset.rpartition("-")
    if locator not in sim.snapshots:
        return error(400, "invalid query locator", "INVALID_QUERY_LOCATOR")
    snapshot, size = sim.snapshots[locator]
    return _page(locator, snapshot, int(offset), size)
