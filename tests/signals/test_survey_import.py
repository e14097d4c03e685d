"""Survey files: good CSV and form-tool JSON, and malformed files that fail or hold answers back with a reason."""

from __future__ import annotations

import json

import pytest

from signals.survey_import import SurveyImportError, parse_survey

GOOD_CSV = """respondent,role,date,item,value
r1,leadership,2026-10-02,D4.1,4
r1,leadership,2026-10-02,D4.2,5
r2,operations,2026-10-03,D4.1,2
r2,operations,2026-10-03,D7,3
"""


def form_json(responses, scale=None) -> bytes:
    form = {"id": "apex-quickscan"}
    if scale:
        form["scale"] = scale
    return json.dumps({"form": form, "responses": responses}).encode()


def response(rid, role, answers, day="2026-10-02T09:15:00Z", role_as_answer=False):
    out = {"respondent_id": rid, "submitted_at": day,
           "answers": [{"field": {"ref": ref}, "type": "number", "number": v} for ref, v in answers]}
    if role_as_answer:
        out["answers"].append({"field": {"ref": "role"}, "type": "choice", "choice": {"label": role}})
    elif role is not None:
        out["hidden"] = {"role": role}
    return out


def test_good_csv() -> None:
    parsed = parse_survey("scan.csv", GOOD_CSV.encode())
    assert parsed.file_format == "csv" and parsed.rejected.empty
    assert list(parsed.answers["dimension"]) == ["D4", "D4", "D4", "D7"]
    assert list(parsed.answers["value"]) == [4, 5, 2, 3]
    assert parsed.import_id == parse_survey("other-name.csv", GOOD_CSV.encode()).import_id   # content hash


def test_good_form_json_with_role_hidden_or_answered() -> None:
    data = form_json([response("a", "leadership", [("D1.1", 4), ("D2", 3)]),
                      response("b", "Partner", [("D8.1", 5)], role_as_answer=True)], scale={"min": 1, "max": 5})
    parsed = parse_survey("export.json", data)
    assert parsed.file_format == "json" and parsed.rejected.empty
    assert list(parsed.answers["role"]) == ["leadership", "leadership", "partner"]
    assert str(parsed.answers["answered_on"].iloc[0].date()) == "2026-10-02"


@pytest.mark.parametrize("bad_row, rule, reason", [
    ("r3,leadership,2026-10-02,D4.1,7", "value_on_scale", "value: not a whole number on the 1–5 scale"),
    ("r3,leadership,2026-10-02,D4.1,3.5", "value_on_scale", "value: not a whole number on the 1–5 scale"),
    ("r3,leadership,2026-10-02,D9.1,3", "dimension_known", "item: names no dimension"),
    ("r3,leadership,2026-10-02,Trust,3", "dimension_known", "item: names no dimension"),
    ("r3,,2026-10-02,D4.1,3", "role_known", "role: missing (expected one of leadership, operations, partner)"),
    ("r3,ceo,2026-10-02,D4.1,3", "role_known", "role: not a known role"),
    ("r1,leadership,2026-10-02,D4.1,2", "respondent_unique", "respondent: answered the same item twice"),
    ("r3,leadership,02/10/2026,D4.1,3", "date_parseable", "date: missing or not a YYYY-MM-DD date"),
    (",leadership,2026-10-02,D4.1,3", "respondent_present", "respondent: missing"),
])
def test_a_bad_answer_is_held_back_with_its_reason(bad_row, rule, reason) -> None:
    parsed = parse_survey("scan.csv", (GOOD_CSV + bad_row + "\n").encode())
    assert len(parsed.answers) == 4
    assert len(parsed.rejected) == 1
    held = parsed.rejected.iloc[0]
    assert held["rule"] == rule and held["reason"].startswith(reason) and held["row"] == "6"
    assert "7" not in held["reason"] and "ceo" not in held["reason"]         # names the field, never the answer


def test_duplicate_respondent_in_form_json() -> None:
    data = form_json([response("a", "leadership", [("D1", 4)]), response("a", "leadership", [("D1", 2)])])
    parsed = parse_survey("export.json", data)
    assert list(parsed.answers["value"]) == [4]
    assert parsed.rejected.iloc[0]["rule"] == "respondent_unique"
    assert parsed.rejected.iloc[0]["row"] == "responses[1].answers[0]"


def test_missing_role_in_form_json_is_held_back() -> None:
    data = form_json([response("a", "leadership", [("D1", 4)]), response("b", None, [("D1", 2), ("D2", 3)])])
    parsed = parse_survey("export.json", data)
    assert len(parsed.answers) == 1 and set(parsed.rejected["rule"]) == {"role_known"}


@pytest.mark.parametrize("name, content, message", [
    ("scan.csv", "respondent,role,date,value\nr1,leadership,2026-10-02,4\n",
     "scan.csv: header: missing column 'item'"),
    ("scan.csv", "", "scan.csv: empty file"),
    ("scan.csv", "respondent,role,date,item,value\n", "scan.csv: contains no answers"),
    ("scan.csv", "respondent,role,date,item,value\nr1,leadership,2026-10-02,D1,8\nr1,leadership,2026-10-02,D2,10\n"
                 "r1,leadership,2026-10-02,D3,4\n",
     "scan.csv: value: 2 of 3 answers lie outside 1–5 (highest 10): the file looks like another scale"),
    ("scan.csv", "respondent,role,date,item,value\nr1,boss,2026-10-02,D1,4\n",
     "scan.csv: role_known: no answer passed; the first problem, at 2: role: not a known role"),
    ("export.json", "{not json", "export.json: not valid JSON (line 1, column 2)"),
    ("export.json", json.dumps({"items": []}), "export.json: responses: expected an object with a 'responses' list"),
])
def test_whole_file_problems_fail_the_import(name, content, message) -> None:
    with pytest.raises(SurveyImportError) as err:
        parse_survey(name, content.encode())
    assert str(err.value).startswith(message)


def test_form_declaring_another_scale_fails() -> None:
    data = form_json([response("a", "leadership", [("D1", 4)])], scale={"min": 0, "max": 10})
    with pytest.raises(SurveyImportError, match=r"export.json: form.scale: declares a 0–10 scale; the quick-scan "
                                                r"uses 1–5"):
        parse_survey("export.json", data)
