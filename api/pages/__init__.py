"""Pages for people (docs/api.md §13): a blueprint of server-rendered HTML in the same app.

The views (api.pages.views; api.pages.instructor for instructors) call the
same services and access rules as the JSON API. A page's caller comes from its session cookie (api.pages.sessions),
not from an Authorization header; every form is checked for a CSRF token
(Flask-WTF), and only here: the JSON API under /api/v1 has no cookies to
protect and stays exempt. Errors are the API's own, turned into a page.
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, render_template, request
from flask_wtf.csrf import CSRFProtect

from api.auth import open_access
from api.errors import PROBLEM_JSON
from api.pages import assets, instructor, printing, sessions, views

bp = Blueprint("pages", __name__)
csrf = CSRFProtect()
# Headers of an API error that mean nothing on a page.
_DROPPED = frozenset({"content-type", "content-length", "www-authenticate"})


def _route(rule: str, view, endpoint: str | None = None, methods: tuple[str, ...] = ("GET",)) -> None:
    # open_access: api.auth never reads an Authorization header here; the session says who calls.
    bp.add_url_rule(rule, endpoint or view.__name__, open_access(view), methods=list(methods))


_route("/", views.home)
_route("/practice/<template>", views.practice)
_route("/problems/<uuid:problem_id>", views.problem)
_route("/problems/<uuid:problem_id>", views.submit, methods=("POST",))
_route("/reading", views.reading)
_route("/sign-in", views.sign_in_form, "sign_in_form")
_route("/sign-in", views.sign_in, methods=("POST",))
_route("/sign-out", views.sign_out, methods=("POST",))
_route("/sets/<uuid:problem_set_id>", views.problem_set)
_route("/instructor", instructor.instructor)
_route("/instructor", instructor.create_set, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/tokens", instructor.show_tokens, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/token", instructor.change_token, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/students", instructor.add_students, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/due", instructor.change_due, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/student-due", instructor.change_student_due, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/grades.csv", instructor.grades_csv)
_route("/sets/<uuid:problem_set_id>/answer-key.json", instructor.answer_key)
_route("/sets/<uuid:problem_set_id>/print", printing.print_set)
_route("/sets/<uuid:problem_set_id>/items/<int:item>/mistakes/<code>", instructor.mistake)
_route("/sets/<uuid:problem_set_id>/lti/sync", instructor.lti_sync, methods=("POST",))
_route("/sets/<uuid:problem_set_id>/lti/zeros-after-due", instructor.lti_zeros, methods=("POST",))
_route("/flashcards", printing.flashcards)
_route("/static/<digest>/<path:filename>", assets.serve, "static_file")


def authenticate() -> None:
    """before_request, right after api.auth.authenticate (and so before rate
    limits, which count per caller): a page's caller is its session's."""
    if request.blueprint == bp.name and request.endpoint != "pages.static_file":
        sessions.load_caller()


@bp.before_request
def _check_csrf() -> None:
    if request.method == "POST":
        csrf.protect()


@bp.after_request
def as_page(response: Response) -> Response:
    """An API error (problem+json, with its status and headers) as an HTML page."""
    if response.mimetype != PROBLEM_JSON:
        return response
    problem = json.loads(response.get_data())
    page = Response(render_template("error.html", problem=problem), problem["status"], mimetype="text/html")
    for name, value in response.headers.items():
        if name.lower() not in _DROPPED:
            page.headers[name] = value
    return page


def init_app(app: Flask) -> None:
    sessions.init_app(app)
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in this blueprint only (_check_csrf)
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session: a long exercise still submits
    )
    csrf.init_app(app)
    app.jinja_env.globals["asset_url"] = assets.asset_url
    app.register_blueprint(bp)
