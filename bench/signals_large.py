"""Benchmark: the whole signal catalogue on a large organisation, as of one date and over a 365-day range.

Scenario: 20,000 partners, 2 million opportunities and 5 million activities (plus the other canonical tables in
proportion), generated directly as canonical tables in memory with numpy (three years of history), so the benchmark
measures the signals and not the sandbox or the warehouse. Each measurement runs in a fresh subprocess so its peak
memory (ru_maxrss) is its own:

- `floor`: one plain scan of the same input rows in the same engine (pandas/numpy): every table's rows read once
  (a count of each date column and a sum of each numeric column);
- `one_date`: every signal as of 2025-12-31;
- `range_365`: every signal for each of the 365 days up to 2025-12-31, in one vectorised pass per signal;
- `partner_rows`: the partner-level values of the per-partner signals on one snapshot day.

Each figure is the time of the measurement alone (table generation excluded), median of `REPEATS` runs.
Run: `make bench-signals-large` (or `.venv/bin/python -m bench.signals_large`); several minutes on two cores.
Results go to bench/results/signals_large.md. Not part of `make test`.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results" / "signals_large.md"
END = np.datetime64("2025-12-31", "D")
START = np.datetime64("2023-01-01", "D")
N_PARTNERS = 20_000
N_OPPORTUNITIES = 2_000_000
N_ACTIVITIES = 5_000_000
REPEATS = 2


def _days(rng, n, lo=START, hi=END):
    return (lo + rng.integers(0, int((hi - lo).astype(int)) + 1, n).astype("timedelta64[D]")).astype("datetime64[ns]")


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.arange(n).astype(str)).astype(object)


def _pick(rng, values, n, p=None) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)]


def _later(rng, days, max_days, p_none, n):
    out = days + rng.integers(0, max_days, n).astype("timedelta64[D]")
    return pd.Series(out).where(rng.random(n) >= p_none).to_numpy()


def make_tables(seed: int = 1) -> dict[str, pd.DataFrame]:
    """The canonical tables of one large organisation (columns and types as `read_table` gives them)."""
    rng = np.random.default_rng(seed)
    t: dict[str, pd.DataFrame] = {}
    P = N_PARTNERS
    pids = _ids("p", P)
    onboarded = _days(rng, P, START - np.timedelta64(700, "D"), END)
    churned = pd.Series(onboarded + rng.integers(30, 1500, P).astype("timedelta64[D]")).where(rng.random(P) < 0.3)
    tiers = _pick(rng, ["registered", "silver", "gold", "platinum"], P, [0.5, 0.3, 0.15, 0.05])
    t["partners"] = pd.DataFrame({
        "org_id": "large", "partner_id": pids, "partner_type": _pick(rng, ["reseller", "isv", "msp", "referral",
                                                                           "system_integrator", "distributor"], P),
        "region": _pick(rng, ["emea", "na", "latam", "apac"], P), "country": _pick(rng, ["NL", "US", "BR"], P),
        "domain": _pick(rng, ["x.example", None], P), "tier": tiers, "onboarded_on": onboarded,
        "churned_on": churned.to_numpy(), "owner_id": _pick(rng, [f"m{i}" for i in range(300)] + [None], P),
        "exec_sponsor_id": _pick(rng, ["e1", None], P)})
    switch = onboarded + rng.integers(30, 600, P).astype("timedelta64[D]")
    t["partner_versions"] = pd.DataFrame({
        "org_id": "large", "partner_id": np.concatenate([pids, pids]),
        "valid_from": np.concatenate([onboarded, switch]),
        "valid_to": np.concatenate([switch, np.full(P, np.datetime64("NaT"), "datetime64[ns]")]),
        "tier": np.concatenate([tiers, _pick(rng, ["silver", "gold", "platinum"], P)]),
        "owner_id": _pick(rng, [f"m{i}" for i in range(300)] + [None], 2 * P),
        "exec_sponsor_id": _pick(rng, ["e1", None], 2 * P), "status": "active"})

    O = N_OPPORTUNITIES
    created = _days(rng, O)
    closed = _later(rng, created, 200, 0.15, O)
    attribution = _pick(rng, ["sourced", "influenced", "none"], O, [0.25, 0.2, 0.55])
    status = np.where(pd.isna(closed), "open", _pick(rng, ["won", "lost"], O, [0.3, 0.7])).astype(object)
    oids = _ids("o", O)
    campaigns = _ids("k", 20_000)
    regs = _ids("r", 500_000)
    t["opportunities"] = pd.DataFrame({
        "org_id": "large", "opportunity_id": oids, "partner_id": np.where(attribution == "none", None,
                                                                          _pick(rng, pids, O)),
        "attribution": attribution, "created_on": created, "closed_on": closed, "status": status,
        "amount_eur": rng.gamma(2.0, 20_000, O), "segment": _pick(rng, ["smb", "mid_market", "enterprise"], O),
        "region": _pick(rng, ["emea", "na", "latam", "apac"], O), "is_new_logo": rng.random(O) < 0.4,
        "campaign_id": np.where(rng.random(O) < 0.2, _pick(rng, campaigns, O), None),
        "registration_id": np.where(rng.random(O) < 0.3, _pick(rng, regs, O), None),
        "expected_close_on": created + rng.integers(10, 200, O).astype("timedelta64[D]")})
    L = 600_000
    linked = rng.integers(0, O, L)
    t["opportunity_partners"] = pd.DataFrame({
        "org_id": "large", "opportunity_id": oids[linked], "partner_id": _pick(rng, pids, L),
        "role": _pick(rng, ["sourced", "influenced", "co_sell", "implementation"], L),
        "added_on": created[linked] + rng.integers(0, 30, L).astype("timedelta64[D]")})
    R = len(regs)
    submitted = _days(rng, R) + rng.integers(0, 86_400, R).astype("timedelta64[s]")
    decided = _later(rng, submitted, 10, 0.1, R)
    conflict = _pick(rng, ["none", "partner", "direct"], R, [0.85, 0.1, 0.05])
    t["deal_registrations"] = pd.DataFrame({
        "org_id": "large", "registration_id": regs, "partner_id": _pick(rng, pids, R), "submitted_at": submitted,
        "decided_at": decided, "status": np.where(pd.isna(decided), "pending",
                                                  _pick(rng, ["approved", "rejected"], R)).astype(object),
        "conflict": conflict, "conflict_resolved_at": pd.Series(submitted + rng.integers(1, 40, R).astype(
            "timedelta64[D]")).where(conflict != "none").to_numpy(),
        "opportunity_id": np.where(rng.random(R) < 0.6, _pick(rng, oids, R), None)})
    A = N_ACTIVITIES
    t["activities"] = pd.DataFrame({
        "org_id": "large", "activity_id": _ids("a", A), "partner_id": _pick(rng, pids, A),
        "activity_type": _pick(rng, ["qbr", "meeting", "call", "email", "exec_meeting", "scorecard_review",
                                     "feedback"], A, [0.05, 0.25, 0.3, 0.3, 0.02, 0.04, 0.04]),
        "occurred_at": _days(rng, A) + rng.integers(0, 86_400, A).astype("timedelta64[s]"),
        "initiated_by": _pick(rng, ["partner", "vendor"], A)})
    E = 200_000
    enrolled = _days(rng, E)
    t["training_enrolments"] = pd.DataFrame({
        "org_id": "large", "enrolment_id": _ids("e", E), "partner_id": _pick(rng, pids, E),
        "person_id": _ids("u", E), "course_id": _pick(rng, ["c1", "c2", "c3"], E), "enrolled_on": enrolled,
        "completed_on": _later(rng, enrolled, 90, 0.3, E)})
    C = 60_000
    earned = _days(rng, C)
    t["certifications"] = pd.DataFrame({
        "org_id": "large", "certification_id": _ids("c", C), "partner_id": _pick(rng, pids, C),
        "person_id": _ids("u", C) , "certification_name": _pick(rng, ["A", "B"], C), "earned_on": earned,
        "expires_on": earned + np.timedelta64(365, "D")})
    K = len(campaigns)
    start = _days(rng, K)
    t["campaigns"] = pd.DataFrame({
        "org_id": "large", "campaign_id": campaigns, "partner_id": _pick(rng, pids, K),
        "campaign_type": _pick(rng, ["co_marketing", "webinar", "event", "digital", "joint_proposition"], K),
        "is_joint": rng.random(K) < 0.5, "start_on": start, "end_on": start + rng.integers(7, 120, K).astype(
            "timedelta64[D]")})
    M = 20_000
    period = _days(rng, M)
    t["mdf_allocations"] = pd.DataFrame({
        "org_id": "large", "allocation_id": _ids("al", M), "partner_id": _pick(rng, pids, M), "period_start": period,
        "period_end": period + np.timedelta64(90, "D"), "amount_eur": rng.gamma(2.0, 5_000, M)})
    asked = _days(rng, M)
    requests = _ids("rq", M)
    t["mdf_requests"] = pd.DataFrame({
        "org_id": "large", "request_id": requests, "partner_id": _pick(rng, pids, M),
        "campaign_id": _pick(rng, campaigns, M), "submitted_on": asked, "decided_on": _later(rng, asked, 20, 0.1, M),
        "status": _pick(rng, ["approved", "rejected", "pending"], M), "amount_eur": rng.gamma(2.0, 3_000, M)})
    claimed = _days(rng, M)
    t["mdf_claims"] = pd.DataFrame({
        "org_id": "large", "claim_id": _ids("cl", M), "request_id": _pick(rng, requests, M),
        "partner_id": _pick(rng, pids, M), "submitted_on": claimed, "paid_on": _later(rng, claimed, 60, 0.2, M),
        "status": _pick(rng, ["paid", "pending", "rejected"], M), "amount_eur": rng.gamma(2.0, 2_000, M)})
    N = 10_000
    plan_start = _days(rng, N)
    t["joint_business_plans"] = pd.DataFrame({
        "org_id": "large", "plan_id": _ids("pl", N), "partner_id": _pick(rng, pids, N), "start_on": plan_start,
        "end_on": plan_start + np.timedelta64(364, "D"), "status": _pick(rng, ["draft", "active", "completed"], N),
        "target_revenue_eur": rng.gamma(2.0, 100_000, N)})
    T = 80_000
    quarter = _days(rng, T)
    t["partner_targets"] = pd.DataFrame({
        "org_id": "large", "target_id": _ids("t", T), "partner_id": _pick(rng, pids, T), "period_start": quarter,
        "period_end": quarter + np.timedelta64(90, "D"), "target_amount_eur": rng.gamma(2.0, 50_000, T)})
    G = 40_000
    term = _days(rng, G)
    t["partner_agreements"] = pd.DataFrame({
        "org_id": "large", "agreement_id": _ids("g", G), "partner_id": _pick(rng, pids, G), "start_on": term,
        "end_on": term + np.timedelta64(365, "D"), "renewed_on": _later(rng, term + np.timedelta64(300, "D"), 90,
                                                                        0.3, G)})
    S = 200_000
    opened = _days(rng, S) + rng.integers(0, 86_400, S).astype("timedelta64[s]")
    t["support_tickets"] = pd.DataFrame({
        "org_id": "large", "ticket_id": _ids("tk", S), "partner_id": _pick(rng, pids, S), "opened_at": opened,
        "resolved_at": _later(rng, opened, 15, 0.1, S), "priority": _pick(rng, ["low", "normal", "high"], S),
        "category": "how_to"})
    V = 40_000
    sent = _days(rng, V)
    answered = _later(rng, sent, 40, 0.5, V)
    t["partner_surveys"] = pd.DataFrame({
        "org_id": "large", "response_id": _ids("s", V), "partner_id": _pick(rng, pids, V), "sent_on": sent,
        "responded_on": answered, "nps_score": pd.Series(rng.integers(0, 11, V).astype(float)).where(
            ~pd.isna(answered)).to_numpy()})
    W = 2_000_000
    t["portal_logins"] = pd.DataFrame({
        "org_id": "large", "partner_id": _pick(rng, pids, W), "user_id": _pick(rng, _ids("pu", 60_000), W),
        "login_on": _days(rng, W), "sessions": rng.integers(1, 5, W)})
    return t


def _floor(tables) -> None:
    """One plain scan: every row of every table read once (count of each date column, sum of each number)."""
    for frame in tables.values():
        for col in frame.columns:
            values = frame[col]
            if pd.api.types.is_datetime64_any_dtype(values):
                int(values.notna().sum())
            elif pd.api.types.is_numeric_dtype(values):
                float(values.sum())


def _measure(mode: str) -> dict:
    from signals.compute import compute_signals
    from signals.context import SignalContext
    from signals.registry import catalogue

    tables = make_tables()
    cards = catalogue()
    rows = sum(len(f) for f in tables.values())
    times = []
    out = 0
    for _ in range(REPEATS):
        if mode == "floor":
            started = time.perf_counter()
            _floor(tables)
        elif mode == "partner_rows":
            ctx = SignalContext("large", np.array([END]), tables=tables)
            started = time.perf_counter()
            out = sum(len(c.partner_compute(ctx)) for c in cards.values() if c.partner_compute is not None)
        else:
            dates = np.array([END]) if mode == "one_date" else np.arange(END - np.timedelta64(364, "D"),
                                                                        END + np.timedelta64(1, "D"))
            ctx = SignalContext("large", dates, tables=tables)
            started = time.perf_counter()
            out = len(compute_signals(ctx, cards))
        times.append(time.perf_counter() - started)
    return {"mode": mode, "seconds": statistics.median(times), "all_seconds": times, "input_rows": rows,
            "output_rows": out, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "signals": len(cards)}


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        print(json.dumps(_measure(sys.argv[2])))
        return 0
    from bench.score_layers import _machine

    results = {}
    for mode in ("floor", "one_date", "range_365", "partner_rows"):
        done = subprocess.run([sys.executable, "-m", "bench.signals_large", "--measure", mode], check=True,
                              capture_output=True, text=True)
        results[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        r = results[mode]
        print(f"{mode}: {r['seconds']:.2f} s (runs {', '.join(f'{s:.2f}' for s in r['all_seconds'])}), peak "
              f"{r['peak_mb']:.0f} MB", flush=True)
    one, year, floor = (results[m]["seconds"] for m in ("one_date", "range_365", "floor"))
    lines = [
        "# Signal catalogue on a large organisation",
        "",
        f"{N_PARTNERS:,} partners, {N_OPPORTUNITIES:,} opportunities, {N_ACTIVITIES:,} activities; "
        f"{results['floor']['input_rows']:,} input rows over all canonical tables; {results['one_date']['signals']} "
        "signals. Canonical tables generated in memory (three years of history); each measurement in a fresh process, "
        f"median of {REPEATS} runs, table generation excluded; peak memory is the process's maximum resident size "
        "including the tables.",
        "",
        "| measurement | time (s) | peak memory (MB) | output rows |",
        "|---|---|---|---|",
    ]
    labels = {"floor": "plain scan of the input rows (floor)", "one_date": "every signal, one date",
              "range_365": "every signal, 365 dates", "partner_rows": "partner-level values, one snapshot day"}
    for mode, r in results.items():
        lines.append(f"| {labels[mode]} | {r['seconds']:.2f} | {r['peak_mb']:.0f} | {r['output_rows']:,} |")
    lines += ["", f"365-day range / one date: **{year / one:.2f}x** (goal: under 10x). One date / plain scan: "
                  f"{one / floor:.1f}x; 365 days / plain scan: {year / floor:.1f}x. Peak memory goal: under 4 GB.",
              "", f"Command: `make bench-signals-large`. Machine: {_machine()}, shared with other work while measured."]
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
