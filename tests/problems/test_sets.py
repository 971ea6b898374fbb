"""Problem sets: a student's variants depend on the set seed, their id and the item only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problems import UnknownDifficulty, UnknownTemplate
from problems.sets import Item, student_problems

ITEMS = (Item("elbo-gap", "standard"), Item("tight-bound", "hard"))
student_ids = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=20)


@settings(max_examples=50, deadline=None)
@given(set_seed=st.integers(0, 2**63 - 1), student=student_ids,
       others=st.lists(student_ids, max_size=5))
def test_variants_ignore_the_rest_of_the_roster(set_seed, student, others):
    alone = student_problems(set_seed, student, ITEMS)
    # Make the other students' problems first, as a larger roster would.
    for other in others:
        student_problems(set_seed, other, ITEMS)
    again = student_problems(set_seed, student, ITEMS)
    assert [p.params for p in alone] == [p.params for p in again]
    assert [p.template for p in alone] == ["elbo-gap", "tight-bound"]
    assert [p.difficulty for p in alone] == ["standard", "hard"]


def test_different_students_usually_get_different_variants():
    params = {student_problems(2026, f"s{i}", ITEMS)[0].params for i in range(50)}
    assert len(params) > 40


def test_items_are_validated():
    with pytest.raises(UnknownTemplate):
        Item("nope")
    with pytest.raises(UnknownDifficulty):
        Item("elbo-gap", "brutal")
