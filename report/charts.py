"""Inline SVG charts: plain markup built from numbers, every text escaped, no script and no external reference.

Each chart is an `<svg>` with `data-chart="<name>"`, a `role="img"` and a `<title>`, so a reader with a screen reader,
a test and a print all see the same thing. Scores run on the 1..100 scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

FOCUS_COLOURS = ("#c2410c", "#7c3aed", "#0f766e")
OVERALL_COLOUR = "#1d4ed8"
GREY = "#94a3b8"


def _svg(name: str, width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{name}" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" class="chart"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>")


def _x(score: float, left: float, width: float) -> float:
    return left + width * (max(1.0, min(100.0, score)) - 1.0) / 99.0


def _axis(left: float, width: float, top: float, bottom: float) -> list[str]:
    out = []
    for tick in (1, 20, 40, 60, 80, 100):
        x = _x(tick, left, width)
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#e2e8f0"/>'
                   f'<text x="{x:.1f}" y="{bottom + 14:.1f}" font-size="10" text-anchor="middle" fill="#64748b">'
                   f'{tick}</text>')
    return out


@dataclass(frozen=True)
class DimensionBar:
    dimension: str
    label: str
    score: float | None
    low: float
    high: float
    survey: float | None = None
    target: float | None = None


def dimension_chart(bars: list[DimensionBar], title: str, insufficient: str) -> Markup:
    left, width, row = 230.0, 420.0, 30.0
    height = int(row * len(bars) + 40)
    body = _axis(left, width, 8, row * len(bars) + 10)
    for i, bar in enumerate(bars):
        y = 10 + i * row
        body.append(f'<text x="{left - 8}" y="{y + 17:.1f}" font-size="12" text-anchor="end" fill="#0f172a">'
                    f'{escape(bar.dimension)} {escape(bar.label)}</text>')
        x0 = _x(1, left, width)
        if bar.score is not None:
            body.append(f'<rect data-bar="{escape(bar.dimension)}" x="{x0:.1f}" y="{y + 6:.1f}" '
                        f'width="{_x(bar.score, left, width) - x0:.1f}" height="16" fill="{OVERALL_COLOUR}" '
                        f'opacity="0.85"/>')
            body.append(f'<text x="{_x(bar.score, left, width) + 4:.1f}" y="{y + 4:.1f}" font-size="10" '
                        f'fill="#1e3a8a">{bar.score:.0f}</text>')
        else:
            body.append(f'<text x="{x0 + 4:.1f}" y="{y + 18:.1f}" font-size="11" fill="#b91c1c">'
                        f'{escape(insufficient)}</text>')
        lo, hi = _x(bar.low, left, width), _x(bar.high, left, width)
        body.append(f'<line x1="{lo:.1f}" y1="{y + 14:.1f}" x2="{hi:.1f}" y2="{y + 14:.1f}" stroke="#0f172a" '
                    f'stroke-width="1.5"/><line x1="{lo:.1f}" y1="{y + 9:.1f}" x2="{lo:.1f}" y2="{y + 19:.1f}" '
                    f'stroke="#0f172a"/><line x1="{hi:.1f}" y1="{y + 9:.1f}" x2="{hi:.1f}" y2="{y + 19:.1f}" '
                    f'stroke="#0f172a"/>')
        if bar.survey is not None:
            sx = _x(bar.survey, left, width)
            body.append(f'<polygon data-survey="{escape(bar.dimension)}" points="{sx:.1f},{y + 7:.1f} '
                        f'{sx + 7:.1f},{y + 14:.1f} {sx:.1f},{y + 21:.1f} {sx - 7:.1f},{y + 14:.1f}" fill="#f59e0b" '
                        f'stroke="#78350f"/>')
        if bar.target is not None:
            tx = _x(bar.target, left, width)
            body.append(f'<line data-target="{escape(bar.dimension)}" x1="{tx:.1f}" y1="{y + 3:.1f}" x2="{tx:.1f}" '
                        f'y2="{y + 25:.1f}" stroke="#000" stroke-width="3"/>')
    return _svg("dimensions", int(left + width + 40), height, title, body)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: list[tuple[date, float | None]]
    bold: bool = False


@dataclass(frozen=True)
class Marker:
    day: date
    score: float
    direction: str       # up | down
    label: str


def history_chart(series: list[Series], markers: list[Marker], title: str) -> Markup:
    left, top, width, height = 40.0, 10.0, 600.0, 200.0
    days = sorted({d for s in series for d, _ in s.points})
    if not days:
        return _svg("history", 700, 60, title, [])
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def px(day: date) -> float:
        return left + width * (day - first).days / span

    def py(score: float) -> float:
        return top + height * (100.0 - max(1.0, min(100.0, score))) / 99.0

    body = []
    for tick in (1, 25, 50, 75, 100):
        body.append(f'<line x1="{left}" y1="{py(tick):.1f}" x2="{left + width}" y2="{py(tick):.1f}" '
                    f'stroke="#e2e8f0"/><text x="{left - 6}" y="{py(tick) + 4:.1f}" font-size="10" '
                    f'text-anchor="end" fill="#64748b">{tick}</text>')
    for day in (first, last):
        anchor = "start" if day == first else "end"
        body.append(f'<text x="{px(day):.1f}" y="{top + height + 16:.1f}" font-size="10" text-anchor="{anchor}" '
                    f'fill="#64748b">{day.isoformat()}</text>')
    for k, s in enumerate(series):
        segments, current = [], []
        for day, score in s.points:
            if score is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{px(day):.1f},{py(score):.1f}")
        if current:
            segments.append(current)
        for seg in segments:
            body.append(f'<polyline data-series="{escape(s.name)}" points="{" ".join(seg)}" fill="none" '
                        f'stroke="{s.colour}" stroke-width="{2.5 if s.bold else 1.5}"/>')
        body.append(f'<rect x="{left + 10 + 130 * k:.1f}" y="{top + height + 26:.1f}" width="10" height="10" '
                    f'fill="{s.colour}"/><text x="{left + 24 + 130 * k:.1f}" y="{top + height + 35:.1f}" '
                    f'font-size="11">{escape(s.name)}</text>')
    for m in markers:
        if not (first <= m.day <= last):
            continue
        x, y = px(m.day), py(m.score)
        pts = (f"{x - 6:.1f},{y + 5:.1f} {x + 6:.1f},{y + 5:.1f} {x:.1f},{y - 6:.1f}" if m.direction == "up" else
               f"{x - 6:.1f},{y - 5:.1f} {x + 6:.1f},{y - 5:.1f} {x:.1f},{y + 6:.1f}")
        body.append(f'<polygon data-drift="{escape(m.label)}" points="{pts}" fill="#dc2626" stroke="#7f1d1d">'
                    f'<title>{escape(m.label)}</title></polygon>')
    return _svg("history", int(left + width + 20), int(top + height + 46), title, body)


@dataclass(frozen=True)
class FocusBar:
    dimension: str
    label: str
    baseline: float | None
    score: float | None
    target: float
    projected: float | None


def focus_chart(bars: list[FocusBar], title: str) -> Markup:
    left, width, row = 230.0, 420.0, 34.0
    body = _axis(left, width, 6, row * len(bars) + 8)
    for i, bar in enumerate(bars):
        y = 8 + i * row
        colour = FOCUS_COLOURS[i % len(FOCUS_COLOURS)]
        body.append(f'<text x="{left - 8}" y="{y + 18:.1f}" font-size="12" text-anchor="end">'
                    f'{escape(bar.dimension)} {escape(bar.label)}</text>')
        if bar.baseline is not None and bar.score is not None:
            a, b = sorted((_x(bar.baseline, left, width), _x(bar.score, left, width)))
            body.append(f'<rect data-focus="{escape(bar.dimension)}" x="{a:.1f}" y="{y + 7:.1f}" '
                        f'width="{max(b - a, 1.5):.1f}" height="14" fill="{colour}"/>')
        if bar.baseline is not None:
            body.append(f'<circle cx="{_x(bar.baseline, left, width):.1f}" cy="{y + 14:.1f}" r="5" fill="{GREY}"/>')
        if bar.projected is not None:
            body.append(f'<circle cx="{_x(bar.projected, left, width):.1f}" cy="{y + 14:.1f}" r="5" fill="none" '
                        f'stroke="{colour}" stroke-width="2"/>')
        tx = _x(bar.target, left, width)
        body.append(f'<line x1="{tx:.1f}" y1="{y + 2:.1f}" x2="{tx:.1f}" y2="{y + 26:.1f}" stroke="#000" '
                    f'stroke-width="3"/>')
    return _svg("focus", int(left + width + 40), int(row * len(bars) + 30), title, body)


@dataclass(frozen=True)
class GapRow:
    dimension: str
    label: str
    measured: float | None
    self_score: float | None
    leadership: float | None
    operations: float | None


def gaps_chart(rows: list[GapRow], title: str, legend: dict[str, str]) -> Markup:
    left, width, row = 230.0, 420.0, 26.0
    n = len(rows)
    body = _axis(left, width, 6, row * n + 8)
    for i, r in enumerate(rows):
        y = 8 + i * row + 12
        body.append(f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end">'
                    f'{escape(r.dimension)} {escape(r.label)}</text>')
        values = [v for v in (r.measured, r.self_score, r.leadership, r.operations) if v is not None]
        if len(values) >= 2:
            body.append(f'<line x1="{_x(min(values), left, width):.1f}" y1="{y:.1f}" '
                        f'x2="{_x(max(values), left, width):.1f}" y2="{y:.1f}" stroke="{GREY}" stroke-width="2"/>')
        if r.measured is not None:
            body.append(f'<circle data-gap="measured" cx="{_x(r.measured, left, width):.1f}" cy="{y:.1f}" r="6" '
                        f'fill="{OVERALL_COLOUR}"/>')
        if r.self_score is not None:
            body.append(f'<circle data-gap="self" cx="{_x(r.self_score, left, width):.1f}" cy="{y:.1f}" r="6" '
                        f'fill="#fff" stroke="#f59e0b" stroke-width="2.5"/>')
        if r.leadership is not None:
            x = _x(r.leadership, left, width)
            body.append(f'<rect data-gap="leadership" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                        f'fill="#7c3aed"/>')
        if r.operations is not None:
            x = _x(r.operations, left, width)
            body.append(f'<polygon data-gap="operations" points="{x - 5:.1f},{y + 4:.1f} {x + 5:.1f},{y + 4:.1f} '
                        f'{x:.1f},{y - 5:.1f}" fill="#0f766e"/>')
    ly = row * n + 30
    items = [("measured", f'<circle cx="6" cy="-4" r="5" fill="{OVERALL_COLOUR}"/>'),
             ("self", '<circle cx="6" cy="-4" r="5" fill="#fff" stroke="#f59e0b" stroke-width="2"/>'),
             ("leadership", '<rect x="2" y="-8" width="8" height="8" fill="#7c3aed"/>'),
             ("operations", '<polygon points="1,0 11,0 6,-9" fill="#0f766e"/>')]
    for k, (key, shape) in enumerate(items):
        body.append(f'<g transform="translate({left + 110 * k:.1f},{ly:.1f})">{shape}'
                    f'<text x="16" y="0" font-size="11">{escape(legend[key])}</text></g>')
    return _svg("gaps", int(left + width + 40), int(ly + 12), title, body)


def benchmark_chart(rows: list[tuple[str, str, float]], title: str) -> Markup:
    """Percentile (0..100) per series: (id, label, percentile)."""
    left, width, row = 230.0, 420.0, 24.0
    body = []
    for tick in (0, 25, 50, 75, 100):
        x = left + width * tick / 100
        body.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{row * len(rows) + 6:.1f}" stroke="#e2e8f0"/>'
                    f'<text x="{x:.1f}" y="{row * len(rows) + 20:.1f}" font-size="10" text-anchor="middle" '
                    f'fill="#64748b">P{tick}</text>')
    for i, (key, label, pct) in enumerate(rows):
        y = 6 + i * row
        body.append(f'<text x="{left - 8}" y="{y + 13:.1f}" font-size="12" text-anchor="end">{escape(key)} '
                    f'{escape(label)}</text><rect data-percentile="{escape(key)}" x="{left}" y="{y + 3:.1f}" '
                    f'width="{width * pct / 100:.1f}" height="13" fill="#0f766e"/>'
                    f'<text x="{left + width * pct / 100 + 4:.1f}" y="{y + 13:.1f}" font-size="10">P{pct:.0f}</text>')
    return _svg("benchmark", int(left + width + 40), int(row * len(rows) + 28), title, body)
