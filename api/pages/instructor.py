"""The instructor's pages (docs/api.md §13, §14; docs/pages.md): their sets, a
new set from templates, a set's roster, grade book, due dates and analytics,
and the submissions behind each named mistake.

Thin callers, as the student pages are: forms are read by the JSON API's own
schemas (so a refusal says what the API would, beside its field), and every
change goes through the same services and the same idempotent creation as
``POST /api/v1/problem-sets`` and ``…/students``. Tokens are shown only in
the answer to a POST (a form with its CSRF token), never in a GET page, which
a browser may cache or a proxy log.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from api import db
from api.auth import authorize_instructor
from api.errors import invalid
from api.lti import passback, roster_sync
from api.lti.errors import LtiError
from api.pages import charts, forms
from api.resources import grades as grades_resource
from api.resources import problem_sets as problem_sets_resource
from api.resources import rosters as rosters_resource
from api.schemas import (
    MAX_ITEMS,
    ProblemSetChangeSchema,
    ProblemSetCreateSchema,
    StudentChangeSchema,
    StudentsAddSchema,
    difficulties,
)
from api.services import analytics, grades, printing, problem_sets, rosters
from api.services.paging import Window
from api.services.problem_sets import InstructorView
from grader.analytics import ItemAnalytics
from grader.result import STATUSES
from problems import TEMPLATES
from problems.template import DEFAULT_DIFFICULTY

# Students per page of a set's roster and grade book, and sets per page of /instructor.
PAGE_SIZE = 50
STATUS_LABELS = {status: status.replace("_", "-") for status in STATUSES}


def _page_number() -> int:
    """The 1-based ``page`` asked for (query or form); 1 for anything else."""
    text = request.values.get("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 10**6 else 1


def _window(page: int) -> Window:
    return Window((page - 1) * PAGE_SIZE, PAGE_SIZE)


def _page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _loaded(schema: Schema, body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body as the schema loads it, and its messages by field (empty when valid)."""
    try:
        return schema.load(body), {}
    except ValidationError as error:
        return {}, error.normalized_messages()


# /instructor: the sets, and a new one.

def instructor(status: int = 200, **context: Any) -> tuple[str, int]:
    """A signed-in instructor's problem sets, newest first, and the form to make one."""
    authorize_instructor()
    page = _page_number()
    sets = problem_sets.list_sets(db.session(), _window(page))
    form = context.pop("form", forms.NewSetForm.empty())
    return render_template("instructor.html", sets=sets.items, page=page, pages=_page_count(sets.total),
                           form=form, errors=context.pop("errors", {}), templates=TEMPLATES,
                           difficulties=difficulties(), default_difficulty=DEFAULT_DIFFICULTY, max_items=MAX_ITEMS,
                           render_key=forms.new_render_key(), **context), status


def create_set() -> ResponseReturnValue:
    """The new-set form: made as ``POST /api/v1/problem-sets`` makes it (its
    schema, its idempotency by the form's render key), then a 303 to the set's
    page; refused fields are shown beside themselves and nothing is stored."""
    authorize_instructor()
    form = forms.NewSetForm.of(request.form)
    if forms.MORE_ROWS in request.form:
        return instructor(form=form.with_more_rows())
    body, messages = _loaded(ProblemSetCreateSchema(), form.body())
    if messages:
        return instructor(422, form=form, errors=form.errors(messages))
    response = problem_sets_resource.create(body, keyed=forms.keyed(request.form, request.path, form.fields()))
    made = json.loads(response.get_data())
    return redirect(url_for("pages.problem_set", problem_set_id=made["id"]), 303)


# A set's page.

def _charts(item: ItemAnalytics) -> dict[str, Any]:
    mistakes = TEMPLATES[item.template].mistakes
    return {
        "histogram": charts.histogram_chart(item.score_histogram),
        "parts": charts.bar_chart([(key, key, counts) for key, counts in item.parts.items()], item.attempted),
        "mistakes": charts.bar_chart(
            [(code, f"{code}: {mistakes[code].explanation}" if code in mistakes else code, {"students": count})
             for code, count in item.misconceptions.items()],
            item.attempted,
        ),
    }


