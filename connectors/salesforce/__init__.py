from connectors.salesforce.connector import STREAMS, SalesforceConnector, SalesforceSource

__all__ = ["STREAMS", "SalesforceConnector", "SalesforceSource"]
