"""Gathering one organisation's report from the warehouse and writing it, free of Dagster.

Every query here filters on the one organisation's `org_id`; the only cross-organisation figure in a report is the
peer benchmark's percentile and cohort size, computed beforehand (`apex_peer_benchmark`). The report files are
`<dir>/<org_id>/<date>.<language>.html` (and `.pdf` when asked), recorded in `apex_reports`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from apex_model.alert_text import series_name
from apex_model.model import DIMENSION_IDS, ApexModel
from dbt_like_sql.drift_schema import apex_alerts
from dbt_like_sql.measure_schema import (apex_cycles, apex_measure, apex_peer_benchmark, apex_perception_gaps,
                                         apex_reports, apex_survey_signals)
from dbt_like_sql.quality_tables import apex_data_quality_status
from dbt_like_sql.schema import (apex_dimension_scores, apex_ecosystem_health, apex_partner_signal_values,
                                 apex_score_changes, ensure_tables)
from dbt_like_sql.warehouse import upsert
from pipelines import layers
from pipelines.deployment import Deployment, Organisation
from report import charts
from report.i18n import t
from report.render import ReportData, render_html

MOVERS_DAYS = 28
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def _signal_names(language: str) -> dict[str, str]:
    from signals.registry import catalogue

    return {sid: (card.name_nl if language == "nl" else card.name_en) for sid, card in catalogue().items()}


def _frame(engine: sa.Engine, query) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    for col in ("as_of", "opened_on", "resolved_on"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    return frame


def _value(v):
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else v


def _named(items, names: dict[str, str], language: str) -> list[dict]:
    return [{"name": _effect_name(names, i["signal_id"], i.get("effect", "value"), language), "points": i["points"]}
            for i in (items or [])]


def gather(engine: sa.Engine, model: ApexModel, deployment: Deployment, org: Organisation, day: date,
           language: str) -> ReportData:
    """Everything the report of `org` on `day` shows, in `language`, read from the warehouse."""
    v = model.version
    settings = deployment.measure
    names = _signal_names(language)
    dim_name = {d.id: d.name.get(language) for d in model.dimensions}
    data = ReportData(language=language, org_id=org.id, org_name=org.name, as_of=day, model_version=v,
                      generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      benchmark_min=settings.benchmark.min_organisations, movers_days=MOVERS_DAYS)

    def mine(table: sa.Table, *conditions):
        return sa.select(table).where(table.c.org_id == org.id, table.c.model_version == v, *conditions)

    health = _frame(engine, mine(apex_ecosystem_health, apex_ecosystem_health.c.as_of == day))
    if not health.empty:
        h = health.iloc[0]
        level = model.level(int(h["maturity_level"]))
        data.health = {
            "overall": _value(h["overall_score"]), "low": h["overall_low"], "high": h["overall_high"],
            "coverage": h["coverage"], "stage_name": model.stage(h["stage"]).name.get(language),
            "active_partners": int(h["active_partners"]), "maturity_level": int(h["maturity_level"]),
            "level_name": level.name.get(language), "provisional": bool(h["maturity_provisional"]),
            "next_level": h["next_level_nl"] if language == "nl" else h["next_level_en"]}

    dims = _frame(engine, mine(apex_dimension_scores, apex_dimension_scores.c.as_of == day)).set_index("dimension")
    survey = _frame(engine, mine(apex_survey_signals, apex_survey_signals.c.as_of == day))
    dq = _frame(engine, mine(apex_data_quality_status, apex_data_quality_status.c.as_of == day)).set_index(
        "dimension")
    measure = _frame(engine, mine(apex_measure, apex_measure.c.as_of == day)).set_index("dimension")
    self_survey = survey[survey["group"] == "self"].set_index("dimension")
    for dim in DIMENSION_IDS:
        if dim not in dims.index:
            continue
        row = dims.loc[dim]
        n_total = int(row["n_present"] + row["n_stale"] + row["n_missing"])
        target = _value(measure.loc[dim, "target"]) if dim in measure.index else None
        data.dimensions.append({
            "id": dim, "name": dim_name[dim], "score": _value(row["score"]), "low": row["score_low"],
            "high": row["score_high"], "coverage": row["coverage"], "status": row["status"],
            "capability": None if pd.isna(row["capability_level"]) else int(row["capability_level"]),
            "survey": float(self_survey.loc[dim, "score"]) if dim in self_survey.index else None,
            "survey_respondents": int(self_survey.loc[dim, "respondents"]) if dim in self_survey.index else 0,
            "target": target, "n_present": int(row["n_present"]), "n_total": n_total,
            "dq_status": dq.loc[dim, "status"] if dim in dq.index else "–",
            "dq_reason": dq.loc[dim, "reason"] if dim in dq.index else ""})

    # History with drift markers.
    first = day - timedelta(days=settings.reports.history_days - 1)
    hist_d = _frame(engine, mine(apex_dimension_scores, apex_dimension_scores.c.as_of >= first,
                                 apex_dimension_scores.c.as_of <= day))
    hist_h = _frame(engine, mine(apex_ecosystem_health, apex_ecosystem_health.c.as_of >= first,
                                 apex_ecosystem_health.c.as_of <= day))
    cycle = org.cycle_on(day)
    focus = cycle.spec().focus_dimensions if cycle else ()
    if not hist_h.empty:
        days = pd.date_range(hist_h["as_of"].min(), pd.Timestamp(day), freq="D")
        overall = hist_h.set_index("as_of")["overall_score"].reindex(days)
        data.history.append(charts.Series(t("overall", language), charts.OVERALL_COLOUR,
                                          [(d.date(), _value(s)) for d, s in overall.items()], bold=True))
        wide = hist_d.pivot(index="as_of", columns="dimension", values="score").reindex(days)
        shown = list(focus)
        if not shown and not dims.empty and dims["score"].notna().any():
            shown = [dims["score"].idxmin()]          # no cycle: show the weakest dimension beside the overall
        for k, dim in enumerate(shown):
            if dim in wide:
                data.history.append(charts.Series(f"{dim} {dim_name[dim]}", charts.FOCUS_COLOURS[k % 3],
                                                  [(d.date(), _value(s)) for d, s in wide[dim].items()]))
        alerts = _frame(engine, sa.select(apex_alerts).where(apex_alerts.c.org_id == org.id,
                                                             apex_alerts.c.model_version == v,
                                                             apex_alerts.c.opened_on <= day))
        # Markers sit on the drawn lines: overall and the dimensions shown; the others' alerts are in the list below.
        series_scores = {"overall": overall, **{d: wide[d] for d in shown if d in wide}}
        for a in alerts.itertuples(index=False):
            opened = a.opened_on.date()
            s = series_scores.get(a.series)
            score = _value(s.get(pd.Timestamp(opened))) if s is not None else None
            label = f"{series_name(model, a.series, language)} {a.direction} {opened.isoformat()}"
            if opened >= first and score is not None:
                data.markers.append(charts.Marker(opened, float(score), a.direction, label))
            still_open = pd.isna(a.resolved_on) or a.resolved_on.date() > day
            if still_open and a.severity == "alert":
                data.alerts.append({"text": a.explanation_nl if language == "nl" else a.explanation_en})

    # The current cycle: focus progress and surprises.
    if cycle is not None and not measure.empty:
        spec = cycle.spec()
        focus_rows, surprises = [], []
        for dim in DIMENSION_IDS:
            if dim not in measure.index:
                continue
            m = measure.loc[dim]
            item = {"dimension": dim, "name": dim_name[dim], "baseline": _value(m["baseline"]),
                    "score": _value(m["score"]), "target": _value(m["target"]), "movement": _value(m["movement"]),
                    "share": _value(m["share_to_target"]), "on_track": None if pd.isna(m["on_track"])
                    else bool(m["on_track"]), "projected": _value(m["projected_end"]),
                    "moved_by": _named(m["moved_by"], names, language)}
            if dim in spec.focus_dimensions:
                focus_rows.append(item)
            elif bool(m["is_surprise"]):
                surprises.append(item)
        elapsed = (day - spec.start).days
        data.cycle = {"id": spec.cycle_id, "phase": model_phase(model, spec.phase, language),
                      "start": spec.start.isoformat(), "end": spec.end.isoformat(), "elapsed": elapsed,
                      "total": (spec.end - spec.start).days, "focus": focus_rows,
                      "surprises": sorted(surprises, key=lambda s: -abs(s["movement"] or 0))}
    history = _frame(engine, sa.select(apex_cycles).where(apex_cycles.c.org_id == org.id,
                                                          apex_cycles.c.model_version == v,
                                                          apex_cycles.c.is_focus.is_(True)))
    for c in history.sort_values(["start_on", "dimension"]).itertuples(index=False):
        if pd.Timestamp(c.start_on).date() > day:
            continue
        data.cycle_history.append({"cycle_id": c.cycle_id, "status": t(f"status_{c.status}", language),
                                   "start": str(c.start_on)[:10], "end": str(c.end_on)[:10], "dimension": c.dimension,
                                   "name": dim_name[c.dimension], "baseline": _value(c.baseline),
                                   "result": _value(c.latest_score), "target": _value(c.target)})

    data.movers = biggest_movers(engine, model, org, day, names, dim_name, language)

    # Perception gaps: the four views per dimension that has survey answers.
    gaps = _frame(engine, mine(apex_perception_gaps, apex_perception_gaps.c.as_of == day))
    by_group = survey.set_index(["dimension", "group"])["score"] if not survey.empty else pd.Series(dtype=float)
    gap_of = gaps.set_index(["dimension", "kind"]) if not gaps.empty else None
    for dim in DIMENSION_IDS:
        if survey.empty or dim not in set(survey["dimension"]):
            continue

        def grp(g: str):
            return float(by_group[(dim, g)]) if (dim, g) in by_group.index else None

        def gap(kind: str, col: str):
            if gap_of is None or (dim, kind) not in gap_of.index:
                return None
            return _value(gap_of.loc[(dim, kind), col])

        data.gaps.append({"dimension": dim, "name": dim_name[dim],
                          "measured": _value(dims.loc[dim, "score"]) if dim in dims.index else None,
                          "self": grp("self"), "leadership": grp("leadership"), "operations": grp("operations"),
                          "partner": grp("partner"), "self_gap": gap("self_vs_measured", "gap"),
                          "self_notable": bool(gap("self_vs_measured", "notable") or False),
                          "lead_gap": gap("leadership_vs_operations", "gap"),
                          "lead_notable": bool(gap("leadership_vs_operations", "notable") or False)})

    data.partners = partner_table(engine, model, org, day, names, dim_name, language)

    bench = _frame(engine, mine(apex_peer_benchmark, apex_peer_benchmark.c.as_of == day))
    if not bench.empty:
        order = ["overall", *DIMENSION_IDS]
        bench = bench.set_index("dimension").reindex([o for o in order if o in set(bench["dimension"])])
        cohort = bench["cohort"].iloc[0]
        cohort_label = t("cohort_all", language) if cohort == "all" else model.stage(cohort).name.get(language)
        data.benchmark = {"cohort": cohort_label, "cohort_size": int(bench["cohort_size"].max()),
                          "rows": [{"dimension": d, "name": t("overall", language) if d == "overall" else dim_name[d],
                                    "percentile": float(r["percentile"])} for d, r in bench.iterrows()]}
    return data


def model_phase(model: ApexModel, phase_id: str, language: str) -> str:
    for phase in model.phases:
        if phase.id == phase_id:
            return phase.name.get(language)
    return phase_id


def biggest_movers(engine: sa.Engine, model: ApexModel, org: Organisation, day: date, names: dict[str, str],
                   dim_name: dict[str, str], language: str, top: int = 3) -> list[dict]:
    """The dimensions that moved most between `day` − MOVERS_DAYS and `day`, each with the signals that moved it:
    the exact decomposition in `apex_score_changes` (written by the Measure layer; computed and stored here when the
    pair is missing, e.g. for a report of an earlier day)."""
    first = day - timedelta(days=MOVERS_DAYS)
    t_ = apex_score_changes
    query = sa.select(t_).where(t_.c.org_id == org.id, t_.c.model_version == model.version, t_.c.from_date == first,
                                t_.c.to_date == day)
    changes = _frame(engine, query)
    if changes.empty:
        try:
            computed = layers.explain_between(engine, model, org.id, [(first, day)])
        except ValueError:          # no signal values stored for one of the days: no comparison possible
            return []
        layers.store_changes(engine, model, org.id, computed)
        changes = _frame(engine, query)
    totals = changes[changes["effect"] == "total"].dropna(subset=["contribution"]).set_index("dimension")
    totals = totals[totals["contribution"].abs() >= 0.05]
    order = totals["contribution"].abs().sort_values(ascending=False).index[:top]
    out = []
    for dim in order:
        parts = changes[(changes["dimension"] == dim) & (changes["effect"] != "total")].dropna(subset=["contribution"])
        parts = parts.reindex(parts["contribution"].abs().sort_values(ascending=False).index).head(3)
        change = float(totals.loc[dim, "contribution"])
        now = _value(totals.loc[dim, "score_to"]) if "score_to" in totals else None
        out.append({"dimension": dim, "name": dim_name[dim], "change": change,
                    "from": _dimension_score(engine, model, org.id, dim, first),
                    "to": _dimension_score(engine, model, org.id, dim, day) if now is None else now,
                    "explanation": [{"name": _effect_name(names, r.signal_id, r.effect, language),
                                     "points": float(r.contribution)} for r in parts.itertuples()
                                    if abs(r.contribution) >= 0.05]})
    return out


def _dimension_score(engine, model, org_id, dim, day) -> float | None:
    t_ = apex_dimension_scores
    with engine.connect() as conn:
        value = conn.execute(sa.select(t_.c.score).where(t_.c.org_id == org_id, t_.c.model_version == model.version,
                                                         t_.c.dimension == dim, t_.c.as_of == day)).scalar()
    return value


def _effect_name(names: dict[str, str], signal_id: str, effect: str, language: str) -> str:
    name = names.get(signal_id, signal_id)
    if effect in ("appeared", "dropped"):
        return f"{name} ({t('effect_' + effect, language)})"
    return name


def partner_table(engine: sa.Engine, model: ApexModel, org: Organisation, day: date, names: dict[str, str],
                  dim_name: dict[str, str], language: str, top: int = 3) -> list[dict] | None:
    """Per dimension with partner-level signals (`apex_partner_signal_values`, written on snapshot days), the partners
    that lift it most and drag it most: each partner's values scored on the day's blended goalposts, averaged over the
    dimension's per-partner signals. None when the day has no partner-level rows."""
    import numpy as np

    from apex_model.normalise import normalise_blended
    from dbt_like_sql.runner import read_table

    v = model.version
    t_ = apex_partner_signal_values
    rows = _frame(engine, sa.select(t_).where(t_.c.org_id == org.id, t_.c.model_version == v, t_.c.as_of == day))
    rows = rows[rows["value"].notna() & (rows["n"] > 0)]
    if rows.empty:
        return None
    h_ = apex_ecosystem_health
    with engine.connect() as conn:
        shares = conn.execute(sa.select(h_.c.stage_shares).where(h_.c.org_id == org.id, h_.c.model_version == v,
                                                                 h_.c.as_of == day)).scalar()
    if shares is None:
        return None
    share_row = np.array([[float(shares.get(stage, 0.0)) for stage in model.stage_ids]])
    parts = []
    for signal_id, part in rows.groupby("signal_id"):
        scored = normalise_blended(model, signal_id, part["value"].to_numpy(float),
                                   np.repeat(share_row, len(part), axis=0))
        parts.append(part.assign(partner_score=scored))
    scored = pd.concat(parts, ignore_index=True)
    per_partner = scored.groupby(["dimension", "partner_id"], as_index=False)["partner_score"].mean()
    try:
        partners = read_table(engine, "partners", org.id)
        partner_names = dict(zip(partners["partner_id"].astype(str), partners["name"]))
    except Exception:      # no canonical partners table (a warehouse holding outputs only): show the ids
        partner_names = {}
    out = []
    for dim in DIMENSION_IDS:
        ranked = per_partner[per_partner["dimension"] == dim].sort_values(["partner_score", "partner_id"],
                                                                          ascending=[False, True])
        if len(ranked) < 2:
            continue
        k = min(top, len(ranked) // 2)

        def label(r) -> dict:
            return {"partner": partner_names.get(str(r.partner_id)) or str(r.partner_id),
                    "text": t("partner_score", language, score=f"{r.partner_score:.0f}")}

        out.append({"dimension": dim, "name": dim_name[dim], "partners": int(len(ranked)),
                    "lifts": [label(r) for r in ranked.head(k).itertuples()],
                    "drags": [label(r) for r in ranked.tail(k).iloc[::-1].itertuples()]})
    return out or None


def report_path(base: Path, org_id: str, day: date, language: str, suffix: str = "html") -> Path:
    return base / org_id / f"{day.isoformat()}.{language}.{suffix}"


def chromium_binary() -> str | None:
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 90) -> None:
    """The same report as PDF, printed by headless Chromium (Debian's `chromium`) with a throwaway profile."""
    binary = chromium_binary()
    if binary is None:
        raise RuntimeError("PDF requested but no Chromium found (install Debian's `chromium` package)")
    with tempfile.TemporaryDirectory(prefix="apex-pdf-") as profile:
        subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()],
                       check=True, capture_output=True, timeout=timeout)
    if not pdf_path.exists():
        raise RuntimeError(f"Chromium did not write {pdf_path}")


def write_reports(engine: sa.Engine, model: ApexModel, deployment: Deployment, org: Organisation, day: date,
                  base_dir: Path | None = None) -> list[dict]:
    """Write the organisation's report for `day` in each configured language; returns one dict per file written."""
    ensure_tables(engine)
    settings = deployment.measure.reports
    base = Path(base_dir or settings.dir)
    written = []
    languages = [org.language] + [lang for lang in settings.languages if lang != org.language]
    for language in languages:
        html = render_html(gather(engine, model, deployment, org, day, language))
        path = report_path(base, org.id, day, language)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = html.encode("utf-8")
        path.write_bytes(body)
        pdf = None
        if settings.pdf:
            pdf = report_path(base, org.id, day, language, "pdf")
            print_pdf(path, pdf)
        written.append({"org_id": org.id, "as_of": day, "language": language, "model_version": model.version,
                        "path": str(path.resolve()), "pdf_path": str(pdf.resolve()) if pdf else None,
                        "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                        "written_at": datetime.now(timezone.utc).replace(tzinfo=None)})
    with engine.begin() as conn:
        upsert(conn, apex_reports, written, ["org_id", "as_of", "language", "model_version"])
    return written
