"""Named mistakes a policy cannot tell from the right answer (contract §12).

A mistake whose value lies within the policy's tolerance of the exact answer
would be graded correct: the instructor is told, when the problem is made,
and decides whether to keep the variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from problems import Problem

from .matching import matches
from .policy import Policy


@dataclass(frozen=True)
class Undetectable:
    """A mistake (its code) that passes for the right answer to one key."""

    mistake: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"mistake": self.mistake, "key": self.key}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Undetectable:
        return cls(data["mistake"], data["key"])


def undetectable(problem: Problem, policy: Policy) -> tuple[Undetectable, ...]:
    """Every named mistake whose value for a key matches the key's exact value
    under the policy, keys in the template's order."""
    return tuple(
        Undetectable(code, key)
        for key in problem.answer_keys
        for code, values in problem.mistakes.get(key, {}).items()
        if any(matches(value, problem.answers[key].value, policy) for value in values)
    )
