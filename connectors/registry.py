"""Source type -> configuration model and connector class (the deployment file's `sources[].type`)."""

from __future__ import annotations

from connectors.crossbeam import CrossbeamConnector, CrossbeamSource
from connectors.file_export import FileExportConnector, FileExportSource
from connectors.hubspot import HubSpotConnector, HubSpotSource
from connectors.impartner import ImpartnerConnector, ImpartnerSource
from connectors.partnerstack import PartnerStackConnector, PartnerStackSource
from connectors.salesforce import SalesforceConnector, SalesforceSource

API_SOURCES = (SalesforceSource, HubSpotSource, PartnerStackSource, ImpartnerSource, CrossbeamSource, FileExportSource)
_CONNECTORS = {"salesforce": SalesforceConnector, "hubspot": HubSpotConnector, "partnerstack": PartnerStackConnector,
               "impartner": ImpartnerConnector, "crossbeam": CrossbeamConnector, "file_export": FileExportConnector}


def connector_for(org_id: str, settings, **client_options):
    """The connector for one configured source of an organisation (credentials read from the environment now)."""
    try:
        cls = _CONNECTORS[settings.type]
    except KeyError:
        raise ValueError(f"organisation {org_id!r}: source type {settings.type!r} has no connector") from None
    return cls(org_id, settings, **client_options)
