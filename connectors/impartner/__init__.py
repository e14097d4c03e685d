from connectors.impartner.connector import STREAMS, ImpartnerConnector, ImpartnerSource

__all__ = ["STREAMS", "ImpartnerConnector", "ImpartnerSource"]
