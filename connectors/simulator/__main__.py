"""Run the simulator in its own process: `python -m connectors.simulator <spec.json>`.

The spec: {"tenants": [{"name", "profile": {SandboxProfile fields}, "clock", "credentials": {system: {...}}}],
"rate_limits": {system: [requests, per_seconds]}, "page_limits": {system: n}, "faults": {FaultPlan fields}}, e.g.
`"faults": {"rate": 0.1, "changes": 0.2, "change_kinds": ["edit", "insert", "delete"], "seed": 7}` for faulted
requests and records changing while a sync pages. Prints the base URL on its first line and serves until killed;
`/_admin/clock`, `/_admin/index`, `/_admin/log` and `/_admin/faults` (POST, JSON) control and inspect it.
Used by the connector benchmark, so that serving and syncing do not share one interpreter.
"""

import json
import sys
import time

from connectors.sandbox import SandboxProfile
from connectors.simulator.faults import FaultPlan
from connectors.simulator.server import RateLimit, Simulator, Tenant


def main(path: str) -> None:
    spec = json.loads(open(path).read())
    tenants = [Tenant(t["name"], SandboxProfile(**t["profile"]), t["clock"], credentials=t["credentials"])
               for t in spec["tenants"]]
    sim = Simulator(tenants, rate_limits={k: RateLimit(*v) for k, v in spec.get("rate_limits", {}).items()},
                    page_limits=spec.get("page_limits", {}), faults=FaultPlan.from_spec(spec.get("faults", {})))
    for t in tenants:
        for system in t.credentials:
            t.native(system)
    print(sim.start(), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1])
