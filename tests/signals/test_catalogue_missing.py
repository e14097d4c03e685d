"""The missing and not-applicable case of every signal: no data means no value, never a made-up one."""

from __future__ import annotations

import numpy as np
import pytest

from signals.registry import catalogue
from tests.signals import tiny

SIGNALS = list(catalogue())
DAY = "2026-06-30"


@pytest.mark.parametrize("signal_id", SIGNALS)
def test_no_data_at_all_is_missing_or_not_applicable(signal_id) -> None:
    ctx = tiny.context(DAY)
    result = tiny.run(signal_id, ctx)
    assert np.isnan(result.value[0]) or tiny.status(signal_id, ctx) == ["not_applicable"], \
        f"{signal_id} gives {result.value[0]} without any data"
    assert tiny.status(signal_id, ctx)[0] in ("missing", "not_applicable")


@pytest.mark.parametrize("signal_id", SIGNALS)
def test_partners_without_events_is_not_present(signal_id) -> None:
    # Three partners in the programme and nothing else: no signal can claim a present value below its minimum n
    # unless it measures the partner list itself (portfolio shape, record completeness) or counts things that are
    # truly zero.
    ctx = tiny.context(DAY, partners=tiny.partners(("p1", "2025-01-01"), ("p2", "2025-01-01"), ("p3", "2025-02-01")),
                       partner_versions=tiny.versions(("p1", "2025-01-01", None, "gold", None, None),
                                                      ("p2", "2025-01-01", None, "registered", None, None),
                                                      ("p3", "2025-02-01", None, "registered", None, None)))
    result = tiny.run(signal_id, ctx)
    assert result.value.shape == (1,) and result.n.shape == (1,)
    assert tiny.status(signal_id, ctx)[0] in ("present", "missing", "not_applicable")
