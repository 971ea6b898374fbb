"""Problem sets: each student's own variant of each item.

A variant depends only on (set seed, student id, item index), never on who
else is on the roster or in what order.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, make_problem
from .registry import template as find_template
from .template import DEFAULT_DIFFICULTY
from .variants import generate_params, variant_seed


@dataclass(frozen=True)
class Item:
    """One exercise of a set: a template at a difficulty."""

    template: str
    difficulty: str = DEFAULT_DIFFICULTY

    def __post_init__(self) -> None:
        find_template(self.template).check_difficulty(self.difficulty)


def student_problem(set_seed: int, student_id: str, index: int, item: Item) -> Problem:
    """The student's variant of item `index`, made and solved."""
    seed = variant_seed(set_seed, student_id, index)
    return make_problem(item.template, generate_params(item.template, seed, item.difficulty), seed, item.difficulty)


def student_problems(set_seed: int, student_id: str, items: tuple[Item, ...]) -> tuple[Problem, ...]:
    """The student's variants of every item, in item order."""
    return tuple(student_problem(set_seed, student_id, index, item) for index, item in enumerate(items))
