"""The seeded sandbox ecosystem: a realistic organisation's PRM and CRM history, the demo's data source and the
test data everywhere. See docs/sandbox.md."""

from connectors.sandbox.generator import SandboxEcosystem, generate_ecosystem
from connectors.sandbox.profile import SandboxEvent, SandboxProfile

__all__ = ["SandboxEcosystem", "SandboxEvent", "SandboxProfile", "generate_ecosystem"]
