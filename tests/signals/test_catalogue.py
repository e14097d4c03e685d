"""The catalogue is complete: 12 to 20 signals per dimension, every card filled in, and the generated docs current."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from apex_model.model import DIMENSION_IDS, load_model
from signals import docs
from signals.card import MetricCard
from signals.context import CANONICAL_TABLES
from signals.registry import catalogue, check_against_model

CARDS = catalogue()
TEXT_FIELDS = ("name_en", "name_nl", "question", "definition", "formula", "attribution", "not_applicable", "biases",
               "goalpost_reason")


def test_every_dimension_has_12_to_20_signals() -> None:
    per_dimension = Counter(card.dimension for card in CARDS.values())
    assert set(per_dimension) == set(DIMENSION_IDS)
    for dim in DIMENSION_IDS:
        assert 12 <= per_dimension[dim] <= 20, (dim, per_dimension[dim])
    assert len(CARDS) >= 96


def test_catalogue_and_model_agree() -> None:
    check_against_model(load_model())     # same ids, dimensions and directions; goalposts for every stage


@pytest.mark.parametrize("signal_id", list(CARDS))
def test_card_is_complete(signal_id) -> None:
    card: MetricCard = CARDS[signal_id]
    for name in TEXT_FIELDS:
        value = getattr(card, name)
        assert isinstance(value, str) and value.strip(), f"{signal_id}: {name} is empty"
    assert card.id.startswith(f"d{card.dimension[1]}_")
    assert card.question.endswith("?"), f"{signal_id}: the question should be a question"
    assert card.min_n >= 1
    assert card.window_days is None or card.window_days > 0
    assert card.data_needed and set(card.data_needed) <= set(CANONICAL_TABLES), signal_id
    # Partner level exactly when there is a partner-level breakdown, and then it says what a partner's value means.
    assert (card.level == "partner") == (card.partner_compute is not None), signal_id
    assert (card.level == "partner") == bool(card.partner_value.strip()), signal_id
    goalposts = load_model().signal(signal_id).goalposts
    assert set(goalposts) == set(load_model().stage_ids)


def test_names_are_unique_in_both_languages() -> None:
    for field in ("name_en", "name_nl"):
        names = [getattr(c, field) for c in CARDS.values()]
        assert len(set(names)) == len(names), [n for n, k in Counter(names).items() if k > 1]


def test_card_fields_are_the_template() -> None:
    # The card follows the metric-card template (scoring_methods §4.1): a new template field needs a doc line too.
    fields = {f.name for f in dataclasses.fields(MetricCard)}
    rendered = docs.render()
    assert {"question", "definition", "formula", "unit", "direction", "window_days", "attribution", "min_n",
            "data_needed", "level", "not_applicable", "biases", "goalpost_reason", "freshness"} <= fields
    for label in ("Question", "Definition", "Formula", "Attribution", "Minimum n", "Data needed", "Level",
                  "Goalposts", "Not applicable", "Freshness", "Known biases"):
        assert f"**{label}**" in rendered


def test_docs_signals_md_is_current() -> None:
    assert docs.DOC_PATH.read_text(encoding="utf-8") == docs.render(), \
        "docs/signals.md is out of date: run `.venv/bin/python -m signals.docs`"
