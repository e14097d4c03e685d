"""The Measure layer, free of Dagster: survey imports, survey signals and perception gaps, cycle progress and cycle
history, and the peer benchmark. The asset (`pipelines/assets/measure.py`), the CLI and the tests call these.

Every write is idempotent: the Measure tables replace the organisation's rows for the run's days (and model version);
the cycle history is rebuilt for the organisation from the configuration and the stored scores; a survey file is
keyed by its content hash, so importing it again replaces its answers and never duplicates them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from apex_model.benchmark import peer_percentiles
from apex_model.measure import baselines, cycle_progress
from apex_model.model import DIMENSION_IDS, ApexModel
from apex_model.surveys import perception_gaps, survey_signals
from dbt_like_sql.measure_schema import (apex_cycles, apex_measure, apex_peer_benchmark, apex_perception_gaps,
                                         apex_survey_signals, survey_answers, survey_held_back, survey_imports)
from dbt_like_sql.schema import apex_dimension_scores, apex_ecosystem_health, apex_signal_values, ensure_tables
from dbt_like_sql.warehouse import replace_partition_rows, upsert
from pipelines import layers
from pipelines.deployment import Deployment, Organisation
from signals.survey_import import REJECT_COLUMNS, SurveyImportError, parse_survey


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@dataclass(frozen=True)
class ImportOutcome:
    org_id: str
    file_name: str
    status: str              # imported | failed
    answers: int
    held_back: int
    reason: str | None       # the failure, or a summary of what was held back
    import_id: str | None


def import_survey(engine: sa.Engine, org_id: str, path: str | Path, content: bytes | None = None) -> ImportOutcome:
    """Import one quick-scan file for an organisation (signals/survey_import.py for the formats and the rules).

    A file-level problem records a `failed` import with its reason and keeps nothing. Answers a respondent already
    gave on the same day for the same item in another file are held back too (`respondent_unique`).
    """
    ensure_tables(engine)
    path = Path(path)
    now = _now()
    try:
        parsed = parse_survey(path, content)
    except (SurveyImportError, OSError) as err:
        reason = str(err) if isinstance(err, SurveyImportError) else f"{path.name}: cannot be read ({err.strerror})"
        data = content if content is not None else (path.read_bytes() if path.exists() else path.name.encode())
        import_id = hashlib.sha256(data).hexdigest()[:16]
        with engine.begin() as conn:
            upsert(conn, survey_imports, [{"org_id": org_id, "import_id": import_id, "file_name": path.name,
                                           "file_format": path.suffix.lstrip(".").lower()[:8] or "unknown",
                                           "status": "failed", "answers": 0, "held_back": 0, "reason": reason,
                                           "imported_at": now}], ["org_id", "import_id"])
        return ImportOutcome(org_id, path.name, "failed", 0, 0, reason, import_id)

    answers, held = parsed.answers.copy(), parsed.rejected.copy()
    with engine.begin() as conn:
        conn.execute(sa.delete(survey_answers).where(survey_answers.c.org_id == org_id,
                                                     survey_answers.c.import_id == parsed.import_id))
        conn.execute(sa.delete(survey_held_back).where(survey_held_back.c.org_id == org_id,
                                                       survey_held_back.c.import_id == parsed.import_id))
        existing = pd.read_sql(sa.select(survey_answers.c.respondent_id, survey_answers.c.answered_on,
                                         survey_answers.c.item).where(survey_answers.c.org_id == org_id), conn)
        if not existing.empty:
            existing["answered_on"] = pd.to_datetime(existing["answered_on"])
            seen = set(zip(existing["respondent_id"], existing["answered_on"], existing["item"]))
            dup = [(r, d, i) in seen for r, d, i in zip(answers["respondent_id"], answers["answered_on"],
                                                           answers["item"])]
            dup = pd.Series(dup, index=answers.index, dtype=bool)
            if dup.any():
                again = answers[dup].assign(rule="respondent_unique",
                                            reason="respondent: already answered this item on this day in another "
                                                   "imported file (the first import counts)")
                held = pd.concat([held, again[REJECT_COLUMNS]], ignore_index=True)
                answers = answers[~dup]
        if not answers.empty:
            rows = answers.drop(columns=["row"]).assign(org_id=org_id, import_id=parsed.import_id, imported_at=now)
            rows["answered_on"] = rows["answered_on"].dt.date
            conn.execute(sa.insert(survey_answers), _records(rows))
        if not held.empty:
            conn.execute(sa.insert(survey_held_back),
                         _records(held.assign(org_id=org_id, import_id=parsed.import_id, detected_at=now)))
        status = "imported" if not answers.empty else "failed"
        reason = None
        if not held.empty:
            counts = held["rule"].value_counts()
            reason = "held back: " + ", ".join(f"{n} × {rule}" for rule, n in counts.items())
        if answers.empty:
            reason = "no answer passed; every answer repeats one of an earlier import"
        upsert(conn, survey_imports, [{"org_id": org_id, "import_id": parsed.import_id, "file_name": parsed.file_name,
                                       "file_format": parsed.file_format, "status": status,
                                       "answers": int(len(answers)), "held_back": int(len(held)), "reason": reason,
                                       "imported_at": now}], ["org_id", "import_id"])
    return ImportOutcome(org_id, parsed.file_name, status, int(len(answers)), int(len(held)), reason,
                         parsed.import_id)


def import_configured_surveys(engine: sa.Engine, org: Organisation, config_dir: Path) -> list[ImportOutcome]:
    """Import the survey files the configuration lists for the organisation (paths relative to its file)."""
    return [import_survey(engine, org.id, (config_dir / name) if not Path(name).is_absolute() else Path(name))
            for name in org.surveys]


def read_answers(engine: sa.Engine, org_id: str) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(sa.select(survey_answers).where(survey_answers.c.org_id == org_id), conn)
    frame["answered_on"] = pd.to_datetime(frame["answered_on"])
    return frame


def _read(engine: sa.Engine, table: sa.Table, version: str, first, last, org_ids: list[str]) -> pd.DataFrame:
    query = sa.select(table).where(table.c.org_id.in_(org_ids), table.c.model_version == version,
                                   table.c.as_of >= first, table.c.as_of <= last)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    return frame


@dataclass
class MeasureResult:
    measure: pd.DataFrame
    cycles: pd.DataFrame
    survey: pd.DataFrame
    gaps: pd.DataFrame
    benchmark: pd.DataFrame


def compute_measure_layer(engine: sa.Engine, model: ApexModel, deployment: Deployment, org: Organisation,
                          dates) -> MeasureResult:
    """Survey signals, perception gaps, cycle progress, cycle history and the peer benchmark for the dates."""
    ensure_tables(engine)
    dates = pd.DatetimeIndex(sorted(set(pd.to_datetime(list(dates)).normalize())), name="as_of")
    settings = deployment.measure
    ageing = settings.surveys.ageing()
    version = model.version
    now = _now()
    first = min([dates[0]] + [pd.Timestamp(c.start) for c in org.cycles])
    dims = _read(engine, apex_dimension_scores, version, first.date(), dates[-1].date(), [org.id])
    if not dims["as_of"].isin(dates).any():
        raise ValueError(f"organisation {org.id!r}: no dimension scores stored for {dates[0].date()} .. "
                         f"{dates[-1].date()} under model {version}; materialise the score layers for these days "
                         f"first")

    # Survey signals and perception gaps.
    survey = survey_signals(read_answers(engine, org.id), dates, ageing)
    day_dims = dims[dims["as_of"].isin(dates)]
    gaps = perception_gaps(survey, day_dims, ageing)

    # Cycle progress for the days inside a cycle.
    frames = []
    for cycle in org.cycles:
        spec = cycle.spec()
        progress = cycle_progress(spec, dims, dates, settings.surprise_points)
        if not progress.empty:
            frames.append(progress.assign(phase=spec.phase))
    measure = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not measure.empty:
        measure["moved_by"] = moved_by_signals(engine, model, org.id, measure)

    cycles = cycle_history(org, dims, dates[-1])

    # Why each dimension moved over the last MOVERS_DAYS of the run (the report's "biggest movers"), kept in
    # apex_score_changes beside the day-over-day rows.
    movers_pair = (dates[-1] - pd.Timedelta(days=MOVERS_DAYS), dates[-1])
    if all(_has_scores(engine, version, org.id, day) for day in movers_pair):
        layers.store_changes(engine, model, org.id, layers.explain_between(engine, model, org.id, [movers_pair]))

    # Peer benchmark over the deployment's organisations scored on these days.
    others = deployment.org_ids
    all_dims = _read(engine, apex_dimension_scores, version, dates[0].date(), dates[-1].date(), others)
    health = _read(engine, apex_ecosystem_health, version, dates[0].date(), dates[-1].date(), others)
    overall = health[["org_id", "as_of", "overall_score"]].rename(columns={"overall_score": "score"}).assign(
        dimension="overall")
    scores = pd.concat([all_dims[["org_id", "as_of", "dimension", "score"]], overall], ignore_index=True)
    bench = peer_percentiles(scores, health[["org_id", "as_of", "stage"]], settings.benchmark.min_organisations,
                             settings.benchmark.min_cohort)
    bench = bench[bench["org_id"] == org.id]

    day_list = list(dates.date)
    with engine.begin() as conn:
        out = survey.assign(org_id=org.id, model_version=version, computed_at=now)
        if not out.empty:
            out["as_of"] = out["as_of"].dt.date
            out["newest_on"] = pd.to_datetime(out["newest_on"]).dt.date
        replace_partition_rows(conn, apex_survey_signals, out, org_id=org.id, dates=day_list, model_version=version)
        out = gaps.assign(org_id=org.id, model_version=version, computed_at=now)
        if not out.empty:
            out["as_of"] = out["as_of"].dt.date
            out["notable"] = out["notable"].astype(bool)
        replace_partition_rows(conn, apex_perception_gaps, out, org_id=org.id, dates=day_list, model_version=version)
        out = measure.copy()
        if not out.empty:
            out = out.assign(org_id=org.id, model_version=version, computed_at=now)
            out["as_of"] = out["as_of"].dt.date
            out["baseline_on"] = out["baseline_on"].dt.date
            out["days_elapsed"] = out["days_elapsed"].astype(object).where(out["days_elapsed"].notna(), None)
            out["on_track"] = out["on_track"].astype(object).where(out["on_track"].notna(), None)
        replace_partition_rows(conn, apex_measure, out, org_id=org.id, dates=day_list, model_version=version)
        out = bench.assign(model_version=version, computed_at=now)
        if not out.empty:
            out["as_of"] = out["as_of"].dt.date
        replace_partition_rows(conn, apex_peer_benchmark, out, org_id=org.id, dates=day_list, model_version=version)
        conn.execute(sa.delete(apex_cycles).where(apex_cycles.c.org_id == org.id,
                                                  apex_cycles.c.model_version == version))
        if not cycles.empty:
            conn.execute(sa.insert(apex_cycles), _records(cycles.assign(model_version=version, computed_at=now)))
    return MeasureResult(measure, cycles, survey, gaps, bench)


MOVERS_DAYS = 28
TOP_SIGNALS = 3


def _has_scores(engine: sa.Engine, version: str, org_id: str, day: pd.Timestamp) -> bool:
    t = apex_signal_values
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t).where(
            t.c.org_id == org_id, t.c.model_version == version, t.c.as_of == day.date())).scalar_one() > 0


def moved_by_signals(engine: sa.Engine, model: ApexModel, org_id: str, measure: pd.DataFrame) -> pd.Series:
    """For each Measure row, the signals that moved its dimension since the baseline day: the exact decomposition of
    the change (apex_model/explain.py: value effects, and signals that appeared or dropped out), largest first."""
    rows = measure.dropna(subset=["baseline_on"])
    empty = pd.Series([[] for _ in range(len(measure))], index=measure.index, dtype=object)
    if rows.empty:
        return empty
    pairs = sorted({(b, a) for b, a in zip(rows["baseline_on"], rows["as_of"]) if b < a})
    if not pairs:
        return empty
    changes = layers.explain_between(engine, model, org_id, pairs)
    parts = changes[(changes["effect"] != "total") & changes["contribution"].notna()
                    & (changes["contribution"].abs() >= 0.05)]
    parts = parts.assign(size=parts["contribution"].abs()).sort_values(
        ["from_date", "to_date", "dimension", "size", "signal_id"], ascending=[True, True, True, False, True])
    top = parts.groupby(["from_date", "to_date", "dimension"], sort=False).head(TOP_SIGNALS)
    items: dict = {}
    for r in top.itertuples(index=False):
        items.setdefault((pd.Timestamp(r.from_date), pd.Timestamp(r.to_date), r.dimension), []).append(
            {"signal_id": r.signal_id, "effect": r.effect, "points": round(float(r.contribution), 2)})
    return pd.Series([items.get((pd.Timestamp(b), pd.Timestamp(a), d), []) if pd.notna(b) else []
                      for b, a, d in zip(measure["baseline_on"], measure["as_of"], measure["dimension"])],
                     index=measure.index, dtype=object)


def cycle_history(org: Organisation, dims: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """One row per configured cycle and dimension: baseline, target, the latest score up to the cycle's end (or
    `until`), status (planned, current, closed) and the previous cycle's result for the same dimension."""
    rows = []
    previous: dict[str, float] = {}
    previous_id = None
    scored = dims.dropna(subset=["score"]).sort_values("as_of")
    for cycle in org.cycles:
        spec = cycle.spec()
        start, end = pd.Timestamp(spec.start), pd.Timestamp(spec.end)
        status = "planned" if start > until else ("closed" if end < until else "current")
        base = baselines(spec, scored[scored["as_of"] <= min(end, until)]).set_index("dimension")
        window = scored[(scored["as_of"] >= start) & (scored["as_of"] <= min(end, until))]
        latest = window.groupby("dimension").last()
        result: dict[str, float] = {}
        for dim in DIMENSION_IDS:
            baseline = base.loc[dim, "baseline"]
            target = spec.target(dim)
            score = latest["score"].get(dim) if dim in latest.index else None
            movement = None if score is None or pd.isna(baseline) else float(score) - float(baseline)
            share = None
            if movement is not None and target is not None and abs(target - float(baseline)) > 1e-9:
                share = movement / (target - float(baseline))
            rows.append({"org_id": org.id, "cycle_id": spec.cycle_id, "dimension": dim, "phase": spec.phase,
                         "start_on": spec.start, "end_on": spec.end, "status": status,
                         "is_focus": dim in spec.focus_dimensions, "target": target,
                         "baseline": None if pd.isna(baseline) else float(baseline),
                         "baseline_on": None if pd.isna(base.loc[dim, "baseline_on"])
                         else base.loc[dim, "baseline_on"].date(),
                         "latest_score": None if score is None else float(score),
                         "latest_on": None if score is None else latest.loc[dim, "as_of"].date(),
                         "movement": movement, "share_to_target": share,
                         "previous_cycle_id": previous_id, "previous_result": previous.get(dim)})
            if score is not None:
                result[dim] = float(score)
        previous, previous_id = result, spec.cycle_id
    return pd.DataFrame(rows)
