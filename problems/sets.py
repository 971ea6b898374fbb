"""Problem sets: each student's own variant of each item.

A seeded item's variant depends only on (set seed, student id, item index),
never on who else is on the roster or in what order. An authored item gives
every student the same params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from .problem import Problem, make_problem
from .registry import template as find_template
from .template import DEFAULT_DIFFICULTY, TemplateParams
from .variants import generate_params, variant_seed


@dataclass(frozen=True)
class Item:
    """One exercise of a set: a template at a difficulty, or with authored params
    (then without a difficulty)."""

    template: str
    difficulty: str | None = DEFAULT_DIFFICULTY
    params: TemplateParams | None = None

    def __post_init__(self) -> None:
        found = find_template(self.template)
        if self.params is None:
            found.check_difficulty(self.difficulty or "")
        elif self.difficulty is not None:
            raise ValueError("an authored item has no difficulty")

    @classmethod
    def authored(cls, template: str, params: TemplateParams) -> Item:
        return cls(template, None, params)

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "difficulty": self.difficulty,
                "params": None if self.params is None else self.params.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        """The inverse of `to_json` (sets made before authored items have no params)."""
        params = data.get("params")
        if params is None:
            return cls(data["template"], data["difficulty"])
        return cls.authored(data["template"], find_template(data["template"]).params_from_json(params))


@lru_cache(maxsize=64)  # one authored item is the same problem for a whole roster
def _authored_problem(template: str, params: TemplateParams) -> Problem:
    return make_problem(template, params)


def item_problem(item: Item) -> Problem | None:
    """The problem every student gets for an authored item; None for a seeded one."""
    return None if item.params is None else _authored_problem(item.template, item.params)


def student_problem(set_seed: int, student_id: str, index: int, item: Item) -> Problem:
    """The student's variant of item `index`, made and solved."""
    authored = item_problem(item)
    if authored is not None:
        return authored
    seed = variant_seed(set_seed, student_id, index)
    difficulty = cast(str, item.difficulty)  # a seeded item has one
    return make_problem(item.template, generate_params(item.template, seed, difficulty), seed, difficulty)


def student_problems(set_seed: int, student_id: str, items: tuple[Item, ...]) -> tuple[Problem, ...]:
    """The student's variants of every item, in item order."""
    return tuple(student_problem(set_seed, student_id, index, item) for index, item in enumerate(items))
