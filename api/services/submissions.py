"""Submitting answers and reading submissions (docs/api.md §5).

A submission is graded before the write transaction (:func:`grade_answers`,
the ``prepare`` of api.idempotency.run), so writers hold the lock only to
store it (:func:`store_submission`, the ``work``); unreadable answers never
reach the database.

The full result is stored. While the solution is closed to a student
(docs/api.md §12), what they are shown of it is the same answers graded again
with feedback "hints": no expected numbers, symbolic step lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from api.auth import Caller
from api.errors import attempts_exhausted, not_found
from api.lti import passback
from api.models import ProblemSetRecord, SubmissionRecord, claim_attempt, due_at_of, late, student_scope, utcnow
from api.problemstore import StoredProblem
from api.services.paging import Page, Window, page_of
from api.services.progress import solution_open_to
from grader import GradeResult, grade

_INSERT = cast(Table, SubmissionRecord.__table__).insert()


def grade_answers(problem: StoredProblem, answers: dict[str, Any]) -> GradeResult:
    """Grade answers to the problem under its policy; nothing is stored."""
    return grade(problem.problem, answers, problem.policy)


def _is_late(session: Session, problem: StoredProblem, now: datetime) -> bool:
    """Whether a submission made ``now`` is late (practice problems have no due date)."""
    if problem.problem_set_id is None:
        return False
    # The set's row in share mode (PostgreSQL): due dates being changed are
    # read once that change commits.
    return bool(
        session.scalar(
            select(late(now, due_at_of(problem.student_id)))
            .where(ProblemSetRecord.id == problem.problem_set_id)
            .with_for_update(read=True, of=ProblemSetRecord)
        )
    )


def store_submission(session: Session, problem: StoredProblem, student_id: str | None,
                     answers: dict[str, Any], graded: GradeResult) -> Submission:
    """Number and add an already graded submission in the caller's write
    transaction, and return it; if it is refused (409) the rollback gives
    the attempt back."""
    scope = student_scope(student_id)
    attempt = claim_attempt(session, problem.id, scope)
    if problem.policy.max_attempts is not None and attempt > problem.policy.max_attempts:
        raise attempts_exhausted(problem.policy.max_attempts)
    result = graded.for_attempt(attempt, problem.policy)
    now = utcnow()
    made = Submission(id=uuid.uuid4(), problem_id=problem.id, student_id=student_id, student_scope=scope,
                      attempt=attempt, answers=answers, result=result.to_json(),
                      late=_is_late(session, problem, now), created_at=now)
    # Core statements on the session's connection: the ORM's unit of work and
    # its statement handling cost more than the rest of the write.
    session.connection().execute(_INSERT, {**vars(made), "score": result.score})
    passback.score_submission(session, problem, student_id, now)  # an LMS learner's total, to send
    return made


@dataclass(frozen=True)
class Submission:
    id: uuid.UUID
    problem_id: uuid.UUID
    student_id: str | None
    student_scope: str
    attempt: int
    answers: dict[str, Any]  # as sent
    result: dict[str, Any]  # the grader's JSON: score, parts, steps
    late: bool
    created_at: datetime

    @classmethod
    def of(cls, record: SubmissionRecord) -> Submission:
        return cls(record.id, record.problem_id, record.student_id, record.student_scope, record.attempt,
                   record.answers, record.result, record.late, record.created_at)


def hinted(problem: StoredProblem, answers: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """A stored result without the solution's numbers: the answers graded
    again (deterministic) with feedback "hints", keeping the stored attempt
    and score. Under feedback "hints" the stored result is that already."""
    if problem.policy.hints_only:
        return dict(result)
    again = grade(problem.problem, answers, replace(problem.policy, feedback="hints"), result["attempt"])
    return {**again.to_json(), "score": result["score"], "attempt": result["attempt"]}


def as_shown(session: Session, problem: StoredProblem, who: Caller,
             submissions: Iterable[Submission]) -> list[Submission]:
    """Submissions to one problem as ``who`` may see them: whole, or hinted
    while the solution is closed to them."""
    if solution_open_to(session, problem, who):
        return list(submissions)
    return [replace(each, result=hinted(problem, each.answers, each.result)) for each in submissions]


def list_submissions(session: Session, problem_id: uuid.UUID, scope: str | None,
                     window: Window) -> Page[Submission]:
    """A problem's submissions in the student ``scope`` (None: all), oldest first."""
    query = select(SubmissionRecord).where(SubmissionRecord.problem_id == problem_id)
    if scope is not None:
        query = query.where(SubmissionRecord.student_scope == scope)
    page = page_of(session, query.order_by(SubmissionRecord.created_at, SubmissionRecord.id), window)
    return page.map(lambda row: Submission.of(row[0]))


def find_submission(session: Session, submission_id: uuid.UUID) -> Submission:
    """The submission (404 if there is none); who may see it is the caller's check."""
    record = session.get(SubmissionRecord, submission_id)
    if record is None:
        raise not_found("submission")
    return Submission.of(record)
