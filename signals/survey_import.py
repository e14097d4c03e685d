"""Reading quick-scan survey files: a CSV, or the JSON a form tool exports, into one row per answered item.

Both formats carry, per answer: respondent, role (leadership, operations or partner), date, item and a 1–5 value.

CSV (header required, one row per item; `dimension` may stand in for `item`)::

    respondent,role,date,item,value
    r-001,leadership,2026-10-02,D4.1,4

Form-tool JSON (the shape Typeform-like tools export; `role` is a hidden field or an answer with ref `role`)::

    {"form": {"id": "apex-quickscan", "scale": {"min": 1, "max": 5}},
     "responses": [{"respondent_id": "r-001", "submitted_at": "2026-10-02T09:15:00Z", "hidden": {"role": "leadership"},
                    "answers": [{"field": {"ref": "D4.1"}, "type": "number", "number": 4}]}]}

An item names its dimension: `D4` or `D4.<n>`. Problems a single answer can have are held back with a reason naming
the field (never the answer): a value off the 1–5 scale, an item naming no dimension, a respondent without a known
role, a respondent answering the same item twice (the first answer counts), a date that does not parse. Problems of
the whole file fail the import and nothing is kept: it cannot be read, a required column is missing, it declares
another scale, most of its values lie off the 1–5 scale (a 1–10 or 0–10 form), or no answer survives.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apex_model.model import DIMENSION_IDS
from apex_model.surveys import ROLES, SCALE_MAX, SCALE_MIN

_ITEM = re.compile(r"^(D[1-8])(?:[._-](\w+))?$", re.IGNORECASE)
ANSWER_COLUMNS = ["row", "respondent_id", "role", "answered_on", "dimension", "item", "value"]
REJECT_COLUMNS = ["row", "respondent_id", "item", "rule", "reason"]


class SurveyImportError(ValueError):
    """The whole file is refused: one message naming the file, the field and the reason."""

    def __init__(self, path: str, field: str, reason: str) -> None:
        self.path, self.field, self.reason = path, field, reason
        where = f"{path}: {field}: " if field else f"{path}: "
        super().__init__(where + reason)


@dataclass(frozen=True)
class ParsedSurvey:
    import_id: str            # content hash: importing the same file twice replaces, never duplicates
    file_name: str
    file_format: str          # csv | json
    answers: pd.DataFrame     # ANSWER_COLUMNS, the answers that passed
    rejected: pd.DataFrame    # REJECT_COLUMNS, the answers held back, with their reason


def _records_from_csv(text: str, name: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise SurveyImportError(name, "", "empty file: expected a header respondent,role,date,item,value")
    reader.fieldnames = header
    if "item" not in header and "dimension" in header:
        header = [("item" if h == "dimension" else h) for h in header]
        reader.fieldnames = header
    missing = [c for c in ("respondent", "role", "date", "item", "value") if c not in header]
    if missing:
        raise SurveyImportError(name, "header", f"missing column {missing[0]!r} (expected respondent, role, date, "
                                                f"item or dimension, value)")
    records = []
    for i, rec in enumerate(reader, start=2):
        records.append({"row": i, "respondent_id": (rec.get("respondent") or "").strip(),
                        "role": (rec.get("role") or "").strip().lower(), "date": (rec.get("date") or "").strip(),
                        "item": (rec.get("item") or "").strip(), "value": (rec.get("value") or "").strip()})
    return records


def _records_from_json(text: str, name: str) -> list[dict]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise SurveyImportError(name, "", f"not valid JSON (line {err.lineno}, column {err.colno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("responses"), list):
        raise SurveyImportError(name, "responses", "expected an object with a 'responses' list")
    scale = (doc.get("form") or {}).get("scale") if isinstance(doc.get("form"), dict) else None
    if isinstance(scale, dict) and (scale.get("min"), scale.get("max")) != (SCALE_MIN, SCALE_MAX):
        raise SurveyImportError(name, "form.scale", f"declares a {scale.get('min')}–{scale.get('max')} scale; "
                                                    f"the quick-scan uses {SCALE_MIN}–{SCALE_MAX}")
    records = []
    for i, resp in enumerate(doc["responses"]):
        if not isinstance(resp, dict):
            raise SurveyImportError(name, f"responses[{i}]", "expected an object")
        respondent = str(resp.get("respondent_id") or resp.get("token") or "").strip()
        hidden = resp.get("hidden") if isinstance(resp.get("hidden"), dict) else {}
        role = str(hidden.get("role") or "").strip().lower()
        answers = resp.get("answers") if isinstance(resp.get("answers"), list) else []
        items = []
        for j, ans in enumerate(answers):
            ref = str(((ans or {}).get("field") or {}).get("ref") or "").strip()
            value = ans.get("number", ans.get("choice", {}).get("label") if isinstance(ans.get("choice"), dict)
                            else None)
            if ref.lower() == "role":
                role = str(value or "").strip().lower()
                continue
            items.append((j, ref, value))
        for j, ref, value in items:
            records.append({"row": f"responses[{i}].answers[{j}]", "respondent_id": respondent, "role": role,
                            "date": str(resp.get("submitted_at") or "")[:10], "item": ref,
                            "value": "" if value is None else str(value)})
    return records


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


def parse_survey(path: str | Path, content: bytes | None = None) -> ParsedSurvey:
    """Read and judge a survey file (see the module docstring). Raises SurveyImportError for whole-file problems."""
    path = Path(path)
    name = path.name
    data = content if content is not None else path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SurveyImportError(name, "", "not UTF-8 text") from None
    fmt = "json" if path.suffix.lower() == ".json" or text.lstrip().startswith("{") else "csv"
    records = _records_from_json(text, name) if fmt == "json" else _records_from_csv(text, name)
    if not records:
        raise SurveyImportError(name, "", "contains no answers")

    numbers = [_number(r["value"]) for r in records]
    off_scale = [v for v in numbers if v is not None and not (SCALE_MIN <= v <= SCALE_MAX)]
    if len(off_scale) * 2 > len(records):
        raise SurveyImportError(name, "value", f"{len(off_scale)} of {len(records)} answers lie outside "
                                               f"{SCALE_MIN}–{SCALE_MAX} (highest {max(off_scale):g}): the file "
                                               f"looks like another scale; the quick-scan uses {SCALE_MIN}–{SCALE_MAX}")
    accepted, rejected = [], []
    seen: set[tuple[str, str, str]] = set()
    for rec, value in zip(records, numbers):
        match = _ITEM.match(rec["item"])
        day = pd.to_datetime(rec["date"], errors="coerce", format="%Y-%m-%d") if rec["date"] else pd.NaT

        def reject(rule: str, reason: str) -> None:
            rejected.append({"row": str(rec["row"]), "respondent_id": rec["respondent_id"] or None,
                             "item": rec["item"] or None, "rule": rule, "reason": reason})

        if not rec["respondent_id"]:
            reject("respondent_present", "respondent: missing")
        elif rec["role"] not in ROLES:
            what = "missing" if not rec["role"] else "not a known role"
            reject("role_known", f"role: {what} (expected one of {', '.join(ROLES)})")
        elif match is None:
            reject("dimension_known", f"item: names no dimension (expected {DIMENSION_IDS[0]}..{DIMENSION_IDS[-1]}, "
                                      f"optionally with an item number such as D4.2)")
        elif pd.isna(day):
            reject("date_parseable", "date: missing or not a YYYY-MM-DD date")
        elif value is None or value != int(value) or not (SCALE_MIN <= value <= SCALE_MAX):
            reject("value_on_scale", f"value: not a whole number on the {SCALE_MIN}–{SCALE_MAX} scale")
        else:
            key = (rec["respondent_id"], str(day.date()), rec["item"].upper())
            if key in seen:
                reject("respondent_unique", "respondent: answered the same item twice on the same day (the first "
                                            "answer counts)")
                continue
            seen.add(key)
            accepted.append({"row": str(rec["row"]), "respondent_id": rec["respondent_id"], "role": rec["role"],
                             "answered_on": day.normalize(), "dimension": match.group(1).upper(),
                             "item": rec["item"].upper(), "value": int(value)})
    if not accepted:
        first = rejected[0]
        raise SurveyImportError(name, first["rule"], f"no answer passed; the first problem, at {first['row']}: "
                                                     f"{first['reason']}")
    return ParsedSurvey(import_id=hashlib.sha256(data).hexdigest()[:16], file_name=name, file_format=fmt,
                        answers=pd.DataFrame(accepted, columns=ANSWER_COLUMNS),
                        rejected=pd.DataFrame(rejected, columns=REJECT_COLUMNS))
