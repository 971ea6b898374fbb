"""Where a student stands on their problems of a set, and whether the
solution is open to them (docs/api.md §12).

The rule itself is the domain's (``grader.policy.solution_open``); this reads
what it needs: the student's attempts and scores, and the due date that
holds for them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.models import ProblemRecord, ProblemSetRecord, SubmissionRecord, due_at_of, student_scope, utcnow
from api.problemstore import StoredProblem
from grader import Policy
from grader.gradebook import Attempt, item_grade
from grader.policy import solution_open

# Built once, like the submission's own statements: a student's every
# submission and read asks it (attempts used, best score, their due date).
_STANDING = select(
    func.count(SubmissionRecord.id),
    func.max(SubmissionRecord.score),
    select(due_at_of(bindparam("student_id")))
    .where(ProblemSetRecord.id == bindparam("problem_set_id"))
    .scalar_subquery(),
).where(
    SubmissionRecord.problem_id == bindparam("problem_id"),
    SubmissionRecord.student_scope == bindparam("student_id"),
)


def solution_open_to(session: Session, problem: StoredProblem, who: Caller) -> bool:
    """Whether ``who`` may see the problem's solution: instructors and
    anonymous practice always; a student (only ever on their own problem of
    a set) by the policy's rule, counting every submission of theirs."""
    if who.kind != "student":
        return True
    if problem.policy.solution_fixed is not None:  # "never" (a set's default) or "always": nothing to read
        return problem.policy.solution_fixed
    attempts_used, best_score, due_at = session.connection().execute(
        _STANDING,
        {"problem_id": problem.id, "problem_set_id": problem.problem_set_id,
         "student_id": student_scope(who.student_id)},
    ).one()
    return solution_open(problem.policy, attempts_used=attempts_used, best_score=best_score, due_at=due_at,
                         now=utcnow())


@dataclass(frozen=True)
class ItemProgress:
    """A student's standing on one item of their set."""

    item: int
    problem_id: uuid.UUID
    best_score: float | None  # the best score that counts, as in the grade book
    attempts: int
    attempts_left: int | None  # None: no limit
    solution_open: bool


def set_progress(session: Session, problem_set_id: uuid.UUID, student_id: str, policy: Policy,
                 due_at: datetime | None) -> tuple[ItemProgress, ...]:
    """The student's progress on every item of the set, in item order, from
    one query (their problems and submissions); ``due_at`` is the date that
    holds for them."""
    rows = session.execute(
        select(ProblemRecord.item, ProblemRecord.id, SubmissionRecord.score, SubmissionRecord.created_at,
               SubmissionRecord.late)
        .outerjoin(SubmissionRecord, and_(SubmissionRecord.problem_id == ProblemRecord.id,
                                          SubmissionRecord.student_scope == ProblemRecord.student_id))
        .where(ProblemRecord.problem_set_id == problem_set_id, ProblemRecord.student_id == student_id)
        .order_by(ProblemRecord.item)
    )
    problems: dict[int, uuid.UUID] = {}
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for item, problem_id, score, at, late in rows:
        problems[cast(int, item)] = problem_id  # a set's problems all have an item
        if score is not None:
            attempts[cast(int, item)].append(Attempt(score, at, late))
    now = utcnow()
    progress = []
    for item, problem_id in problems.items():
        mine = attempts[item]
        used = len(mine)
        best_of_all = max((attempt.score for attempt in mine), default=None)
        progress.append(ItemProgress(
            item=item,
            problem_id=problem_id,
            best_score=item_grade(item, mine, policy.count_late).best_score,
            attempts=used,
            attempts_left=None if policy.max_attempts is None else max(0, policy.max_attempts - used),
            solution_open=solution_open(policy, attempts_used=used, best_score=best_of_all, due_at=due_at, now=now),
        ))
    return tuple(progress)
