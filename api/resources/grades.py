"""A set's answer key and grade book (docs/api.md §8) and class analytics (§14). Instructors only."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView

from api import db
from api.auth import instructor_only
from api.resources.problem_sets import iso, json_response
from api.schemas import AnalyticsSchema, AnswerKeySchema, GradesQuerySchema, GradesSchema
from api.services import analytics, grades
from api.services.grades import AnswerKeyEntry, SetGrades
from api.smorest import Blueprint
from grader.analytics import ClassAnalytics
from grader.gradebook import csv_text

blp = Blueprint(
    "grades",
    __name__,
    url_prefix="/api/v1/problem-sets",
    description="A problem set's answer key, grade book (JSON or CSV) and class analytics.",
)

# The grade book is JSON, or CSV with ?format=csv.
GRADES_RESPONSE = {
    "responses": {
        "200": {
            "description": "The grade book.",
            "content": {
                "application/json": {"schema": GradesSchema},
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "student_id,item_1_score,item_1_attempts,…,total; a row per student.",
                    }
                },
            },
        }
    }
}


def _answer_key_json(entries: list[AnswerKeyEntry]) -> list[dict[str, Any]]:
    return [
        {
            "student_id": entry.student_id,
            "problems": [
                {
                    "item": problem.item,
                    "problem_id": str(problem.problem_id),
                    "template": problem.template,
                    "params": problem.params,
                    "answers": problem.answers,
                }
                for problem in entry.problems
            ],
        }
        for entry in entries
    ]


def _grades_json(graded: SetGrades) -> dict[str, Any]:
    book = graded.book
    students = [
        {
            "student_id": row.student_id,
            "due_at": iso(graded.due_at[row.student_id]),
            "items": [
                {
                    "item": grade.item,
                    "best_score": grade.best_score,
                    "attempts": grade.attempts,
                    "last_submitted_at": iso(grade.last_submitted_at),
                }
                for grade in row.items
            ],
            "total": row.total,
        }
        for row in book.rows
    ]
    return {
        "problem_set_id": str(graded.problem_set_id),
        "item_count": book.item_count,
        "max_total": book.max_total,
        "count_late": book.count_late,
        "students": students,
    }


def _analytics_json(problem_set_id: uuid.UUID, found: ClassAnalytics) -> dict[str, Any]:
    items = [
        {
            "item": item.item,
            "template": item.template,
            "attempted": item.attempted,
            "mean_best_score": item.mean_best_score,
            "score_histogram": list(item.score_histogram),
            "parts": item.parts,
            "misconceptions": item.misconceptions,
        }
        for item in found.items
    ]
    return {"problem_set_id": str(problem_set_id), "students": found.students, "items": items}


def answer_key_response(problem_set_id: uuid.UUID) -> Response:
    """The answer key's JSON response (also the instructor page's download)."""
    students = _answer_key_json(grades.answer_key(db.session(), problem_set_id))
    return json_response({"problem_set_id": str(problem_set_id), "students": students})


def grades_csv_response(problem_set_id: uuid.UUID, graded: SetGrades) -> Response:
    """The grade book as a CSV download (also the instructor page's)."""
    disposition = f'attachment; filename="grades-{problem_set_id}.csv"'
    return Response(csv_text(graded.book), mimetype="text/csv", headers={"Content-Disposition": disposition})


@blp.route("/<uuid:problem_set_id>/answer-key")
class AnswerKey(MethodView):
    @blp.response(200, AnswerKeySchema)
    @blp.errors(401, 403, 404)
    @instructor_only
    def get(self, problem_set_id):
        """Read the answer key

        Instructor key only. Per student in roster order, per item: the
        problem, its params and the exact answers (``exact``, ``latex``,
        ``value``) as stored when the problem was made."""
        return answer_key_response(problem_set_id)


@blp.route("/<uuid:problem_set_id>/grades")
class Grades(MethodView):
    @blp.arguments(GradesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, GradesSchema)
    @blp.doc(**GRADES_RESPONSE)
    @blp.errors(401, 403, 404)
    @instructor_only
    def get(self, problem_set_id, format):
        """Read the grade book

        Instructor key only. Per student in roster order, per item: the best
        score that counts (submissions after ``due_at`` count only with
        ``policy.count_late``), the attempts used (late ones included) and
        the last submission's time; and the total, the sum of the best
        scores. ``?format=csv``: ``text/csv`` with a header row
        ``student_id,item_1_score,item_1_attempts,…,total`` (items numbered
        from 1), a row per student, an empty cell where no score counts.
        A student id that a spreadsheet would run as a formula (starting
        with ``=``, ``+``, ``-`` or ``@``) is written with a leading ``'``."""
        graded = grades.grades(db.session(), problem_set_id)
        if format == "csv":
            return grades_csv_response(problem_set_id, graded)
        return json_response(_grades_json(graded))


@blp.route("/<uuid:problem_set_id>/analytics")
class Analytics(MethodView):
    @blp.response(200, AnalyticsSchema)
    @blp.errors(401, 403, 404)
    @instructor_only
    def get(self, problem_set_id):
        """Read the class analytics

        Instructor key only. The roster's size and, per item, over the
        students who submitted to it: how many, the mean and a ten-bin
        histogram of their best scores as the grade book counts them, each
        key's statuses in their latest submission, and how many showed each
        named mistake in any submission."""
        found = analytics.analytics(db.session(), problem_set_id)
        return json_response(_analytics_json(problem_set_id, found))
