"""Submissions: graded on arrival, committed before their 201 (CONTRACT §5)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import url_for
from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import db, idempotency
from api.auth import authorize_problem, submitting_student, visible_scope
from api.errors import attempts_exhausted, not_found
from api.idempotency import Outcome
from api.models import ProblemSetRecord, SubmissionRecord, claim_attempt, due_at_of, student_scope, utcnow
from api.problemstore import StoredProblem, store
from api.resources.problems import LOCATION
from api.schemas import SubmissionCreateSchema, SubmissionSchema
from api.smorest import Blueprint
from grader import GradeResult, grade

blp = Blueprint("submissions", __name__, url_prefix="/api/v1", description="Graded submissions.")
_INSERT = SubmissionRecord.__table__.insert()


def submission_view(record: SubmissionRecord) -> dict:
    return {
        **record.result,
        "id": record.id,
        "problem_id": record.problem_id,
        "student_id": record.student_id,
        "attempt": record.attempt,
        "late": record.late,
        "created_at": record.created_at,
    }


def submission_json(row: Mapping[str, Any]) -> dict:
    """What SubmissionSchema dumps for a submission row just stored, built
    directly: a submission's POST is the service's hot path, and the schema's
    nested dump of the parts and steps cost it 0.2-0.3 ms of CPU. The result
    is the grader's JSON already; tests check that both agree."""
    result = row["result"]
    return {
        "id": str(row["id"]),
        "problem_id": str(row["problem_id"]),
        "student_id": row["student_id"],
        "attempt": row["attempt"],
        "score": result["score"],
        "parts": result["parts"],
        "steps": result["steps"],
        "late": row["late"],
        "created_at": row["created_at"].isoformat(),
    }


def _is_late(session: Session, stored: StoredProblem, now) -> bool:
    """After the student's due date: their own if they have one, else their
    set's (practice problems have none)."""
    if stored.problem_set_id is None:
        return False
    # The set's row in share mode (PostgreSQL): due dates being changed are
    # read once that change commits.
    due_at = session.scalar(
        select(due_at_of(stored.student_id))
        .where(ProblemSetRecord.id == stored.problem_set_id)
        .with_for_update(read=True, of=ProblemSetRecord)
    )
    return due_at is not None and now > due_at


def _store(session: Session, stored: StoredProblem, student_id: str | None, answers: dict,
           graded: GradeResult) -> dict[str, Any]:
    """Number and add an already graded submission in the caller's
    transaction, and return its row; if it is refused (409) the rollback
    gives the attempt back."""
    scope = student_scope(student_id)
    attempt = claim_attempt(session, stored.id, scope)
    if stored.policy.max_attempts is not None and attempt > stored.policy.max_attempts:
        raise attempts_exhausted(stored.policy.max_attempts)
    result = graded.for_attempt(attempt, stored.policy)
    now = utcnow()
    row = {
        "id": uuid.uuid4(),
        "problem_id": stored.id,
        "student_id": student_id,
        "student_scope": scope,
        "attempt": attempt,
        "answers": answers,
        "result": result.to_json(),
        "score": result.score,
        "created_at": now,
        "late": _is_late(session, stored, now),
    }
    # Core statements on the session's connection: the ORM's unit of work and
    # its statement handling cost more than the rest of the write.
    session.connection().execute(_INSERT, row)
    return row


@blp.route("/problems/<uuid:problem_id>/submissions")
class Submissions(MethodView):
    @blp.arguments(SubmissionCreateSchema)
    @blp.response(201, SubmissionSchema, headers=LOCATION)
    @blp.doc(parameters=[idempotency.HEADER_PARAMETER])
    @blp.errors(400, 401, 403, 404, 409, 413, 415, 429)
    def post(self, body, problem_id):
        """Grade and store a submission

        Committed before the 201 leaves. Unreadable answers (422) and used-up
        attempts (409) store nothing and use no attempt. A problem of a set
        is its student's: a student token submits as that student, and so
        does an instructor key (``student_id`` omitted or theirs). After the
        set's due date the submission is graded and marked ``late``. Safe to
        retry with an ``Idempotency-Key``: the retry gets the first response
        and uses no attempt."""
        stored = store().find(problem_id)
        student_id = submitting_student(authorize_problem(stored), body["student_id"], stored)

        def work(session: Session, graded: GradeResult) -> Outcome:
            row = _store(session, stored, student_id, body["answers"], graded)
            return Outcome(
                201, submission_json(row), url_for("submissions.SubmissionById", submission_id=row["id"])
            )

        # Graded before the write transaction, so writers hold the lock only to store;
        # unreadable answers (422) never reach the database.
        return idempotency.run(work, prepare=lambda: grade(stored.problem, body["answers"], stored.policy))

    @blp.response(200, SubmissionSchema(many=True))
    @blp.paginate()
    @blp.errors(401, 404)
    def get(self, problem_id, pagination_parameters):
        """List a problem's submissions

        Oldest first, those the caller may read: instructors all, a student
        token its own, anonymous callers the anonymous practice ones.
        Paginated by ``page`` and ``page_size`` (at most 100); the totals are
        in the ``X-Pagination`` header."""
        scope = visible_scope(authorize_problem(store().find(problem_id)))
        query = select(SubmissionRecord).where(SubmissionRecord.problem_id == problem_id)
        if scope is not None:
            query = query.where(SubmissionRecord.student_scope == scope)
        session = db.session()
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        pagination_parameters.item_count = total
        first = pagination_parameters.first_item
        if first >= total:  # also keeps absurd page numbers out of SQL OFFSET
            return []
        page = query.order_by(SubmissionRecord.created_at, SubmissionRecord.id)
        page = page.offset(first).limit(pagination_parameters.page_size)
        return [submission_view(record) for record in session.scalars(page)]


@blp.route("/submissions/<uuid:submission_id>")
class SubmissionById(MethodView):
    @blp.response(200, SubmissionSchema)
    @blp.errors(401, 404)
    def get(self, submission_id):
        """Read a submission"""
        record = db.session().get(SubmissionRecord, submission_id)
        if record is None:
            raise not_found("submission")
        scope = visible_scope(authorize_problem(store().find(record.problem_id), what="submission"))
        if scope is not None and record.student_scope != scope:
            raise not_found("submission")
        return submission_view(record)
