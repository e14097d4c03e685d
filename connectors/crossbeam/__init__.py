from connectors.crossbeam.connector import STREAMS, CrossbeamConnector, CrossbeamSource

__all__ = ["STREAMS", "CrossbeamConnector", "CrossbeamSource"]
