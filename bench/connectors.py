"""Connector throughput against the bound, and what an incremental sync fetches after a day of changes.

Run: `make bench-connectors` (or `.venv/bin/python -m bench.connectors`). For each connector, the simulator serves
the mature sandbox organisation of `make bench` (stage mature, maturity 3, seed 1) with the
system's maximum page size and a rate limit it enforces with the system's own throttle answer; the connector paces
itself to that limit (HubSpot from its rate-limit headers and search limit, the others from `requests_per_second`).
The bound of a stream is (requests allowed per second) x (records per page): the best a paging client can do.

Rate limits used (requests per second):
- Salesforce: no per-second limit exists; the daily allocation (100,000 requests for an Enterprise org with no
  add-ons) spread over 24 hours, 1.157/s, with 2,000 records per page.
- HubSpot: search, 5/s (current docs; 4/s in older ones) with 200 records per page; the other calls (archived
  lists, association batch reads) share 190 per 10 s, paced from the rate-limit headers.
- PartnerStack, Impartner, Crossbeam: undocumented (UNSURE); 10/s assumed, with their maximum pages 250, 500
  (Impartner's maximum `take` is UNSURE too) and 1,000.

Reported per connector: the records per second of its largest stream (where paging speed is what is measured)
against the bound, timed from when the sync asks the stream for its first page, and also from its first request (the
pacing wait before that request is for rate window the streams before it used up: for a stream of about one window
of requests, such as Crossbeam's 11 pages at 10 per second, that wait alone would decide the figure); the whole sync
including its small streams (each costs at least one paced request); throttle answers received (should be 0: the
client stays under the limit); and after the simulator's clock moves on one day (the sandbox's changes of that day),
how many records changed and what the incremental sync fetched, split into change queries (the system's change
filter: the changes plus the records at the inclusive cursor's own instant), association reads (HubSpot's
associations of changed deals) and lists without change tracking read whole (HubSpot's archived lists, Crossbeam's
partners), and how many versions it landed. Writes bench/results/connectors.md.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from bench.score_layers import HISTORY_START
from connectors import sync
from connectors.crossbeam import CrossbeamConnector, CrossbeamSource
from connectors.hubspot import HubSpotConnector, HubSpotSource
from connectors.impartner import ImpartnerConnector, ImpartnerSource
from connectors.partnerstack import PartnerStackConnector, PartnerStackSource
from connectors.salesforce import SalesforceConnector, SalesforceSource
from connectors.sandbox import SandboxProfile
from connectors.simulator.render import IMPARTNER_TZ
from dbt_like_sql.warehouse import make_engine

RESULTS = Path(__file__).parent / "results" / "connectors.md"
PROFILE = SandboxProfile(stage="mature", maturity=3, seed=1, history_start=HISTORY_START)   # as bench.score_layers
CLOCK = pd.Timestamp("2026-11-01", tz="UTC")
CREDS = {"salesforce": {"client_id": "bench-id", "client_secret": "bench-secret"},
         "hubspot": {"token": "pat-bench"},
         "partnerstack": {"public_key": "pk", "secret_key": "sk"},
         "impartner": {"api_key": "imp-key"},
         "crossbeam": {"client_id": "xb", "client_secret": "xbs", "organization": "org-uuid"}}
ENV = {"B_SF_ID": "bench-id", "B_SF_SECRET": "bench-secret", "B_HS": "pat-bench", "B_PS_PUB": "pk", "B_PS_SEC": "sk",
       "B_IMP": "imp-key", "B_XB_ID": "xb", "B_XB_SEC": "xbs", "B_XB_ORG": "org-uuid"}
# system -> (requests per second, records per page)
LIMITS = {"salesforce": (100_000 / 86_400, 2000), "hubspot": (5.0, 200), "partnerstack": (10.0, 250),
          "impartner": (10.0, 500), "crossbeam": (10.0, 1000)}


def connector(system: str, url: str):
    rps, page = LIMITS[system]
    if system == "salesforce":
        return SalesforceConnector("bench", SalesforceSource(type="salesforce", base_url=url, client_id_env="B_SF_ID",
                                                             client_secret_env="B_SF_SECRET", requests_per_second=rps))
    if system == "hubspot":
        return HubSpotConnector("bench", HubSpotSource(type="hubspot", base_url=url, token_env="B_HS",
                                                       search_requests_per_second=rps))
    if system == "partnerstack":
        return PartnerStackConnector("bench", PartnerStackSource(type="partnerstack", base_url=url,
                                                                 public_key_env="B_PS_PUB", secret_key_env="B_PS_SEC",
                                                                 requests_per_second=rps))
    if system == "impartner":
        return ImpartnerConnector("bench", ImpartnerSource(type="impartner", base_url=url, api_key_env="B_IMP",
                                                           tenant_timezone=IMPARTNER_TZ, page_size=page,
                                                           requests_per_second=rps))
    return CrossbeamConnector("bench", CrossbeamSource(type="crossbeam", base_url=url, client_id_env="B_XB_ID",
                                                       client_secret_env="B_XB_SEC", organization_env="B_XB_ORG",
                                                       requests_per_second=rps))


class Timed:
    """Wraps a connector to time each stream's fetch (HTTP and parsing) apart from landing, and to count what it
    yields by kind: deletion versions per stream, and the pacing wait before a stream's first page (a wait for rate
    window that the streams before it used up, not for the stream's own requests)."""

    def __init__(self, inner):
        self.inner = inner
        self.source, self.org_id, self.version = inner.source, inner.org_id, inner.version
        self.content_versioned = getattr(inner, "content_versioned", frozenset())
        self.seconds: dict[str, float] = {}
        self.first_wait: dict[str, float] = {}
        self.deleted: dict[str, int] = {}

    def _waited(self) -> float:
        clients = [getattr(self.inner, name, None) for name in ("client", "search_client")]
        return sum(c.pacer.waited for c in clients if c is not None)

    def streams(self):
        return self.inner.streams()

    def fetch(self, stream, cursor):
        started, waited = time.perf_counter(), self._waited()
        self.deleted[stream] = 0
        for item in self.inner.fetch(stream, cursor):
            if stream not in self.first_wait:
                self.first_wait[stream] = self._waited() - waited
            self.deleted[stream] += sum(1 for v in item[0] if v[2])
            yield item
        self.seconds[stream] = time.perf_counter() - started

    def close(self):
        self.inner.close()


