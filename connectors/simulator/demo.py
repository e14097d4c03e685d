"""Serving a deployment's organisations through the simulator (what `make demo` does).

Every organisation that has a sandbox source and API sources becomes a simulator tenant with the sandbox profile;
each API source's credential variables (`*_env`) get fresh random values in this process's environment, registered
as that tenant's credentials, and its `base_url_env` points at the simulator. The connectors then run unchanged.
"""

from __future__ import annotations

import os
import secrets

import pandas as pd

from connectors.simulator.server import SYSTEMS, Simulator, Tenant


def start_for(deployment, clock) -> Simulator | None:
    tenants, wiring = [], []
    for org in deployment.organisations:
        profile = next((s.profile for s in org.sources if s.type == "sandbox"), None)
        api = [s for s in org.sources if s.type in SYSTEMS]
        if profile is None or not api:
            continue
        credentials: dict[str, dict[str, str]] = {}
        for source in api:
            creds = {}
            for name, value in source.model_dump().items():
                if name.endswith("_env") and name != "base_url_env" and value:
                    secret = os.environ.get(value) or secrets.token_urlsafe(18)
                    os.environ[value] = secret
                    creds[name[: -len("_env")]] = secret
            credentials[source.type] = creds
            wiring.append(source)
        tenants.append(Tenant(org.id, profile, pd.Timestamp(clock), credentials=credentials))
    if not tenants:
        return None
    sim = Simulator(tenants)
    sim.start()
    for source in wiring:
        if source.base_url_env:
            os.environ[source.base_url_env] = sim.url(source.type)
    return sim
