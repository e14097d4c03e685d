"""The report in a real browser: headless Chromium (Debian's `chromium`, started by the test) opens each language's
file, with no console error, no request beyond the file itself, every chart drawn, the right language, and a
screenshot kept in tests/artifacts/ (gitignored). Also: the PDF printed by the same Chromium."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from apex_model.model import load_model
from dbt_like_sql.warehouse import make_engine
from pipelines.deployment import load_deployment
from pipelines.report import gather, print_pdf
from report.render import expected_charts, render_html
from tests.report.cdp import Chromium
from tests.report.conftest import END

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HEADINGS = {"nl": ("De acht dimensies", "Perceptiekloven", "Grootste bewegers", "Datadekking en -kwaliteit"),
            "en": ("The eight dimensions", "Perception gaps", "Biggest movers", "Data coverage and quality")}


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium()
    yield chromium
    chromium.close()


def report_data(measured, language: str):
    model = load_model()
    deployment = load_deployment(measured["config"], model)
    engine = make_engine(measured["url"])
    data = gather(engine, model, deployment, deployment.organisation("tiny"), date.fromisoformat(END), language)
    engine.dispose()
    return data


@pytest.mark.parametrize("language", ["nl", "en"])
def test_report_renders_cleanly_in_chromium(measured, browser, language) -> None:
    path = measured["reports"] / "tiny" / f"{END}.{language}.html"
    assert path.exists()
    browser.open(path)
    assert browser.problems() == []
    assert browser.requests() == [path.resolve().as_uri()]          # the file itself, nothing from the network
    assert browser.evaluate("document.documentElement.lang") == language
    charts = browser.evaluate("[...document.querySelectorAll('svg[data-chart]')].map(s => s.dataset.chart)")
    expected = expected_charts(report_data(measured, language))
    assert set(expected) >= {"dimensions", "history", "focus", "gaps"}
    assert sorted(charts) == sorted(expected)
    # every chart is drawn: it has a size on the page and marks inside
    sizes = browser.evaluate("[...document.querySelectorAll('svg[data-chart]')].map(s => "
                             "[s.getBoundingClientRect().width, s.getBoundingClientRect().height, "
                             "s.querySelectorAll('rect,polyline,circle,polygon').length])")
    assert all(w > 300 and h > 40 and marks > 0 for w, h, marks in sizes)
    bars = browser.evaluate("document.querySelectorAll('svg[data-chart=dimensions] rect[data-bar]').length")
    scored = browser.evaluate("document.querySelectorAll('#dimensions table tr').length") - 1
    assert scored == 8 and 1 <= bars <= 8
    text = browser.evaluate("document.body.innerText")
    for heading in HEADINGS[language]:
        assert heading in text
    for other in HEADINGS["en" if language == "nl" else "nl"]:
        assert other not in text
    browser.screenshot(ARTIFACTS / f"report-tiny-{language}.png")
    assert (ARTIFACTS / f"report-tiny-{language}.png").stat().st_size > 50_000


def test_a_report_with_a_script_error_is_caught(measured, browser, tmp_path) -> None:
    """The harness itself can fail: a page with a console error and a network request is reported."""
    page = tmp_path / "broken.html"
    page.write_text('<html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>'
                    "</body></html>")
    browser.open(page)
    problems = browser.problems()
    assert any("boom" in p for p in problems) and any(p.startswith("load failed") for p in problems)
    assert "http://127.0.0.1:9/x.png" in browser.requests()


def test_pdf_of_the_report(measured, tmp_path) -> None:
    html = measured["reports"] / "tiny" / f"{END}.en.html"
    pdf = tmp_path / "report.pdf"
    print_pdf(html, pdf)
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF") and len(body) > 20_000


def test_rendering_needs_a_known_language(measured) -> None:
    data = report_data(measured, "en")
    data.language = "de"
    with pytest.raises(ValueError, match="unknown report language 'de'"):
        render_html(data)