def _admin(base: str, path: str, **body):
    import requests

    return requests.post(f"{base}/_admin/{path}", json=body, timeout=600).json()


def run(system: str, workdir: Path) -> dict:
    """One connector's full and next-day sync against a simulator in its own process (no shared interpreter)."""
    import json
    import subprocess
    import sys

    os.environ.update(ENV)
    rps, page = LIMITS[system]
    limit = [int(rps), int(rps) / rps] if rps >= 1 else [1, 1 / rps]
    limits = {system: limit}
    if system == "hubspot":   # search 5/s; everything else 190 per 10 s (Professional/Enterprise)
        limits = {"hubspot_search": limit, "hubspot": [190, 10.0]}
    spec = workdir / f"{system}.json"
    spec.write_text(json.dumps({"tenants": [{"name": "bench", "profile": PROFILE.model_dump(mode="json"),
                                             "clock": str(CLOCK), "credentials": {system: CREDS[system]}}],
                                "rate_limits": limits}))
    server = subprocess.Popen([sys.executable, "-m", "connectors.simulator", str(spec)], stdout=subprocess.PIPE,
                              text=True)
    try:
        base = server.stdout.readline().strip()   # the server renders the tenant before it answers
        engine = make_engine(f"sqlite:///{workdir}/{system}.sqlite")
        c = Timed(connector(system, f"{base}/{system}"))
        started = time.perf_counter()
        full = sync.sync(engine, c)
        seconds = time.perf_counter() - started
        log = _admin(base, "log", system=system)
        throttled = sum(1 for status in log["statuses"] if status in (403, 429))
        bound = rps * page
        # The largest stream read by paging (HubSpot's deal-company associations are read per page of deals by a
        # batch call, so the paging bound does not apply to them).
        paged = {s: v for s, v in full.streams.items() if s != "deal_company_associations"}
        largest = max(paged, key=lambda s: paged[s].fetched)
        bulk_records, bulk_seconds = paged[largest].fetched, c.seconds[largest]
        own_seconds = bulk_seconds - c.first_wait.get(largest, 0.0)
        before = _admin(base, "index", tenant="bench", system=system)
        _admin(base, "clock", tenant="bench", clock=str(CLOCK + pd.Timedelta(days=1)))
        after = _admin(base, "index", tenant="bench", system=system)
        changed = sum(1 for obj, rows in after.items() for i, u in rows.items() if before.get(obj, {}).get(i) != u)
        inc = sync.sync(engine, c)
        # What the next-day sync fetched, by why: association reads of changed deals (HubSpot), lists that offer no
        # change filter and are read whole on every sync (HubSpot's archived lists, Crossbeam's partners), and the
        # rest: the change queries (search / SOQL / min_updated / filters / bookmark) whose results should be the
        # changes, plus the records at the cursor's own instant that a safe (inclusive) cursor reads again.
        associations = inc.streams["deal_company_associations"].fetched if "deal_company_associations" in \
            inc.streams else 0
        if system == "hubspot":
            relisted = sum(n for s, n in c.deleted.items() if s != "deal_company_associations")
        elif system == "crossbeam":
            relisted = inc.streams["partners"].fetched
        else:
            relisted = 0
        c.close()
        engine.dispose()
    finally:
        server.terminate()
        server.wait()
    return {"system": system, "records": full.fetched, "seconds": seconds, "rate": full.fetched / seconds,
            "bulk_streams": f"{largest} ({bulk_records} records, {full.streams[largest].pages} pages)",
            "bulk_rate": bulk_records / bulk_seconds if bulk_seconds else 0,
            "own_rate": bulk_records / own_seconds if own_seconds > 0 else 0, "bound": bound, "throttled": throttled,
            "changed": changed, "inc_fetched": inc.fetched, "inc_landed": inc.landed, "requests": log["requests"],
            "inc_changes": inc.fetched - associations - relisted, "inc_associations": associations,
            "inc_relisted": relisted, "inc_streams": {s: (v.fetched, v.landed) for s, v in inc.streams.items()}}


