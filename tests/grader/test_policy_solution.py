"""When a student may see the solution (contract §12): one rule, over
policies × attempts used × best scores × due dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grader import InvalidPolicy, Policy
from grader.policy import SOLUTION_MODES, solution_open

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(seconds=1), NOW + timedelta(days=1)

# (solution, max_attempts, attempts used, best score, due date) → open?
CASES = [
    ("never", None, 0, None, None, False),
    ("never", 3, 3, 1.0, PAST, False),
    ("always", None, 0, None, None, True),
    ("always", 2, 0, None, FUTURE, True),
    ("after_attempts", 3, 0, None, None, False),
    ("after_attempts", 3, 2, 0.5, PAST, False),  # the due date is not this rule's
    ("after_attempts", 3, 3, 0.5, None, True),  # every attempt used
    ("after_attempts", 3, 4, 0.0, None, True),
    ("after_attempts", 3, 1, 1.0, None, True),  # full marks
    ("after_attempts", None, 50, 0.99, None, False),  # no limit: only full marks open it
    ("after_attempts", None, 1, 1.0, None, True),
    ("after_due", None, 0, None, None, False),  # no due date: it never passes
    ("after_due", None, 0, None, FUTURE, False),
    ("after_due", 1, 1, 1.0, FUTURE, False),  # attempts and score are not this rule's
    ("after_due", None, 0, None, NOW, False),  # at the due date: not yet passed
    ("after_due", None, 0, None, PAST, True),
]


@pytest.mark.parametrize("solution, max_attempts, used, best, due_at, opened", CASES)
def test_the_rule(solution, max_attempts, used, best, due_at, opened):
    policy = Policy(solution=solution, max_attempts=max_attempts)
    assert solution_open(policy, attempts_used=used, best_score=best, due_at=due_at, now=NOW) is opened


def test_every_mode_is_covered():
    assert {case[0] for case in CASES} == set(SOLUTION_MODES)


def test_closed_unless_said_otherwise():
    assert Policy().solution == "never"
    assert Policy.from_json({"solution": "after_due"}).to_json()["solution"] == "after_due"


def test_an_unknown_mode_is_refused():
    with pytest.raises(InvalidPolicy) as refused:
        Policy(solution="sometimes")
    assert set(refused.value.errors) == {"solution"}


@pytest.mark.parametrize("mode, fixed", [("always", True), ("never", False), ("after_attempts", None),
                                         ("after_due", None)])
def test_a_solution_fixed_by_its_mode_needs_nothing_of_the_students(mode, fixed):
    policy = Policy(solution=mode, max_attempts=2)
    assert policy.solution_fixed is fixed
    if fixed is not None:  # whatever the student did, the rule agrees
        assert {solution_open(policy, attempts_used=used, best_score=best, due_at=due, now=NOW)
                for used in (0, 2) for best in (None, 1.0) for due in (None, NOW)} == {fixed}
