"""The detector on synthetic series with known answers: a step, a slow slide, a spike, noise only, quarter-end."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from apex_model.drift import ALERT, DATA_QUALITY, LEARNING, DriftSettings, Rebase, detect, explain_change, onset

DAYS = pd.date_range("2025-01-01", periods=400, freq="D")


def ar_noise(seed: int, sd: float = 1.5, phi: float = 0.9, n: int = len(DAYS)) -> np.ndarray:
    """Autocorrelated noise like a rolling-window score's (AR(1), stationary standard deviation `sd`)."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, sd * np.sqrt(1 - phi ** 2), n)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def run(values: np.ndarray, settings: DriftSettings | None = None, **kwargs) -> pd.DataFrame:
    return detect(pd.DataFrame({"D4": values}, index=DAYS), settings, **kwargs)


def alarm_days(result: pd.DataFrame) -> list[pd.Timestamp]:
    opened = result[(result["event"] == ALERT) & (result["episode"] == "open")
                    & (pd.to_datetime(result["episode_start"]) == result["as_of"])]
    return list(opened["as_of"])


@pytest.mark.parametrize("seed", range(8))
def test_noise_only_raises_nothing(seed) -> None:
    result = run(60 + ar_noise(seed))
    assert alarm_days(result) == []
    # Learning first: 56 usable days before anything is evaluated.
    assert (result["event"].iloc[:56] == LEARNING).all()


def test_step_down_is_found_within_days_in_the_right_direction() -> None:
    values = 60 + ar_noise(1)
    values[250:] -= 12
    result = run(values)
    days = alarm_days(result)
    assert len(days) == 1
    assert DAYS[250] <= days[0] <= DAYS[250 + 3]
    row = result[result["as_of"] == days[0]].iloc[0]
    assert row["direction"] == "down" and row["deviation"] <= -8
    assert row["baseline"] == pytest.approx(60, abs=2)


def test_step_smaller_than_the_minimum_effect_is_not_told() -> None:
    # 3 points under the default minimum effect (6.5), with noise of 1 point.
    values = 60 + ar_noise(2, sd=1.0)
    values[250:] -= 3.5
    assert alarm_days(run(values)) == []
    # ... unless the organisation says 3 points matter for this dimension.
    assert len(alarm_days(run(values, DriftSettings(min_effect_by_series={"D4": 3})))) == 1


def test_slow_slide_is_found_once_it_adds_up() -> None:
    values = 60 + ar_noise(3, sd=1.0)
    values[200:320] -= np.linspace(0, 15, 120)       # 15 points over four months
    values[320:] -= 15
    days = alarm_days(run(values))
    assert len(days) == 1
    # The score had slid by the minimum effect by day 252 (0.125 points a day); the alarm comes around then (the
    # noise of a point or two may carry a slide 2 points short of it over the effect a little earlier), not months
    # later.
    effect_day = 200 + int(DriftSettings().min_effect("D4") / 0.125)
    assert DAYS[effect_day - 16] - pd.Timedelta(days=2) <= days[0] <= DAYS[effect_day + 21]


def test_one_day_spike_is_ignored_but_a_two_day_shock_is_not() -> None:
    values = 60 + ar_noise(4, sd=0.8)
    spiked = values.copy()
    spiked[300] -= 25
    assert alarm_days(run(spiked)) == []
    shocked = values.copy()
    shocked[300:302] -= 25
    result = run(shocked)
    days = alarm_days(result)
    assert days == [DAYS[301]]
    assert result.loc[result["as_of"] == DAYS[301], "trigger"].iloc[0] in ("shock", "cusum")


def test_alarm_episode_resolves_when_the_score_returns() -> None:
    values = 60 + ar_noise(5, sd=0.8)
    values[250:280] += 14
    result = run(values)
    assert len(alarm_days(result)) == 1
    returned = result[result["episode"] == "returned"]
    assert len(returned) == 1 and DAYS[280] <= returned["as_of"].iloc[0] <= DAYS[286]


def test_quarter_end_pattern_is_quiet_when_compared_with_the_same_days_of_earlier_quarters() -> None:
    days = pd.date_range("2024-01-01", periods=640, freq="D")
    quarter_day = np.array([(d - d.to_period("Q").start_time).days for d in days])
    pattern = np.where(quarter_day >= 75, -11.0, 0.0)          # the last two weeks of every quarter dip 11 points
    values = 60 + pattern + ar_noise(6, sd=0.8, n=len(days))
    frame = pd.DataFrame({"D6": values}, index=days)
    naive = detect(frame, DriftSettings())
    seasonal = detect(frame, DriftSettings(quarter_seasonal=("D6",), learning_days=300))
    after_year = lambda r: [d for d in alarm_days(r) if d >= days[400]]  # noqa: E731
    assert len(after_year(naive)) >= 1
    assert after_year(seasonal) == []


