from connectors.hubspot.connector import STREAMS, HubSpotConnector, HubSpotSource

__all__ = ["STREAMS", "HubSpotConnector", "HubSpotSource"]
