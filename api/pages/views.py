"""The pages (docs/api.md §13): thin views over the same services as the JSON API.

Each view finds, authorizes and acts through api.services and api.auth,
exactly as its JSON counterpart does; what differs is only that it answers
with HTML. Errors are the API's own (api.errors), shown as a page by
:func:`api.pages.as_page`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api import db, idempotency
from api.auth import Caller, authorize_problem, authorize_problem_set, submitting_student
from api.errors import invalid, not_found
from api.idempotency import Outcome
from api.pages import forms, instructor, sessions
from api.pages.plot import plot_of
from api.problemstore import StoredProblem
from api.resources.submissions import submission_json
from api.schemas import ProblemCreateSchema
from api.services import submissions
from api.services.problem_sets import StudentView, read_set
from api.services.problems import create_problem, find_problem
from api.services.progress import solution_open_to
from grader import (
    CORRECT,
    FOLLOW_THROUGH,
    INCORRECT,
    UNANSWERED,
    AnswerError,
    GradeResult,
    UnreadableAnswers,
    read_answer,
)
from problems import TEMPLATES

STATUS_WORDS = {CORRECT: "Correct", FOLLOW_THROUGH: "Follows from your earlier answers",
                INCORRECT: "Incorrect", UNANSWERED: "Not answered"}


def home() -> str:
    return render_template("home.html", templates=TEMPLATES.values())


def practice(template: str) -> ResponseReturnValue:
    """A new seeded practice problem, validated as ``POST /api/v1/problems`` validates it."""
    query: dict[str, Any] = {"template": template}
    for name in ("difficulty", "seed"):
        if request.args.get(name):
            query[name] = request.args[name]
    if isinstance(query.get("seed"), str) and query["seed"].isdigit():
        query["seed"] = int(query["seed"])
    try:
        body = ProblemCreateSchema().load(query)
    except ValidationError as error:
        if "template" in error.messages:
            raise not_found("template") from None
        raise invalid(error.normalized_messages()) from None
    stored = create_problem(body["template"], seed=body["seed"], difficulty=body["difficulty"])
    return redirect(url_for("pages.problem", problem_id=stored.id), 303)


def _problem_page(stored: StoredProblem, who: Caller, status: int = 200, **context: Any) -> tuple[str, int]:
    solution_open = solution_open_to(db.session(), stored, who)
    # The plot shows ln p(x) and the posterior: only where the solution's numbers may be seen.
    plot = plot_of(stored.problem) if solution_open and not stored.policy.hints_only else None
    result = context.get("result")
    page = render_template(
        "problem.html", stored=stored, problem=stored.problem, template=TEMPLATES[stored.template], plot=plot,
        render_key=forms.new_render_key(), typed=context.get("typed", {}), errors=context.get("errors", {}),
        result=result, graded_parts={part["key"]: part for part in result["parts"]} if result else {},
        status_words=STATUS_WORDS,
    )
    return page, status


def problem(problem_id: uuid.UUID) -> tuple[str, int]:
    stored = find_problem(problem_id)
    return _problem_page(stored, authorize_problem(stored))


def submit(problem_id: uuid.UUID) -> tuple[str, int]:
    """Graded and stored as ``POST …/submissions`` does (same attempts, limits
    and late flags); unreadable answers are shown beside their inputs and
    nothing is stored."""
    stored = find_problem(problem_id)
    who = authorize_problem(stored)
    student_id = submitting_student(who, None, stored)
    answers = forms.answers_from(request.form, stored.problem.answer_keys)

    def work(session, graded: GradeResult) -> Outcome:
        made = submissions.store_submission(session, stored, student_id, answers, graded)
        (shown,) = submissions.as_shown(session, stored, who, [made])
        return Outcome(201, submission_json(shown))

    try:
        response = idempotency.run(work, prepare=lambda: submissions.grade_answers(stored, answers),
                                   keyed=forms.keyed(request.form, request.path, answers))
    except UnreadableAnswers as error:
        return _problem_page(stored, who, 422, typed=answers, errors=error.errors)
    return _problem_page(stored, who, typed=answers, result=json.loads(response.get_data()))


def reading() -> Response:
    """The live reading of one answer as typed: the reader's value, or its
    message and position. Reads only; the text is never evaluated otherwise."""
    text = request.args.get("answer", "")
    try:
        value = read_answer(text).value
    except AnswerError as error:
        body: dict[str, Any] = {"error": error.message, "position": error.position}
    else:
        body = {"value": f"{float(value):.10g}"}
    return Response(json.dumps(body), mimetype="application/json", headers={"Cache-Control": "no-store"})


def sign_in_form(status: int = 200, failed: bool = False) -> tuple[str, int]:
    return render_template("sign_in.html", failed=failed), status


def sign_in() -> ResponseReturnValue:
    caller = sessions.sign_in(request.form.get("token", "").strip())
    if caller is None:
        return sign_in_form(401, failed=True)
    if caller.kind == "student":
        return redirect(url_for("pages.problem_set", problem_set_id=caller.problem_set_id), 303)
    return redirect(url_for("pages.instructor"), 303)


def sign_out() -> ResponseReturnValue:
    sessions.sign_out()
    return redirect(url_for("pages.home"), 303)


def problem_set(problem_set_id: uuid.UUID) -> ResponseReturnValue:
    who = authorize_problem_set(problem_set_id)
    view = read_set(db.session(), problem_set_id, who)
    if isinstance(view, StudentView):
        return render_template("student_set.html", view=view, templates=TEMPLATES), 200
    return instructor.set_page(view)