def test_low_coverage_is_a_data_quality_event_not_an_alert() -> None:
    values = 60 + ar_noise(7, sd=0.8)
    values[250:] -= 15
    gates = pd.DataFrame({"D4": [None] * len(DAYS)}, index=DAYS, dtype=object)
    gates.iloc[250:, 0] = "coverage 55% below 70%"
    result = run(values, gate_reasons=gates)
    assert alarm_days(result) == []
    gated = result[result["as_of"] >= DAYS[250]]
    assert (gated["event"] == DATA_QUALITY).all() and gated["reason"].str.contains("coverage 55%").all()


def test_new_normal_rebases_and_ends_the_episode() -> None:
    values = 60 + ar_noise(8, sd=0.8)
    values[250:] -= 14
    before = run(values)
    assert len(alarm_days(before)) == 1
    after = run(values, rebases=[Rebase("D4", DAYS[260].date())])
    assert after.loc[after["as_of"] == DAYS[260], "episode"].iloc[0] == "rebased"
    later = after[after["as_of"] > DAYS[262]]
    assert later["baseline"].dropna().between(44, 48).all()
    assert alarm_days(after) == alarm_days(before)


def test_a_day_alone_equals_that_day_inside_a_longer_run() -> None:
    values = 60 + ar_noise(9)
    values[250:] -= 12
    full = run(values)
    cut = detect(pd.DataFrame({"D4": values[:300]}, index=DAYS[:300]))
    pd.testing.assert_frame_equal(full[full["as_of"] <= DAYS[299]].reset_index(drop=True), cut)


def test_onset_finds_the_start_of_a_shift() -> None:
    days = pd.date_range("2025-01-01", periods=120)
    values = np.r_[np.full(70, 50.0), np.full(50, 40.0)] + ar_noise(10, sd=0.5, n=120)
    assert onset(days, values) == days[70]


def test_explain_change_adds_up_to_the_change() -> None:
    weights = {"a": 1.0, "b": 1.0, "c": 2.0}
    before = {"a": 60.0, "b": 40.0, "c": 50.0}        # score 50
    after = {"a": 30.0, "c": 50.0}                    # b went missing; score (30 + 100) / 3 = 43.33
    parts, coverage = explain_change(before, after, weights)
    assert parts == pytest.approx({"a": -10.0, "c": 0.0})
    assert sum(parts.values()) + coverage == pytest.approx(130 / 3 - 50)


def test_settings_reject_unknown_series_and_bad_windows() -> None:
    with pytest.raises(ValueError, match="unknown series 'D9'"):
        DriftSettings(min_effect_by_series={"D9": 5})
    with pytest.raises(ValueError, match="baseline_lag_days"):
        DriftSettings(baseline_lag_days=(63, 29))
    assert DriftSettings(min_effect_by_series={"D4": 10}).min_effect("D4") == 10
    assert DriftSettings().min_effect("D1") == 6.5


def test_stage_settings_replace_the_general_ones_but_not_a_per_series_effect() -> None:
    settings = DriftSettings(min_effect_by_series={"D2": 5})
    early = settings.for_stage("early_stage")
    assert early.min_effect("D1") == 18 and early.max_hold_days == 30
    assert early.min_effect("D2") == 5
    assert settings.for_stage("growth") == settings and settings.for_stage(None) == settings
    custom = DriftSettings(by_stage={"mature": {"cusum_h": 9}})
    assert custom.for_stage("mature").cusum_h == 9 and custom.for_stage("early_stage").min_effect("D1") == 6.5
    # An organisation's own minimum effect beats the built-in early-stage default; a written by_stage beats both.
    assert DriftSettings(min_effect_points=15).for_stage("early_stage").min_effect("D1") == 15
    assert DriftSettings(min_effect_points=15).for_stage("early_stage").max_hold_days == 30
    written = DriftSettings(min_effect_points=15, by_stage={"early_stage": {"min_effect_points": 12}})
    assert written.for_stage("early_stage").min_effect("D1") == 12


def test_a_plateau_below_the_effect_does_not_keep_the_baseline_forever() -> None:
    # A 5-point plateau: evidence of a shift of at least delta/2 builds, but it never reaches the 7-point effect.
    # Holding the old baseline for months would let the next wiggle of an ordinary size look like a 7-point shift.
    values = 60 + ar_noise(9, sd=0.5)
    values[150:] -= 5.0
    values[260:263] -= 3.0      # three days 8 points below the old level, 3 below the new one
    held = run(values, DriftSettings(max_hold_days=10_000))
    released = run(values)
    assert alarm_days(held) == [DAYS[262]] or len(alarm_days(held)) == 1
    assert alarm_days(released) == []
    rows = released[released["as_of"] == DAYS[259]].iloc[0]
    assert rows["baseline"] == pytest.approx(55, abs=1.5)   # the moving baseline has reached the plateau


