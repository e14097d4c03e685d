"""A local HTTP server that serves sandbox organisations in each PRM/CRM system's wire format, with faults.

`Simulator` (server.py) listens on loopback and routes by path prefix: `/salesforce`, `/hubspot`, `/partnerstack`,
`/impartner`, `/crossbeam`. Each tenant is a sandbox organisation (`connectors.sandbox` profile) seen at the
simulator's clock; `render.py` turns its canonical records into each system's native objects. `faults.FaultPlan`
switches on throttling (with and without `Retry-After`), 5xx, slow and hung responses, connection resets, truncated
JSON, expired tokens, schema drift, and records changing while a sync pages through them. The simulator enforces
each system's page-size maximum and a configurable rate limit with the system's own throttle answer and headers.
"""

from connectors.simulator.faults import FaultPlan
from connectors.simulator.server import Simulator, Tenant

__all__ = ["FaultPlan", "Simulator", "Tenant"]
