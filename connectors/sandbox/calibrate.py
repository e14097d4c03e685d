"""Measure the anchored behaviours back from generated streams: the check that the sandbox keeps its promises.

`measure(ecosystem)` computes, from the streams alone (latest versions as of the end date, windows ending there),
a straightforward version of every behaviour in `anchors.ANCHORS`; `expected(ecosystem)` gives the anchor at the
mean latent quality of the window. `python -m connectors.sandbox.calibrate [--markdown] [stage ...]` prints both per
level; the tables in docs/sandbox.md come from it. These are reference measurements, not the project's signals.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from connectors.sandbox.anchors import ANCHORS, anchor
from connectors.sandbox.deals import FX_EUR_PER_UNIT
from connectors.sandbox.generator import SandboxEcosystem, generate_ecosystem
from connectors.sandbox.profile import SandboxProfile

DATE_COLUMNS = ("created_on", "closed_on", "expected_close_on", "onboarded_on", "churned_on", "start_on", "end_on",
                "renewed_on", "earned_on", "expires_on", "enrolled_on", "completed_on", "period_start", "period_end",
                "submitted_on", "decided_on", "paid_on", "sent_on", "responded_on", "login_on", "added_on")
TS_COLUMNS = ("submitted_at", "decided_at", "conflict_resolved_at", "occurred_at", "opened_at", "resolved_at")


def latest(eco: SandboxEcosystem, stream: str) -> pd.DataFrame:
    """The latest version of each record (deleted ones dropped), payload fields as typed columns."""
    versions = eco.streams[stream]
    last = versions.drop_duplicates("source_id", keep="last")
    last = last[~last["is_deleted"]]
    frame = pd.DataFrame(last["payload"].tolist())
    for c in frame.columns:
        if c in DATE_COLUMNS:
            frame[c] = pd.to_datetime(frame[c])
        elif c in TS_COLUMNS:
            frame[c] = pd.to_datetime(frame[c], utc=True).dt.tz_localize(None)
    return frame


def _eur(frame: pd.DataFrame, column: str = "amount") -> pd.Series:
    return frame[column] * frame["currency"].map(FX_EUR_PER_UNIT)


def _active(partners: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    return (partners["onboarded_on"] <= day) & ~(partners["churned_on"] <= day)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def measure(eco: SandboxEcosystem) -> dict[str, float]:
    end = eco.truth.index[-1]
    w0 = end - pd.Timedelta(days=364)
    t = {s: latest(eco, s) for s in eco.streams}
    partners, opps, rows = t["partners"], t["opportunities"], t["opportunity_partners"]
    regs, acts = t["deal_registrations"], t["activities"]
    active = partners[_active(partners, end)]
    gold = active[active["tier"].isin(["gold", "platinum"])]
    opps["eur"] = _eur(opps)
    partner_opp = opps["attribution"] != "none"
    won = opps[(opps["status"] == "won") & (opps["closed_on"] >= w0)]
    closed = opps[opps["status"].isin(["won", "lost"]) & (opps["closed_on"] >= w0)]
    created = opps[(opps["created_on"] >= w0) & partner_opp]
    m: dict[str, float] = {}
    sample_days = pd.date_range(w0, end, periods=13)

    m["d1_partner_won_share"] = _ratio(won.loc[won["attribution"] != "none", "eur"].sum(), won["eur"].sum())
    nl = won[won["is_new_logo"]]
    m["d1_new_logo_partner_sourced_share"] = (nl["attribution"] == "sourced").mean()
    plans = t["joint_business_plans"]
    live = plans[(plans["status"] == "active") & (plans["start_on"] <= end) & (plans["end_on"] >= end)]
    m["d1_gold_plus_plan_coverage"] = gold["partner_id"].isin(live["partner_id"]).mean()
    done = plans[(plans["status"] == "completed") & (plans["start_on"] >= eco.truth.index[0])]
    pw = opps[(opps["status"] == "won") & partner_opp]
    got = [pw.loc[(pw["partner_id"] == p.partner_id) & (pw["closed_on"] >= p.start_on) & (pw["closed_on"] <= p.end_on),
                  "amount"].sum() for p in done.itertuples()]
    m["d1_plan_attainment"] = _ratio(sum(got), done["target_revenue"].sum())
    prior = opps[(opps["status"] == "won") & partner_opp & (opps["closed_on"] < w0)
                 & (opps["closed_on"] >= w0 - pd.Timedelta(days=365))]
    m["d1_partner_won_growth"] = _ratio(won.loc[won["attribution"] != "none", "eur"].sum(), prior["eur"].sum()) - 1

    m["d2_owner_coverage"] = active["owner_id"].notna().mean()
    m["d2_partners_per_owner"] = _ratio(active["owner_id"].notna().sum(), active["owner_id"].nunique())
    r = regs[regs["submitted_at"] >= w0]
    hours = (r["decided_at"] - r["submitted_at"]).dt.total_seconds() / 3600
    m["d2_registration_decision_hours"] = hours.median()
    m["d2_registration_decided_48h"] = (hours <= 48).mean()
    m["d2_registration_conflict_share"] = (r["conflict"] != "none").mean()
    m["d2_conflict_resolution_days"] = ((r["conflict_resolved_at"] - r["submitted_at"]).dt.total_seconds()
                                        / 86400).median()
    qbr = acts[(acts["activity_type"] == "qbr") & (acts["occurred_at"] > end - pd.Timedelta(days=120))]
    m["d2_gold_plus_qbr_120d"] = gold["partner_id"].isin(qbr["partner_id"]).mean()
    agr = t["partner_agreements"].merge(partners[["partner_id", "churned_on"]], on="partner_id")
    due = agr[(agr["end_on"] >= w0) & (agr["end_on"] <= end) & ~(agr["churned_on"] <= agr["end_on"])]
    m["d2_agreement_renewed_on_time"] = (due["renewed_on"] <= due["end_on"]).mean()

    p = active["partner_type"].value_counts(normalize=True)
    m["d3_type_entropy"] = float(-(p * np.log(p)).sum() / np.log(6))
    rev = won[won["attribution"] == "sourced"].groupby("partner_id")["eur"].sum()
    s = rev / rev.sum()
    n = len(s)
    m["d3_sourced_revenue_hhi"] = float(((s**2).sum() - 1 / n) / (1 - 1 / n)) if n > 1 else float("nan")
    m["d3_top_partner_share"] = float(s.max()) if n else float("nan")
    recent = end - pd.Timedelta(days=180)
    busy = set(regs.loc[regs["submitted_at"] > recent, "partner_id"]) | set(
        opps.loc[partner_opp & (opps["created_on"] > recent), "partner_id"])
    m["d3_engaged_share_180d"] = active["partner_id"].isin(busy).mean()
    start_active = _active(partners, w0).sum()
    m["d3_annual_churn"] = _ratio(((partners["churned_on"] >= w0) & (partners["churned_on"] <= end)).sum(),
                                  start_active)
    m["d3_regions_covered"] = float(active["region"].nunique())

    certs = t["certifications"]
    valid = certs[(certs["earned_on"] <= end) & (certs["expires_on"] >= end)]
    m["d4_certified_partner_share"] = active["partner_id"].isin(valid["partner_id"]).mean()
    tr = t["training_enrolments"]
    tr = tr[(tr["enrolled_on"] >= w0 - pd.Timedelta(days=60)) & (tr["enrolled_on"] <= end - pd.Timedelta(days=60))]
    m["d4_training_completed_60d"] = ((tr["completed_on"] - tr["enrolled_on"]).dt.days <= 60).mean()
    hs = eco.truth.index[0]
    new = partners[(partners["onboarded_on"] >= hs) & (partners["onboarded_on"] <= end - pd.Timedelta(days=90))]
    first_touch = pd.concat([regs[["partner_id"]].assign(day=regs["submitted_at"].dt.normalize()),
                             opps.loc[partner_opp, ["partner_id"]].assign(day=opps.loc[partner_opp, "created_on"])])
    first_touch = first_touch.groupby("partner_id")["day"].min()
    delay = (new.set_index("partner_id")["onboarded_on"].rsub(first_touch.reindex(new["partner_id"]).values)).dt.days
    m["d4_activated_90d"] = (delay <= 90).mean()
    # First wins that fell in the window, of partners onboarded inside the history.
    first_win = pw.groupby("partner_id")["closed_on"].min()
    first_win = first_win[first_win >= w0]
    onboarded = partners.set_index("partner_id")["onboarded_on"].reindex(first_win.index)
    m["d4_days_to_first_win"] = (first_win - onboarded)[onboarded >= hs].dt.days.median()
    tk = t["support_tickets"]
    tk = tk[tk["opened_at"] >= w0]
    mean_active = np.mean([_active(partners, d).sum() for d in sample_days])
    m["d4_tickets_per_partner_quarter"] = len(tk) / mean_active / 4
    exp = certs.merge(partners[["partner_id", "churned_on"]], on="partner_id")
    exp = exp[(exp["expires_on"] >= w0) & (exp["expires_on"] <= end) & ~(exp["churned_on"] <= exp["expires_on"])]
    pair = certs.groupby(["person_id", "certification_name"])["earned_on"].apply(list)
    renewed = [any(e2 > e and e2 <= x for e2 in pair[(pp, nm)]) for pp, nm, e, x in
               zip(exp["person_id"], exp["certification_name"], exp["earned_on"], exp["expires_on"])]
    m["d4_certification_renewed"] = float(np.mean(renewed)) if renewed else float("nan")

    rows_p = rows.groupby("opportunity_id")
    camps = t["campaigns"]
    co = rows.loc[rows["role"] == "co_sell", "opportunity_id"]
    m["d5_co_sell_share"] = created["opportunity_id"].isin(co).mean()
    wr = closed.assign(win=closed["status"] == "won").groupby(closed["attribution"] != "none")["win"].mean()
    m["d5_win_rate_uplift"] = wr.get(True, np.nan) - wr.get(False, np.nan)
    size = won.groupby(won["attribution"] != "none")["eur"].mean()
    m["d5_deal_size_uplift"] = size.get(True, np.nan) / size.get(False, np.nan) - 1
    cyc = (won["closed_on"] - won["created_on"]).dt.days.groupby(won["attribution"] != "none").median()
    m["d5_cycle_reduction"] = 1 - cyc.get(True, np.nan) / cyc.get(False, np.nan)

    def live_on(d, frame):
        return ((frame["start_on"] <= d) & (frame["end_on"] >= d)).sum()

    joint = camps[camps["is_joint"]]
    m["d5_joint_campaigns_per_10"] = np.mean([live_on(d, joint) / max(1, _active(partners, d).sum()) * 10
                                              for d in sample_days])
    m["d5_joint_campaign_pipeline_share"] = _ratio(created.loc[created["campaign_id"].isin(joint["campaign_id"]),
                                                               "eur"].sum(), created["eur"].sum())
    counts = rows_p.size()
    m["d5_multi_partner_share"] = (created["opportunity_id"].map(counts) >= 2).mean()
    props = camps[camps["campaign_type"] == "joint_proposition"]
    m["d5_live_joint_propositions"] = np.mean([live_on(d, props) for d in sample_days])

    tg = t["partner_targets"]
    cover = []
    for d in sample_days:
        act = partners[_active(partners, d)]
        cur = tg[(tg["period_start"] <= d) & (tg["period_end"] >= d)]
        cover.append(act["partner_id"].isin(cur["partner_id"]).mean())
    m["d6_target_coverage"] = float(np.mean(cover))
    ended = tg[(tg["period_end"] >= w0) & (tg["period_end"] <= end) & (tg["period_start"] >= eco.truth.index[0])]
    pw_by = pw.groupby("partner_id")
    att = []
    for row in ended.itertuples():
        if row.partner_id in pw_by.groups:
            g = pw_by.get_group(row.partner_id)
            att.append(g.loc[(g["closed_on"] >= row.period_start) & (g["closed_on"] <= row.period_end), "amount"].sum()
                       / row.target_amount)
        else:
            att.append(0.0)
    m["d6_target_attainment"] = float(np.median(att)) if att else float("nan")
    m["d6_forecast_within_15d"] = ((won["closed_on"] - won["expected_close_on"]).dt.days.abs() <= 15).mean()
    req, claims, alloc = t["mdf_requests"], t["mdf_claims"], t["mdf_allocations"]
    # Campaigns that ended half a year ago: their deals have had time to close.
    old = camps.loc[camps["end_on"] <= end - pd.Timedelta(days=180), "campaign_id"]
    funded = req[(req["status"] == "approved") & req["campaign_id"].isin(old)]
    mdf_won = opps[(opps["status"] == "won") & opps["campaign_id"].isin(funded["campaign_id"])]
    paid = claims[claims["status"] == "paid"]
    m["d6_mdf_roi"] = _ratio(mdf_won["eur"].sum(), _eur(paid[paid["request_id"].isin(funded["request_id"])]).sum())
    settled = alloc[alloc["period_end"] <= end - pd.Timedelta(days=150)]
    req_q = req.assign(q=req["submitted_on"].dt.to_period("Q"))
    cl = claims[claims["status"] != "rejected"].merge(req_q[["request_id", "q"]], on="request_id")
    cl = cl[cl["q"].isin(settled["period_start"].dt.to_period("Q"))]
    m["d6_mdf_utilisation"] = _ratio(_eur(cl).sum(), _eur(settled).sum())
    sc = acts[acts["activity_type"] == "scorecard_review"]
    m["d6_scorecard_review_share"] = active["partner_id"].isin(
        sc.loc[sc["occurred_at"] > end - pd.Timedelta(days=91), "partner_id"]).mean()
    sc_w = sc[sc["occurred_at"] >= w0]
    q_end = sc_w["occurred_at"].dt.to_period("Q").dt.start_time - pd.Timedelta(days=1)
    lag = (sc_w["occurred_at"].dt.normalize() - q_end).dt.days
    # A review early in a quarter belongs to the quarter before; later ones (long delays) to the one before that.
    m["d6_scorecard_review_delay"] = lag.median()

    conv = regs[(regs["status"] == "approved") & regs["opportunity_id"].notna() & (regs["decided_at"] >= w0)]
    conv = conv.merge(opps[["opportunity_id", "created_on"]], on="opportunity_id")
    m["d7_registration_to_opportunity_days"] = (conv["created_on"] - conv["decided_at"].dt.normalize()).dt.days.median()
    pc = paid[paid["submitted_on"] >= w0 - pd.Timedelta(days=90)]
    m["d7_claim_payout_days"] = (pc["paid_on"] - pc["submitted_on"]).dt.days.median()
    rq = req[(req["submitted_on"] >= w0) & req["decided_on"].notna()]
    m["d7_mdf_decision_days"] = (rq["decided_on"] - rq["submitted_on"]).dt.days.median()
    logins = t["portal_logins"]
    m["d7_portal_active_30d"] = active["partner_id"].isin(
        logins.loc[logins["login_on"] > end - pd.Timedelta(days=30), "partner_id"]).mean()
    fields = ["domain", "region", "country", "tier", "owner_id"]
    m["d7_record_completeness"] = float(active[fields].notna().mean().mean())
    m["d7_registered_opportunity_share"] = created["registration_id"].notna().mean()
    tk = t["support_tickets"]
    tk = tk[tk["opened_at"] >= w0]
    m["d7_ticket_resolution_hours"] = ((tk["resolved_at"] - tk["opened_at"]).dt.total_seconds() / 3600).median()

    sv = t["partner_surveys"]
    ans = sv[(sv["responded_on"] >= w0) & sv["nps_score"].notna()]
    m["d8_nps"] = float(((ans["nps_score"] >= 9).mean() - (ans["nps_score"] <= 6).mean()) * 100)
    sent = sv[(sv["sent_on"] >= w0) & (sv["sent_on"] <= end - pd.Timedelta(days=30))]
    m["d8_survey_response_rate"] = sent["responded_on"].notna().mean()
    a90 = acts[acts["occurred_at"] > end - pd.Timedelta(days=90)]
    m["d8_activities_per_partner_90d"] = len(a90) / len(active)
    aw = acts[acts["occurred_at"] >= w0]
    m["d8_partner_initiated_share"] = (aw["initiated_by"] == "partner").mean()
    m["d8_gold_plus_sponsor_share"] = gold["exec_sponsor_id"].notna().mean()
    ex = acts[(acts["activity_type"] == "exec_meeting") & (acts["occurred_at"] > end - pd.Timedelta(days=182))]
    m["d8_exec_meetings_per_gold_plus_half_year"] = _ratio(ex["partner_id"].isin(gold["partner_id"]).sum(), len(gold))
    return {k: float(v) for k, v in m.items()}


def expected(eco: SandboxEcosystem, stage: str) -> dict[str, float]:
    """Each anchor at the mean latent quality of its dimension over the last year."""
    q = eco.truth.iloc[-365:].mean()
    return {name: float(anchor(name, q[a.dimension], stage)) for name, a in ANCHORS.items()}


def _run(stage: str, end: date) -> dict[int, tuple[dict[str, float], dict[str, float], float]]:
    results = {}
    for level in range(1, 6):
        profile = SandboxProfile(stage=stage, maturity=level, seed=7, history_start=end - timedelta(days=730))
        started = time.perf_counter()
        eco = generate_ecosystem(profile, end)
        seconds = time.perf_counter() - started
        results[level] = (measure(eco), expected(eco, stage), seconds)
    return results


def main(argv: list[str]) -> None:
    markdown = "--markdown" in argv
    stages = [a for a in argv if not a.startswith("--")] or ["growth"]
    end = date(2025, 12, 31)
    for stage in stages:
        results = _run(stage, end)
        if markdown:
            print(f"\n{stage}, seed 7, {end - timedelta(days=730)}..{end}, last 365 days: measured (anchor at the "
                  f"year's mean quality)\n")
            print("| behaviour | q=0 -> q=1 | " + " | ".join(f"L{k}" for k in results) + " |")
            print("|---|---|" + "---|" * len(results))
            for name, a in ANCHORS.items():
                hi = a.by_stage.get(stage, a.at_q1)
                cells = " | ".join(f"{results[k][0].get(name, np.nan):.2f} ({results[k][1][name]:.2f})"
                                   for k in results)
                print(f"| `{name}` | {a.at_q0:g} -> {hi:g} | {cells} |")
            continue
        print(f"\n{stage}: generation seconds " + ", ".join(f"L{k} {v[2]:.2f}" for k, v in results.items()))
        print(f"{'behaviour':45s}" + "".join(f"   L{k} meas/exp  " for k in results))
        for name in ANCHORS:
            cells = "".join(f"{results[k][0].get(name, np.nan):9.2f}/{results[k][1][name]:<7.2f}" for k in results)
            print(f"{name:45s}{cells}")


if __name__ == "__main__":
    main(sys.argv[1:])
