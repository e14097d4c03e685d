"""Serving a deployment's organisations through the simulator (what `make demo` does).

Each organisation's file exports are written first, from its sandbox profile, in the configured files and headers.

Every organisation that has a sandbox source and API sources becomes a simulator tenant with the sandbox profile;
each API source's credential variables (`*_env`) get fresh random values in this process's environment, registered
as that tenant's credentials, and its `base_url_env` points at the simulator. The connectors then run unchanged.
"""

from __future__ import annotations

import os
import secrets

from pathlib import Path

import pandas as pd

from connectors.file_export import write_export
from connectors.simulator import render
from connectors.simulator.server import SYSTEMS, Simulator, Tenant, _utc


def write_exports(deployment, clock) -> list[Path]:
    """Write each organisation's configured file exports from its sandbox profile, as its PRM would export them."""
    written = []
    for org in deployment.organisations:
        profile = next((s.profile for s in org.sources if s.type == "sandbox"), None)
        exports = [s for s in org.sources if s.type == "file_export"]
        if profile is None or not exports:
            continue
        state = render.current_state(Tenant(org.id, profile, pd.Timestamp(clock)).streams(), _utc(clock))
        for source in exports:
            directory = Path(os.environ.get(source.directory_env, "") if source.directory_env else "") \
                if source.directory_env else Path(source.directory)
            for spec in source.files:
                rows, fields = [], []
                for source_id, updated, deleted, payload in state.get(spec.stream, []):
                    if deleted and not spec.deleted_column:
                        continue
                    fields = fields or list(payload)
                    row = {spec.columns.get(k, k): v for k, v in payload.items()}
                    row[spec.id_column] = source_id
                    if spec.updated_column:
                        row[spec.updated_column] = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
                    if spec.deleted_column:
                        row[spec.deleted_column] = "true" if deleted else "false"
                    rows.append(row)
                headers = [spec.id_column, *[spec.columns.get(k, k) for k in fields]]
                headers = list(dict.fromkeys(headers + [h for h in (spec.updated_column, spec.deleted_column) if h]))
                write_export(directory / spec.path, rows, headers)
                written.append(directory / spec.path)
    return written


def start_for(deployment, clock) -> Simulator | None:
    write_exports(deployment, clock)
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
