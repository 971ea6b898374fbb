"""Making and reading problems and their solutions (docs/api.md §4)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api import db
from api.auth import Caller
from api.errors import forbidden
from api.models import ProblemRecord
from api.problemstore import StoredProblem, store
from api.schemas import PRACTICE_POLICY
from api.services.progress import solution_open_to
from grader import Policy
from grader.undetectable import Undetectable, undetectable
from problems import DEFAULT_DIFFICULTY, Problem, generate_params, make_problem, parse_params

# Seeds the service picks stay below 2**53 so JavaScript clients read them exactly.
PICKED_SEEDS = 2**53


def pick_seed(seed: int | None) -> int:
    """``seed``, or one the service picks when none is given."""
    return seed if seed is not None else secrets.randbelow(PICKED_SEEDS)


def _make(template: str, params: dict[str, Any] | None, seed: int | None, difficulty: str | None) -> Problem:
    if params is not None:
        return make_problem(template, parse_params(template, params))
    seed = pick_seed(seed)
    difficulty = difficulty or DEFAULT_DIFFICULTY
    return make_problem(template, generate_params(template, seed, difficulty), seed, difficulty)


def undetectable_of(problem: Problem, policy: Policy) -> tuple[Undetectable, ...]:
    """The named mistakes the policy cannot tell from the right answers of an
    authored variant. Seeded variants are drawn so that there are none (§3),
    and the contract lists none for them."""
    return () if problem.seed is not None else undetectable(problem, policy)


def create_problem(template: str, *, params: dict[str, Any] | None = None, seed: int | None = None,
                   difficulty: str | None = None, policy: Policy | None = None) -> StoredProblem:
    """Make and store a problem: seeded (a practice problem; a seed is picked
    when none is given) or from authored ``params``. Without a policy it gets
    the practice default, its solution readable by anyone."""
    problem = _make(template, params, seed, difficulty)
    policy = policy or PRACTICE_POLICY
    record = ProblemRecord(
        template=problem.template,
        seed=problem.seed,
        difficulty=problem.difficulty,
        params=problem.params.to_json(),
        policy=policy.to_json(),
        problem=problem.to_json(),
        undetectable=[mistake.to_json() for mistake in undetectable_of(problem, policy)],
    )
    with db.write_transaction() as session:
        session.add(record)
    return store().put(StoredProblem.of(record, problem))


def find_problem(problem_id: uuid.UUID) -> StoredProblem:
    """The problem (404 if there is none); who may see it is the caller's check."""
    return store().find(problem_id)


@dataclass(frozen=True)
class Solution:
    answers: Mapping[str, Any]  # answer key → its exact, latex and value
    steps: Sequence[Any]


def solution(session: Session, problem: StoredProblem, who: Caller) -> Solution:
    """The exact values and the worked steps, as stored when the problem was
    made; 403 for a student while the policy keeps it closed to them."""
    if not solution_open_to(session, problem, who):
        raise forbidden("The solution is not open to you yet; the problem's policy says when it opens.")
    return Solution(problem.problem.answers, problem.problem.steps)
