"""The signal catalogue: every metric card, registered by the `signal` decorator in the dimension modules."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable

from signals.card import Freshness, MetricCard, SignalResult

_CATALOGUE: dict[str, MetricCard] = {}
_PARTNER: dict[str, tuple[str, Callable]] = {}
_DIMENSION_MODULES = (
    "signals.d1_strategy",
    "signals.d2_governance",
    "signals.d3_portfolio",
    "signals.d4_enablement",
    "signals.d5_joint_value",
    "signals.d6_performance",
    "signals.d7_operations",
    "signals.d8_culture",
)


def signal(*, freshness: Freshness | None = None, **card: object) -> Callable:
    """Register the decorated function as the computation of a metric card."""

    def register(func: Callable[..., SignalResult]) -> Callable[..., SignalResult]:
        entry = MetricCard(compute=func, freshness=freshness, **card)  # type: ignore[arg-type]
        if entry.id in _CATALOGUE:
            raise ValueError(f"signal {entry.id!r} is registered twice")
        _CATALOGUE[entry.id] = entry
        return func

    return register


def partner_values(signal_id: str, meaning: str) -> Callable:
    """Register the decorated function as the partner-level breakdown of signal `signal_id`.

    It takes the context and returns one row per (as_of, partner in the programme that day): columns as_of,
    partner_id, value, n. `meaning` says in one sentence what one partner's value is and how the partners' values
    roll up to the ecosystem value."""

    def register(func: Callable) -> Callable:
        if signal_id in _PARTNER:
            raise ValueError(f"signal {signal_id!r} has two partner-level breakdowns")
        _PARTNER[signal_id] = (meaning, func)
        return func

    return register


def catalogue() -> dict[str, MetricCard]:
    """All metric cards by id, in dimension order (with their partner-level breakdown where there is one)."""
    for module in _DIMENSION_MODULES:
        importlib.import_module(module)
    unknown = sorted(set(_PARTNER) - set(_CATALOGUE))
    if unknown:
        raise ValueError(f"partner-level breakdown for {unknown[0]!r}, which has no metric card")
    cards = {sid: (dataclasses.replace(card, partner_value=_PARTNER[sid][0], partner_compute=_PARTNER[sid][1])
                   if sid in _PARTNER else card) for sid, card in _CATALOGUE.items()}
    return dict(sorted(cards.items(), key=lambda item: (item[1].dimension, item[0])))


def check_against_model(model) -> None:
    """The catalogue and the scoring model must list the same signals, in the same dimension and direction."""
    cards = catalogue()
    in_model = {s.id: s for s in model.signals}
    only_cards = sorted(set(cards) - set(in_model))
    only_model = sorted(set(in_model) - set(cards))
    if only_cards:
        raise ValueError(f"signal {only_cards[0]!r} has a metric card but no goalposts in the model file")
    if only_model:
        raise ValueError(f"signal {only_model[0]!r} is in the model file but has no metric card")
    for sid, card in cards.items():
        spec = in_model[sid]
        if spec.dimension != card.dimension:
            raise ValueError(f"signal {sid!r}: card says {card.dimension}, model file says {spec.dimension}")
        for stage, goalposts in spec.goalposts.items():
            if goalposts.higher_is_better != card.higher_is_better:
                raise ValueError(f"signal {sid!r}: card says {card.direction} is better, but the {stage} goalposts "
                                 f"point the other way")
