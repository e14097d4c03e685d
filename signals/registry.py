"""The signal catalogue: every metric card, registered by the `signal` decorator in the dimension modules."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from signals.card import Freshness, MetricCard, SignalResult

_CATALOGUE: dict[str, MetricCard] = {}
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


def catalogue() -> dict[str, MetricCard]:
    """All metric cards by id, in dimension order."""
    for module in _DIMENSION_MODULES:
        importlib.import_module(module)
    return dict(sorted(_CATALOGUE.items(), key=lambda item: (item[1].dimension, item[0])))


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
