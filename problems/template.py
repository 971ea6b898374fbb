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
from .figures import Figure
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


class ExactValue(Protocol):
    """What an exact answer offers when its problem is made: its forms and its value.

    `Exact` (a rational plus logs of rationals) has them all; a template whose
    answers leave that form brings its own type. Each form is stored with the
    problem, so grading needs none of these types, nor sympy.
    """

    def __str__(self) -> str:
        """Sympy's input syntax, for programs."""
        ...

    def latex(self) -> str:
        """LaTeX with `\\ln` for natural logs."""
        ...

    def text(self) -> str:
        """As a student reads it, in the notation of the worked steps (`ln`, decimals, `·`)."""
        ...

    def value(self) -> float:
        """The float nearest the exact value."""
        ...


@dataclass(frozen=True)
class Mistake:
    """A named mistake: its code, the keys it can affect and what it means."""

    code: str
    keys: frozenset[str]
    explanation: str


@dataclass(frozen=True)
class Quantity:
    """How feedback names a key: a formula, a noun or both ("reconstruction term E_q[…]").

    A noun takes "your" and "the" before it; a bare formula such as p(x = 1)
    takes "your" but no article, so sentences read right whichever a key has.
    """

    symbol: str = ""
    noun: str = ""

    @property
    def name(self) -> str:
        """The noun then the formula, e.g. "gap ln p(x = 1) - ELBO"."""
        return f"{self.noun} {self.symbol}" if self.noun and self.symbol else self.noun or self.symbol

    @property
    def definite(self) -> str:
        """As the subject of a sentence: "the ELBO", "p(x = 1)"."""
        return f"the {self.name}" if self.noun else self.name

    @property
    def own(self) -> str:
        """The student's answer to it: "your ELBO", "your p(x = 1)"."""
        return f"your {self.name}"


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
    def solve(self, params: P) -> Mapping[str, ExactValue]:
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
    def quantity(self, key: str, params: P) -> Quantity:
        """How feedback names a key, e.g. `Quantity("p(x = 1)")` or `Quantity(noun="ELBO")`."""

    def follow_through_note(self, key: str, params: P, hints: bool) -> str | None:
        """Why an answer to `key` that follows through still shows an earlier mistake, or None (the default).

        The start of a sentence without an expected number when `hints`; the
        grader ends it with the earlier answers that are wrong (": your ELBO = … is wrong.").
        """
        return None

    def figure(self, params: P) -> Figure | None:
        """The numbers of the figure the student page draws for a variant, or None (the default: no figure)."""
        return None