def set_page(view: InstructorView, status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    """The instructor's page of a set: a page of its roster and grade book, its due dates and its analytics."""
    session = db.session()
    set_id = view.problem_set.id
    pages = _page_count(view.student_count)
    page = min(_page_number(), pages)
    window = _window(page)
    found = analytics.analytics(session, set_id)
    rendered = render_template(
        "instructor_set.html", view=view, problem_set=view.problem_set, templates=TEMPLATES,
        entries=rosters.roster_entries(session, set_id, window=window),
        graded=grades.grades(session, set_id, window=window), analytics=found,
        charts=[_charts(item) for item in found.items], statuses=STATUSES, status_labels=STATUS_LABELS,
        page=page, pages=pages, first=window.first,
        shown_tokens=context.pop("shown_tokens", frozenset()), errors=context.pop("errors", {}),
        typed=context.pop("typed", {}), render_key=forms.new_render_key(),
        lti=roster_sync.set_links(session, set_id),
        print_parts={with_answers: _print_parts(view, with_answers) for with_answers in (False, True)},
    )
    # A page showing tokens is the answer to a POST: never kept by the browser or a proxy.
    return rendered, status, {"Cache-Control": "no-store"}


def _print_parts(view: InstructorView, with_answers: bool) -> list[tuple[int, int, int]]:
    """The parts a class's PDF is printed in, each (page, first student, last student), 1-based; one part
    when it fits in one PDF (docs/api.md §14)."""
    size = printing.students_per_pdf(len(view.problem_set.items), with_answers,
                                     current_app.config["SETTINGS"].print_pdf_problems)
    return [(number, first + 1, min(first + size, view.student_count))
            for number, first in enumerate(range(0, max(1, view.student_count), size), start=1)]


def _view(problem_set_id: uuid.UUID) -> InstructorView:
    authorize_instructor()
    return problem_sets.instructor_view(db.session(), problem_sets.find_set(db.session(), problem_set_id))


def _back(problem_set_id: uuid.UUID, anchor: str) -> ResponseReturnValue:
    """A 303 to the set's page, at the page of the roster the form was on."""
    page = _page_number()
    return redirect(url_for("pages.problem_set", problem_set_id=problem_set_id,
                            page=page if page > 1 else None, _anchor=anchor), 303)


def show_tokens(problem_set_id: uuid.UUID) -> tuple[str, int, dict[str, str]]:
    """The set's page with the access tokens of one student (``student``) or
    of every student on the roster page shown."""
    view = _view(problem_set_id)
    student = request.form.get("student")
    if student is None:
        shown = {entry.student_id for entry in rosters.roster_entries(
            db.session(), problem_set_id, window=_window(_page_number()))}
    else:
        shown = {rosters.roster_entry(db.session(), problem_set_id, student).student_id}
    return set_page(view, shown_tokens=frozenset(shown))


def change_token(problem_set_id: uuid.UUID) -> ResponseReturnValue:
    """Revoke a student's token, or reissue it (then the page shows the new one)."""
    authorize_instructor()
    action = request.form.get("action")
    if action not in ("revoke", "reissue"):
        raise invalid({"action": ["Send revoke or reissue."]})
    entry = rosters.change_token(problem_set_id, request.form.get("student", ""), reissue=action == "reissue")
    if action == "revoke":
        return _back(problem_set_id, "roster")
    return set_page(_view(problem_set_id), shown_tokens=frozenset({entry.student_id}))


def add_students(problem_set_id: uuid.UUID) -> ResponseReturnValue:
    """Students added as ``POST …/students`` adds them (ids already there are left as they are)."""
    view = _view(problem_set_id)
    typed = request.form.get("students", "")
    body, messages = _loaded(StudentsAddSchema(), {"students": forms.lines(typed)})
    if messages:
        return set_page(view, 422, errors={"students": forms.roster_messages(typed, messages["students"])},
                        typed={"students": typed})
    rosters_resource.add(problem_set_id, body["students"],
                         keyed=forms.keyed(request.form, request.path, {"students": typed}))
    return _back(problem_set_id, "roster")


def change_due(problem_set_id: uuid.UUID) -> ResponseReturnValue:
    """The set's due date (blank: none), as ``PATCH /api/v1/problem-sets/{id}`` changes it."""
    view = _view(problem_set_id)
    typed = request.form.get("due_at", "")
    body, messages = _loaded(ProblemSetChangeSchema(), {"due_at": forms.utc_moment(typed)})
    if messages:
        return set_page(view, 422, errors={"due_at": messages["due_at"]}, typed={"due_at": typed})
    problem_sets.change_set(problem_set_id, due_at=body["due_at"])
    return _back(problem_set_id, "due")


def change_student_due(problem_set_id: uuid.UUID) -> ResponseReturnValue:
    """A student's own due date (blank: the set's), as ``PATCH …/students/{student}`` sets it."""
    view = _view(problem_set_id)
    student = request.form.get("student", "")
    typed = request.form.get("due_at", "")
    body, messages = _loaded(StudentChangeSchema(), {"due_at": forms.utc_moment(typed)})
    if messages:
        return set_page(view, 422, errors={f"due_at:{student}": messages["due_at"]}, typed={f"due_at:{student}": typed})
    rosters.set_student_due(problem_set_id, student, body["due_at"])
    return _back(problem_set_id, "roster")


def grades_csv(problem_set_id: uuid.UUID) -> Response:
    """The grade book as ``GET …/grades?format=csv`` gives it, for the signed-in instructor."""
    authorize_instructor()
    return grades_resource.grades_csv_response(problem_set_id, grades.grades(db.session(), problem_set_id))


def answer_key(problem_set_id: uuid.UUID) -> Response:
    """The answer key as ``GET …/answer-key`` gives it, for the signed-in instructor."""
    authorize_instructor()
    response = grades_resource.answer_key_response(problem_set_id)
    response.headers["Cache-Control"] = "no-store"
    return response


def mistake(problem_set_id: uuid.UUID, item: int, code: str) -> tuple[str, int]:
    """Each submission to an item that showed a named mistake: who, when, the
    score, their answers with the part marked, and a link to the problem."""
    view = _view(problem_set_id)
    page = _page_number()
    # Refuses (404) an item the set lacks or a code its template does not name.
    shown = analytics.mistake_submissions(db.session(), problem_set_id, item, code, _window(page))
    template = TEMPLATES[view.problem_set.items[item].item.template]
    return render_template("instructor_mistake.html", view=view, problem_set=view.problem_set, item=item,
                           template=template, code=code, explanation=template.mistakes[code].explanation,
                           shown=shown.items, total=shown.total, page=page, pages=_page_count(shown.total),
                           status_labels=STATUS_LABELS), 200


# A set's LMS links (docs/lti-passback.md).

def lti_sync(problem_set_id: uuid.UUID) -> tuple[str, int]:
    """The roster synced from the LMS (``elbo-grader lti sync-roster``): who joined and who was left out
    and why, or why the platform could not be asked (a 409 without a link to ask, else a 502)."""
    view = _view(problem_set_id)
    try:
        result = roster_sync.sync(problem_set_id)
    except LtiError as error:
        status = 409 if isinstance(error, roster_sync.NoMembershipsUrl) else 502
        return render_template("lti_sync.html", problem_set=view.problem_set, error=str(error)), status
    return render_template("lti_sync.html", problem_set=view.problem_set, result=result,
                           max_pages=roster_sync.MAX_PAGES), 200


def lti_zeros(problem_set_id: uuid.UUID) -> ResponseReturnValue:
    """Zeros after due on or off (``elbo-grader lti zeros-after-due``)."""
    _view(problem_set_id)
    state = request.form.get("zeros_after_due")
    if state not in ("on", "off"):
        raise invalid({"zeros_after_due": ["Send on or off."]})
    with db.write_transaction() as writing:
        passback.set_zeros_after_due(writing, problem_set_id, state == "on")
    return _back(problem_set_id, "lms")
