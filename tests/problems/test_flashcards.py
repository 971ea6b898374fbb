"""The practice page's ten flashcards, as the domain holds them."""

from __future__ import annotations

import dataclasses
import re

import pytest

from problems.flashcards import FLASHCARDS, Flashcard

# Clients and printed decks refer to cards by id: these never change.
IDS = [
    "latent-variable-model",
    "elbo-by-jensen",
    "reconstruction-minus-kl",
    "what-each-term-wants",
    "the-gap",
    "two-gains-at-once",
    "comparing-likelihoods",
    "posterior-collapse",
    "why-the-log",
    "forward-kl",
]


def test_there_are_ten_cards_with_their_stable_ids_in_order():
    assert [card.id for card in FLASHCARDS] == IDS


@pytest.mark.parametrize("card", FLASHCARDS, ids=IDS)
def test_each_card_is_a_question_and_its_answer(card: Flashcard):
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", card.id)
    assert card.front.endswith(("?", ".")) and len(card.front) < 120
    assert len(card.back) > len(card.front)


@pytest.mark.parametrize("card", FLASHCARDS, ids=IDS)
def test_math_is_delimited_in_pairs(card: Flashcard):
    for text in (card.front, card.back):
        assert text.count("$") % 2 == 0
        assert all(formula.strip() for formula in re.findall(r"\$([^$]*)\$", text))
        # Outside $…$ there is no TeX.
        assert "\\" not in re.sub(r"\$[^$]*\$", "", text)


@pytest.mark.parametrize(
    ("card_id", "facts"),
    [
        ("the-gap", ["\\ln p(x) - \\mathrm{ELBO}(x; q) = \\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z \\mid x))"]),
        ("reconstruction-minus-kl", ["\\mathbb{E}_{q(z \\mid x)}[\\ln p(x \\mid z)]", "\\mathrm{KL}(q(z \\mid x)"]),
        ("posterior-collapse", ["$q(z \\mid x) = p(z)$"]),
        ("why-the-log", ["concave", "\\ln \\mathbb{E}[Y] \\geq \\mathbb{E}[\\ln Y]"]),
    ],
)
def test_the_cards_state_the_pages_facts(card_id: str, facts: list[str]):
    card = next(card for card in FLASHCARDS if card.id == card_id)
    for fact in facts:
        assert fact in card.back


def test_cards_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FLASHCARDS[0].front = "changed"