def test_scale_is_not_shrunk_by_a_plateau_of_constant_deviations() -> None:
    # A 5-point step under a large minimum effect (no alarm, so no episode): the evidence builds and holds the old
    # baseline for months, so the deviations the detector judges are all about -5. The normal variation must stay
    # that of the noise (measured on deviations from the moving baseline), not shrink towards the 1-point floor as
    # the MAD of a column of near-constant deviations would.
    noise = 60 + ar_noise(10, sd=2.0)
    stepped = noise.copy()
    stepped[200:] -= 5.0
    settings = DriftSettings(max_hold_days=10_000, min_effect_points=20, reference_fraction=0.1)   # k = 2 points
    plain = run(noise, settings).set_index("as_of")["sigma"]
    held = run(stepped, settings).set_index("as_of")
    assert (held["cusum_down"].loc[DAYS[230]:DAYS[330]] > 0).mean() > 0.5     # the baseline was held
    later = held["sigma"].loc[DAYS[300]:]
    assert (later >= 0.4 * plain.loc[DAYS[300]:]).all()
    assert later.min() > 1.5


def test_onset_dates_a_slow_slide_at_its_knee() -> None:
    """A rolling-window score turns a collapse into a slide; the start is where the slide begins, not its middle."""
    days = pd.date_range("2025-01-01", periods=240)
    values = np.r_[np.full(100, 60.0), 60.0 - 0.15 * np.arange(140)] + ar_noise(11, sd=0.5, n=240)
    found = onset(days, values)
    assert abs((found - days[100]).days) <= 10


def test_a_slide_too_slow_for_the_cusum_is_found_by_the_slide_rule() -> None:
    # 12 points over 220 days: the lagged baseline keeps within ~4 points of the score, so the deviation never
    # reaches the 7-point effect; the level passes five 45-day-apart levels in order and adds up to 9 points.
    values = 60 + ar_noise(12, sd=0.8)
    values[100:320] -= np.linspace(0, 12, 220)
    values[320:] -= 12
    assert alarm_days(run(values, DriftSettings(slide_points=None))) == []
    result = run(values)
    days = alarm_days(result)
    assert len(days) == 1
    row = result[result["as_of"] == days[0]].iloc[0]
    assert row["trigger"] == "slide" and row["direction"] == "down"
    # Found once the slide has added up to about the slide size (8 points by day 250, 9 by day 265), against the
    # level from before the slide (60), not the lagged baseline that followed it.
    assert DAYS[240] <= days[0] <= DAYS[290]
    assert row["deviation"] > -7 and row["episode_baseline"] == pytest.approx(60, abs=1.5)


def test_a_signal_coming_back_is_not_a_move_when_the_composition_is_known() -> None:
    # A signal that sits 12 points above the others comes back on day 250: the dimension jumps although no signal
    # moved. Told as a move without the composition, ignored with it; a real step of the same size still counts.
    values = 60 + ar_noise(3)
    values[250:] += 12
    composition = pd.DataFrame({"D4": np.where(np.arange(len(DAYS)) == 250, 12.0, 0.0)}, index=DAYS)
    assert len(alarm_days(run(values))) == 1
    judged = run(values, composition=composition)
    assert alarm_days(judged) == []
    # Levels are reported in the day's own composition: after the signal came back the baseline includes it.
    late = judged[judged["as_of"] == DAYS[350]].iloc[0]
    assert late["score"] == pytest.approx(values[350])
    assert late["baseline"] == pytest.approx(72, abs=2)
    assert late["deviation"] == pytest.approx(late["score"] - late["baseline"])
    assert len(alarm_days(run(values, DriftSettings(like_for_like=False), composition=composition))) == 1

    real = values.copy()
    real[300:] -= 12
    found = alarm_days(run(real, composition=composition))
    assert len(found) == 1 and DAYS[300] <= found[0] <= DAYS[303]


def test_like_for_like_chains_the_moves_of_what_was_present() -> None:
    from apex_model.drift import like_for_like

    scores = pd.DataFrame({"D1": [50.0, 56.0, 57.0, 51.0]}, index=DAYS[:4])
    composition = pd.DataFrame({"D1": [0.0, 6.0, 0.0, -5.0]}, index=DAYS[:4])
    assert like_for_like(scores, composition)["D1"].tolist() == pytest.approx([50.0, 50.0, 51.0, 50.0])
    assert like_for_like(scores, None) is scores
