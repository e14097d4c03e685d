"""Source type -> configuration model and connector class (the deployment file's `sources[].type`)."""

from __future__ import annotations

from connectors.salesforce import SalesforceConnector, SalesforceSource

API_SOURCES = (SalesforceSource,)
_CONNECTORS = {"salesforce": SalesforceConnector}


def connector_for(org_id: str, settings, **client_options):
    """The connector for one configured source of an organisation (credentials read from the environment now)."""
    try:
        cls = _CONNECTORS[settings.type]
    except KeyError:
        raise ValueError(f"organisation {org_id!r}: source type {settings.type!r} has no connector") from None
    return cls(org_id, settings, **client_options)
