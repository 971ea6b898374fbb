"""What a template is: one object that owns everything about one exercise.

The engine (variants, solutions, problems), the grader and the API read a
template only through this interface, so a new exercise is one module that
subclasses `Template` and one `registry.register` call; nothing else
branches on a template's id.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

from .errors import UnknownDifficulty
from .exact import Exact
from .steps import Step

DIFFICULTIES = ("easy", "standard", "hard")
DEFAULT_DIFFICULTY = "standard"


class TemplateParams(Protocol):
    """What the engine needs of a variant's params; a frozen dataclass with `to_json` has it all."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, read back by the template's `params_from_json`."""
        ...

    def __hash__(self) -> int: ...  # mistake values are cached by params


P = TypeVar("P", bound=TemplateParams)


@dataclass(frozen=True)
class Mistake:
    """A named mistake: its code, the keys it can affect and what it means."""

    code: str
    keys: frozenset[str]
    explanation: str


@dataclass(frozen=True)
class FollowThrough(Generic[P]):
    """How a key follows from the student's own answers: the keys it is computed
    from and the formula. `value` may raise ValueError, ZeroDivisionError or
    OverflowError where the student's inputs leave it undefined."""

    inputs: tuple[str, ...]
    value: Callable[[P, Mapping[str, float]], float]


class Template(ABC, Generic[P]):
    """An exercise: what it asks, its variants and how to solve, explain and diagnose them."""

    id: str
    title: str
    description: str
    # The keys asked, in the order they are asked.
    answer_keys: tuple[str, ...]
    difficulties: tuple[str, ...] = DIFFICULTIES
    # Pairs of keys equal by an identity of the model, so allowed to coincide.
    identities: frozenset[frozenset[str]] = frozenset()
    # Code → mistake, for every code `mistake_values` can give.
    mistakes: Mapping[str, Mistake]
    # Key → how it follows from other keys; keys absent here get no follow-through credit.
    follow_through: Mapping[str, FollowThrough[P]]
    # A JSON schema (OpenAPI 3.0) of the params as JSON, authored or as `to_json` writes them.
    params_schema: Mapping[str, Any]

    @cached_property
    def inputs(self) -> dict[str, tuple[str, ...]]:
        """For each key, the keys its follow-through value is computed from."""
        return {key: carry.inputs for key, carry in self.follow_through.items()}

    def check_difficulty(self, difficulty: str) -> str:
        """The difficulty if the template offers it, or UnknownDifficulty."""
        if difficulty not in self.difficulties:
            raise UnknownDifficulty(difficulty, self.difficulties)
        return difficulty

    @abstractmethod
    def draw(self, rng: random.Random, difficulty: str) -> P:
        """One candidate variant, from `rng` only; the engine redraws until it is gradeable."""

    def valid(self, params: P) -> bool:
        """Whether a drawn variant makes sense as an exercise (beyond being gradeable)."""
        return True

    @abstractmethod
    def parse_params(self, raw: Mapping[str, object]) -> P:
        """Authored params, validated; InvalidParams with one message per bad param."""

    @abstractmethod
    def params_from_json(self, data: Mapping[str, Any]) -> P:
        """The inverse of the params' `to_json`, for values this engine wrote."""

    @abstractmethod
    def solve(self, params: P) -> dict[str, Exact]:
        """Each answer key exactly, in the template's order."""

    @abstractmethod
    def approximate(self, params: P) -> dict[str, float]:
        """Each answer key as a float, quickly (for the gradeability checks)."""

    @abstractmethod
    def statement(self, params: P) -> str:
        """The exercise text with the variant's numbers (Markdown with TeX)."""

    @abstractmethod
    def prompts(self, params: P) -> dict[str, str]:
        """One short prompt per answer key."""

    @abstractmethod
    def steps(self, params: P) -> tuple[Step, ...]:
        """The worked solution; every answer key in exactly one step."""

    @abstractmethod
    def mistake_values(self, params: P) -> dict[str, dict[str, tuple[float, ...]]]:
        """Key → mistake code → the value(s) it gives, where they differ from the right one."""

    @abstractmethod
    def symbol(self, key: str, params: P) -> str:
        """How a key is written in feedback, e.g. "p(x = 1)"."""
