"""Submissions: graded on arrival, committed before their 201 (docs/api.md §5)."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from sqlalchemy.orm import Session

from api import db, idempotency
from api.auth import PRACTICE, access, authorize_problem, submitting_student, visible_scope
from api.errors import not_found
from api.idempotency import Outcome
from api.resources.paging import paginated
from api.resources.problems import LOCATION
from api.schemas import SubmissionCreateSchema, SubmissionSchema
from api.services import submissions
from api.services.problems import find_problem
from api.services.submissions import Submission
from api.smorest import Blueprint
from grader import GradeResult

blp = Blueprint("submissions", __name__, url_prefix="/api/v1", description="Graded submissions.")


def submission_view(submission: Submission) -> dict:
    return {
        **submission.result,
        "id": submission.id,
        "problem_id": submission.problem_id,
        "student_id": submission.student_id,
        "attempt": submission.attempt,
        "late": submission.late,
        "created_at": submission.created_at,
    }


def submission_json(submission: Submission) -> dict:
    """What SubmissionSchema dumps for a submission just stored, built
    directly: a submission's POST is the service's hot path, and the schema's
    nested dump of the parts and steps cost it 0.2-0.3 ms of CPU. The result
    is the grader's JSON already; tests check that both agree."""
    result = submission.result
    return {
        "id": str(submission.id),
        "problem_id": str(submission.problem_id),
        "student_id": submission.student_id,
        "attempt": submission.attempt,
        "score": result["score"],
        "parts": result["parts"],
        "steps": result["steps"],
        "late": submission.late,
        "created_at": submission.created_at.isoformat(),
    }


@blp.route("/problems/<uuid:problem_id>/submissions")
class Submissions(MethodView):
    @blp.arguments(SubmissionCreateSchema)
    @blp.response(201, SubmissionSchema, headers=LOCATION)
    @blp.doc(parameters=[idempotency.HEADER_PARAMETER])
    @blp.errors(400, 401, 403, 404, 409, 413, 415, 429)
    @access(PRACTICE)
    def post(self, body, problem_id):
        """Grade and store a submission

        Committed before the 201 leaves. Unreadable answers (422) and used-up
        attempts (409) store nothing and use no attempt. A problem of a set
        is its student's: a student token submits as that student, and so
        does an instructor key (``student_id`` omitted or theirs). After the
        set's due date the submission is graded and marked ``late``. Safe to
        retry with an ``Idempotency-Key``: the retry gets the first response
        and uses no attempt. While the solution is closed to a student, their
        response has no expected numbers (graded as with feedback ``hints``)."""
        stored = find_problem(problem_id)
        who = authorize_problem(stored)
        student_id = submitting_student(who, body["student_id"], stored)

        def work(session: Session, graded: GradeResult) -> Outcome:
            made = submissions.store_submission(session, stored, student_id, body["answers"], graded)
            (shown,) = submissions.as_shown(session, stored, who, [made])
            return Outcome(
                201, submission_json(shown), url_for("submissions.SubmissionById", submission_id=shown.id)
            )

        return idempotency.run(work, prepare=lambda: submissions.grade_answers(stored, body["answers"]))

    @blp.response(200, SubmissionSchema(many=True))
    @blp.paginate()
    @blp.errors(401, 404)
    @access(PRACTICE)
    def get(self, problem_id, pagination_parameters):
        """List a problem's submissions

        Oldest first, those the caller may read: instructors all, a student
        token its own, anonymous callers the anonymous practice ones.
        Paginated by ``page`` and ``page_size`` (at most 100); the totals are
        in the ``X-Pagination`` header."""
        stored = find_problem(problem_id)
        who = authorize_problem(stored)
        page = paginated(
            pagination_parameters,
            lambda window: submissions.list_submissions(db.session(), problem_id, visible_scope(who), window),
        )
        return [submission_view(submission) for submission in submissions.as_shown(db.session(), stored, who, page)]


@blp.route("/submissions/<uuid:submission_id>")
class SubmissionById(MethodView):
    @blp.response(200, SubmissionSchema)
    @blp.errors(401, 404)
    @access(PRACTICE)
    def get(self, submission_id):
        """Read a submission"""
        submission = submissions.find_submission(db.session(), submission_id)
        stored = find_problem(submission.problem_id)
        who = authorize_problem(stored, what="submission")
        scope = visible_scope(who)
        if scope is not None and submission.student_scope != scope:
            raise not_found("submission")
        (shown,) = submissions.as_shown(db.session(), stored, who, [submission])
        return submission_view(shown)
