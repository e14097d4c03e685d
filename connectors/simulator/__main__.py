"""Run the simulator in its own process: `python -m connectors.simulator <spec.json>`.

The spec: {"tenants": [{"name", "profile": {SandboxProfile fields}, "clock", "credentials": {system: {...}}}],
"rate_limits": {system: [requests, per_seconds]}, "page_limits": {system: n}}. Prints the base URL on its first line
and serves until killed; `/_admin/clock`, `/_admin/index` and `/_admin/log` (POST, JSON) control and inspect it.
Used by the connector benchmark, so that serving and syncing do not share one interpreter.
"""

import json
import sys
import time

from connectors.sandbox import SandboxProfile
from connectors.simulator.server import RateLimit, Simulator, Tenant


def main(path: str) -> None:
    spec = json.loads(open(path).read())
    tenants = [Tenant(t["name"], SandboxProfile(**t["profile"]), t["clock"], credentials=t["credentials"])
               for t in spec["tenants"]]
    sim = Simulator(tenants, rate_limits={k: RateLimit(*v) for k, v in spec.get("rate_limits", {}).items()},
                    page_limits=spec.get("page_limits", {}))
    for t in tenants:
        for system in t.credentials:
            t.native(system)
    print(sim.start(), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1])
