from connectors.file_export.connector import ExportFile, FileExportConnector, FileExportSource, write_export

__all__ = ["ExportFile", "FileExportConnector", "FileExportSource", "write_export"]
