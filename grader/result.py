"""What grading returns: plain immutable values that the HTTP layer only serialises."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .policy import Policy

CORRECT = "correct"
FOLLOW_THROUGH = "follow_through"
INCORRECT = "incorrect"
UNANSWERED = "unanswered"
# Every status a part can have (contract §5), in order of merit.
STATUSES = (CORRECT, FOLLOW_THROUGH, INCORRECT, UNANSWERED)


@dataclass(frozen=True)
class PartResult:
    """How one answer key was graded."""

    key: str
    answer: str | None
    value: float | None
    status: str
    credit: float
    misconceptions: tuple[str, ...]
    feedback: str
    expected: float | None  # None when the policy hides expected numbers

    def to_json(self) -> dict[str, Any]:
        """Contract §5 part; `expected` only where it may be shown."""
        data = {"key": self.key, "answer": self.answer, "value": self.value, "status": self.status,
                "credit": self.credit, "misconceptions": list(self.misconceptions), "feedback": self.feedback}
        if self.expected is not None:
            data["expected"] = self.expected
        return data


@dataclass(frozen=True)
class StepResult:
    """A step of the worked solution, marked with how the student did on its keys."""

    title: str
    keys: tuple[str, ...]
    lines: tuple[str, ...]
    status: str
    first_wrong: bool

    def to_json(self) -> dict[str, Any]:
        """Contract §5 step, with its mark."""
        return {"title": self.title, "keys": list(self.keys), "lines": list(self.lines),
                "status": self.status, "first_wrong": self.first_wrong}


@dataclass(frozen=True)
class GradeResult:
    """A graded submission: score, parts in the template's order, marked steps."""

    score: float
    attempt: int
    parts: tuple[PartResult, ...]
    steps: tuple[StepResult, ...]

    def for_attempt(self, attempt: int, policy: Policy) -> GradeResult:
        """The same grading scored as attempt number `attempt`.

        Lets a service grade before it numbers the attempt (outside its write lock).
        """
        return replace(self, attempt=attempt, score=attempt_score(self.parts, policy, attempt))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form of the whole result."""
        return {"score": self.score, "attempt": self.attempt,
                "parts": [part.to_json() for part in self.parts], "steps": [step.to_json() for step in self.steps]}


def attempt_score(parts: tuple[PartResult, ...], policy: Policy, attempt: int) -> float:
    """The mean part credit times the attempt's penalty factor, within [0, 1]."""
    score = sum(part.credit for part in parts) / len(parts) * policy.penalty_factor(attempt)
    return min(1.0, max(0.0, score))
