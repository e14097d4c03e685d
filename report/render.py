"""Rendering one report: `ReportData` (plain values, gathered by `pipelines/report.py`) -> one self-contained HTML page.

Jinja2 with autoescaping; every chart is inline SVG from `report.charts`; no script, font, image or stylesheet is
loaded from anywhere, so the file reads the same from a mail attachment, offline, and printed to PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from report import charts
from report.i18n import t

_ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True)


@dataclass
class ReportData:
    """Everything one report shows, for one organisation, day and language. Nothing of another organisation."""

    language: str
    org_id: str
    org_name: str
    as_of: date
    model_version: str
    generated_at: str
    health: dict | None = None
    dimensions: list[dict] = field(default_factory=list)
    history: list[charts.Series] = field(default_factory=list)
    markers: list[charts.Marker] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    cycle: dict | None = None
    cycle_history: list[dict] = field(default_factory=list)
    movers: list[dict] = field(default_factory=list)
    movers_days: int = 28
    gaps: list[dict] = field(default_factory=list)
    partners: list[dict] | None = None
    benchmark: dict | None = None
    benchmark_min: int = 5


def number(value, language: str, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{float(value):.{digits}f}"
    return text.replace(".", ",") if language == "nl" else text


def signed(value, language: str, digits: int = 1) -> str:
    if value is None:
        return "–"
    return ("+" if value >= 0 else "−") + number(abs(value), language, digits)


def percent(value, language: str) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.0f}%" if language == "en" else f"{value * 100:.0f}%".replace(".", ",")


def expected_charts(data: ReportData) -> list[str]:
    """The charts a report with this data must contain (tests check each is rendered)."""
    names = []
    if data.dimensions:
        names.append("dimensions")
    if data.history:
        names.append("history")
    if data.cycle and data.cycle["focus"]:
        names.append("focus")
    if data.gaps:
        names.append("gaps")
    if data.benchmark:
        names.append("benchmark")
    return names


def _charts(data: ReportData) -> dict[str, Markup]:
    lang = data.language
    out: dict[str, Markup] = {}
    if data.dimensions:
        bars = [charts.DimensionBar(d["id"], d["name"], d["score"], d["low"], d["high"], d.get("survey"),
                                    d.get("target")) for d in data.dimensions]
        out["dimensions"] = charts.dimension_chart(bars, t("dimensions", lang), t("insufficient", lang))
    if data.history:
        out["history"] = charts.history_chart(data.history, data.markers, t("history", lang))
    if data.cycle and data.cycle["focus"]:
        bars = [charts.FocusBar(f["dimension"], f["name"], f["baseline"], f["score"], f["target"], f["projected"])
                for f in data.cycle["focus"]]
        out["focus"] = charts.focus_chart(bars, t("cycle", lang))
    if data.gaps:
        rows = [charts.GapRow(g["dimension"], g["name"], g["measured"], g["self"], g["leadership"],
                              g["operations"]) for g in data.gaps]
        legend = {k: t(k, lang) for k in ("measured", "self", "leadership", "operations")}
        out["gaps"] = charts.gaps_chart(rows, t("gaps", lang), legend)
    if data.benchmark:
        out["benchmark"] = charts.benchmark_chart(
            [(r["dimension"], r["name"], r["percentile"]) for r in data.benchmark["rows"]], t("benchmark", lang))
    return out


def render_html(data: ReportData) -> str:
    if data.language not in ("en", "nl"):
        raise ValueError(f"unknown report language {data.language!r}; expected en or nl")
    lang = data.language
    template = _ENV.get_template("report.html.j2")
    return template.render(
        d=data, charts=_charts(data), lang=lang,
        t=lambda key, **kw: t(key, lang, **kw),
        num=lambda v, digits=1: number(v, lang, digits),
        signed=lambda v, digits=1: signed(v, lang, digits),
        pct=lambda v: percent(v, lang),
    )
