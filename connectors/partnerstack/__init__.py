from connectors.partnerstack.connector import STREAMS, PartnerStackConnector, PartnerStackSource

__all__ = ["STREAMS", "PartnerStackConnector", "PartnerStackSource"]
