"""Whether an answer matches a value, under a policy's tolerance (contract §6)."""

from __future__ import annotations

from .policy import Policy


def matches(answer: float, expected: float, policy: Policy) -> bool:
    """|answer − expected| ≤ abs_tol + rel_tol·|expected|."""
    return abs(answer - expected) <= policy.abs_tol + policy.rel_tol * abs(expected)