def main() -> None:
    import sys

    systems = [a for a in sys.argv[1:] if a in LIMITS] or list(LIMITS)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for system in systems:
            r = run(system, Path(tmp))
            rows.append(r)
            print(f"{system:12} {r['records']:7d} records in {r['seconds']:6.1f} s · {r['bulk_streams']}: "
                  f"{r['bulk_rate']:7.0f}/s ({r['own_rate']:.0f}/s from its first request) "
                  f"of bound {r['bound']:6.0f}/s ({r['bulk_rate'] / r['bound']:.0%}) · whole sync {r['rate']:6.0f}/s "
                  f"· throttled {r['throttled']} · next day: {r['changed']} changed, fetched {r['inc_fetched']} "
                  f"(change queries {r['inc_changes']}, association reads {r['inc_associations']}, whole lists "
                  f"{r['inc_relisted']}), landed {r['inc_landed']} · {r['inc_streams']}", flush=True)
    lines = ["# Connector throughput against the bound", "",
             "`make bench-connectors`; machine: 2-core AMD EPYC, Python 3.11.7, shared with other work while measured. "
             "Bound = requests allowed per second x maximum records per page (see bench/connectors.py for the limits "
             "and which of them are assumptions). A stream's records/s is timed from the moment the sync asks it for "
             "its first page to its last page; \"from its first request\" leaves out the pacing wait before its first "
             "request, a wait for rate window that the streams before it used up (it matters for a stream of about "
             "one rate window of requests, like Crossbeam's overlaps). A stream whose requests fit in one rate window "
             "can exceed the bound: the limit is a rate over the window, not a spacing.", "",
             "| connector | records | seconds | largest stream | its records/s | from its first request | "
             "bound records/s | largest / bound | whole sync records/s | throttle answers |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['system']} | {r['records']} | {r['seconds']:.1f} | {r['bulk_streams']} | "
                     f"{r['bulk_rate']:.0f} | {r['own_rate']:.0f} | {r['bound']:.0f} | "
                     f"{r['bulk_rate'] / r['bound']:.0%} | {r['rate']:.0f} | {r['throttled']} |")
    lines += ["", "The next day (the simulator's clock moved one day: that day's changes of the sandbox organisation). "
              "Fetched = change queries + association reads + whole lists. Change queries: the system's own change "
              "filter (SOQL on SystemModstamp, HubSpot search on the last-modified time, PartnerStack min_updated, "
              "Impartner's filter, Crossbeam's bookmark); their results are the changes plus the records modified "
              "at the cursor's own instant, read again because the cursor is inclusive (so a record written later "
              "at that instant is not lost) and landed once. Association reads: HubSpot's deal-company associations "
              "of the changed deals (one batch read per page of deals; an association lands only when its content "
              "changed). Whole lists: lists the API offers no change filter for, read whole on every sync "
              "(HubSpot's archived lists, which hold the day's deletions too; Crossbeam's partner list); only "
              "changed records land.", "",
              "| connector | changed next day | fetched | change queries | association reads | whole lists | landed | "
              "by stream (fetched/landed) |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        streams = ", ".join(f"{s} {f}/{n}" for s, (f, n) in r["inc_streams"].items())
        lines.append(f"| {r['system']} | {r['changed']} | {r['inc_fetched']} | {r['inc_changes']} | "
                     f"{r['inc_associations']} | {r['inc_relisted']} | {r['inc_landed']} | {streams} |")
    RESULTS.parent.mkdir(exist_ok=True)
    if systems != list(LIMITS):
        lines.append("")
        lines.append(f"Only {', '.join(systems)} in this run (`python -m bench.connectors {' '.join(systems)}`).")
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
