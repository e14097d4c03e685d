"""File exports (CSV or Excel) from any PRM, for systems without an API connector, mapped by a declarative column
mapping into the canonical streams.

Each configured file feeds one canonical stream (`partners`, `training_enrolments`, ...). `columns` maps canonical
field -> the file's column header (fields left out are read from a header of the same name, when there is one);
`id_column` names the record id, `updated_column` the last-modified time (without one, the file's modification time
stands for every row), `deleted_column` an optional true/false deletion flag. Every row lands as a version of its
record with the mapped fields as payload; the staging models (`stg_file_export__*`) read the canonical names, so any
PRM's export works once its mapping is written. The cursor per stream is the file's sha256: an unchanged file is not
read again; a changed one is read whole and only new versions land.

Excel cells keep their types: dates become `YYYY-MM-DD` (or an ISO time when the cell has a time of day), numbers
stay numbers. CSV cells are text, with empty cells as missing.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExportFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str = Field(description="the canonical stream the rows belong to, e.g. training_enrolments")
    path: str = Field(description="the file (.csv, .xlsx), relative to the source's directory")
    sheet: str | None = Field(default=None, description="Excel: the sheet to read (the first one by default)")
    id_column: str
    updated_column: str | None = None
    deleted_column: str | None = None
    columns: dict[str, str] = Field(default_factory=dict, description="canonical field -> file column header")


class FileExportSource(BaseModel):
    """A directory of export files from a PRM or CRM without an API connector."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["file_export"]
    directory: str | None = None
    directory_env: str | None = Field(default=None, description="environment variable holding the directory")
    system: str = Field(default="prm export", description="the system the files come from (for messages)")
    files: tuple[ExportFile, ...] = Field(min_length=1)


def _cell(value):
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0 and value.microsecond == 0:
            return value.date().isoformat()
        v = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return v.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_rows(path: Path, sheet: str | None = None) -> list[dict]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = book[sheet] if sheet else book.worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
            return [{h: _cell(v) for h, v in zip(header, row) if h} for row in rows
                    if any(v is not None for v in row)]
        finally:
            book.close()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [{k.strip(): _cell(v) for k, v in row.items() if k} for row in csv.DictReader(handle)]


class FileExportConnector:
    source = "file_export"
    version = "file_export/1"

    def __init__(self, org_id: str, settings: FileExportSource, **_options) -> None:
        self.org_id, self.settings = org_id, settings
        directory = os.environ.get(settings.directory_env) if settings.directory_env else None
        directory = directory or settings.directory
        if not directory:
            raise ValueError(f"organisation {org_id!r}, source 'file_export': no directory configured"
                             + (f" (environment variable {settings.directory_env} is not set)"
                                if settings.directory_env else ""))
        self.directory = Path(directory)

    def streams(self) -> list[str]:
        return list(dict.fromkeys(f.stream for f in self.settings.files))

    def fetch(self, stream: str, cursor: str | None) -> Iterator[tuple[list, str | None]]:
        files = [f for f in self.settings.files if f.stream == stream]
        digests = []
        for spec in files:
            path = self.directory / spec.path
            if not path.exists():
                raise FileNotFoundError(f"organisation {self.org_id!r}, source 'file_export': {path} for stream "
                                        f"{stream!r} does not exist")
            digests.append(hashlib.sha256(path.read_bytes()).hexdigest()[:32])
        digest = "+".join(digests)
        if digest == cursor:
            yield [], cursor
            return
        for spec in files:
            path = self.directory / spec.path
            modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat()
            versions = []
            for row in read_rows(path, spec.sheet):
                payload = {field: row.get(header) for field, header in spec.columns.items()}
                for header, value in row.items():
                    if header not in spec.columns.values() and header not in payload:
                        payload[header] = value
                deleted = str(row.get(spec.deleted_column) or "").lower() in ("true", "1", "yes", "y") \
                    if spec.deleted_column else False
                updated = row.get(spec.updated_column) if spec.updated_column else None
                source_id = row.get(spec.id_column)
                versions.append((None if source_id is None else str(source_id), updated or modified, deleted,
                                 payload))
            yield versions, None
        yield [], digest

    def close(self) -> None:
        pass


def write_export(path: Path, rows: list[dict], columns: list[str]) -> None:
    """Write rows as a CSV or (by suffix) an Excel export, the way a PRM's export would look."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        ws = book.active
        ws.title = "Export"
        ws.append(columns)
        for row in rows:
            ws.append([row.get(c) for c in columns])
        book.save(path)
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
