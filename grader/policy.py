"""The grading policy of a problem: tolerances, credit, attempts, feedback,
and when a student may see the solution."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from .errors import InvalidPolicy

FEEDBACK_MODES = ("full", "hints")
# When a student may read the solution, or see expected numbers (contract §12).
SOLUTION_MODES = ("never", "after_attempts", "after_due", "always")


@dataclass(frozen=True)
class Policy:
    """How a problem is graded (contract §6); the defaults are the contract's."""

    abs_tol: float = 0.0005
    rel_tol: float = 0.001
    follow_through_credit: float = 1.0
    max_attempts: int | None = None
    attempt_penalty: float = 0.0
    feedback: str = "full"
    # Whether submissions after a set's due date count toward its grade book.
    count_late: bool = False
    # When a student may see the solution: closed unless said otherwise (a
    # problem set's default; practice problems are given "always" by the API).
    solution: str = "never"

    def __post_init__(self) -> None:
        errors = _problems_with(self)
        if errors:
            raise InvalidPolicy(errors)

    @property
    def hints_only(self) -> bool:
        """Whether responses must hide every expected number."""
        return self.feedback == "hints"

    @property
    def solution_fixed(self) -> bool | None:
        """Whether the solution is open whatever a student has done ("always",
        "never"); None where it depends on their attempts or due date."""
        return {"always": True, "never": False}.get(self.solution)

    def penalty_factor(self, attempt: int) -> float:
        """The factor an attempt's score is multiplied by: 1 − penalty·(attempt − 1), at least 0."""
        return max(0.0, 1.0 - self.attempt_penalty * (attempt - 1))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Policy:
        """A policy from JSON; absent fields take the defaults, unknown ones are refused."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidPolicy({name: "is not a policy field" for name in unknown})
        return cls(**data)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _problems_with(policy: Policy) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("abs_tol", "rel_tol", "follow_through_credit", "attempt_penalty"):
        value = getattr(policy, name)
        if not _is_number(value) or not 0 <= value <= 1:
            errors[name] = "must be a number from 0 to 1"
    attempts = policy.max_attempts
    if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1):
        errors["max_attempts"] = "must be null (no limit) or a whole number of at least 1"
    if not isinstance(policy.count_late, bool):
        errors["count_late"] = "must be true or false"
    if policy.feedback not in FEEDBACK_MODES:
        errors["feedback"] = "must be \"full\" or \"hints\""
    if policy.solution not in SOLUTION_MODES:
        errors["solution"] = "must be one of " + ", ".join(f'"{mode}"' for mode in SOLUTION_MODES)
    return errors


def solution_open(policy: Policy, *, attempts_used: int, best_score: float | None, due_at: datetime | None,
                  now: datetime) -> bool:
    """Whether a student may see the solution of a problem (docs/api.md §12): the
    one rule behind the solution endpoint, the numbers in submission responses
    and the student's view of a set.

    `attempts_used` and `best_score` are the student's on the problem (every
    submission, late ones included); `due_at` is the date that holds for them.
    """
    if policy.solution_fixed is not None:
        return policy.solution_fixed
    if policy.solution == "after_attempts":
        # Nothing left to try: every attempt used, or full marks already.
        used_up = policy.max_attempts is not None and attempts_used >= policy.max_attempts
        return used_up or (best_score is not None and best_score >= 1.0)
    if policy.solution == "after_due":
        return due_at is not None and now > due_at
    return False
