"""The blueprint of ``/lti/login``, ``/lti/launch``, ``/lti/jwks`` and the deep-linking pick.

The views are thin: api.lti.launch checks logins and launches and stores what
a launch brings, api.lti.deep_linking answers a pick, api.lti.keys holds the
tool's keys. A refusal (LaunchRefused) is a page with its reason and status.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, Response, g, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from api import db
from api.auth import open_access
from api.lti import deep_linking, keys, launch, passback
from api.lti.errors import LaunchRefused
from api.pages import as_page, csrf, forms, sessions
from api.resources import problem_sets as problem_sets_resource
from api.schemas import ProblemSetCreateSchema, difficulties
from api.services.paging import Window
from api.services.problem_sets import list_sets
from problems import TEMPLATES
from problems.template import DEFAULT_DIFFICULTY

bp = Blueprint("lti", __name__, url_prefix="/lti")
# An API error here (a CSRF refusal, a refused new set) is shown as a page, as on the pages.
bp.after_request(as_page)
# Sets listed on the deep-linking page, newest first.
PICKER_SETS = 500
_STORAGE_CHECKED = "storage_checked"


def _route(rule: str, view, methods: tuple[str, ...]) -> None:
    # open_access: a launch is authenticated by its id_token, a pick by the session it began.
    bp.add_url_rule(rule, view.__name__, open_access(view), methods=list(methods))


@bp.errorhandler(LaunchRefused)
def _refused(refusal: LaunchRefused) -> tuple[str, int]:
    return render_template("lti_refused.html", reason=refusal.reason, status=refusal.status), refusal.status


def _set_state_cookie(response: BaseResponse, name: str) -> None:
    # Sent back in the platform's cross-site form_post: SameSite=None (so Secure),
    # Partitioned so that browsers blocking third-party cookies still keep it for the LMS's site.
    response.set_cookie(name, "1", max_age=int(launch.STATE_LIFETIME.total_seconds()), path=bp.url_prefix,
                        secure=True, httponly=True, samesite="None", partitioned=True)


def login() -> ResponseReturnValue:
    """OIDC login initiation: to the platform's authorisation endpoint, the state bound to this browser."""
    params = {name: value for name, value in request.values.items() if isinstance(value, str)}
    redirect_to = launch.login(params, url_for("lti.launch_view", _external=True))
    response: BaseResponse
    if redirect_to.storage_target is not None:
        # The platform may block our cookie in its iframe: keep the state in its storage too.
        response = Response(render_template(
            "lti_storage.html", subject="lti.put_data", key=redirect_to.cookie, value=redirect_to.state,
            target=redirect_to.storage_target, origin=redirect_to.storage_origin, then=redirect_to.url))
    else:
        response = redirect(redirect_to.url, 302)
    _set_state_cookie(response, redirect_to.cookie)
    return response


def _bound(state: str, read: launch.State) -> bool | Response:
    """Whether the state is this browser's: its cookie came, or the platform's storage held it (checked
    by a page of ours, resubmitted from our own origin); a page that asks the storage when it may."""
    if request.cookies.get(launch.state_cookie(state)):
        return True
    if read.storage_target is None:
        return False
    if request.form.get(_STORAGE_CHECKED):
        return request.headers.get("Origin") == request.host_url.rstrip("/")
    return Response(render_template(
        "lti_storage.html", subject="lti.get_data", key=launch.state_cookie(state), value=state,
        target=read.storage_target, origin=read.storage_origin, id_token=request.form.get("id_token", ""),
        checked=_STORAGE_CHECKED))


def launch_view() -> ResponseReturnValue:
    """A resource-link or deep-linking launch, checked whole before anything is stored."""
    state = request.form.get("state", "")
    read = launch.read_state(state)
    bound = _bound(state, read)
    if isinstance(bound, Response):
        return bound
    if not bound:
        raise LaunchRefused("The launch's state is not bound to this browser: no state cookie came with it "
                            "(are cookies blocked?). Open the link again.", 403)
    checked = launch.validate(request.form.get("id_token", ""), read)
    response: BaseResponse
    if checked.message_type == launch.DEEP_LINKING:
        context = deep_linking.context_of(checked)
        sessions.sign_in_hash(launch.teach(checked), embedded=True)
        response = make_response(_picker(context))
    else:
        digest = launch.teach(checked) if checked.instructor else launch.join(checked)
        sessions.sign_in_hash(digest, embedded=True)
        response = redirect(url_for("pages.problem_set", problem_set_id=checked.problem_set_id), 303)
    response.delete_cookie(launch.state_cookie(state), path=bp.url_prefix, secure=True, samesite="None",
                           partitioned=True)
    return response


def _picker(context: str, status: int = 200, errors: dict | None = None) -> tuple[str, int]:
    sets = list_sets(db.session(), Window(0, PICKER_SETS))
    return render_template("lti_deep_linking.html", context=context, sets=sets.items, total=sets.total,
                           templates=TEMPLATES, difficulties=difficulties(), default_difficulty=DEFAULT_DIFFICULTY,
                           render_key=forms.new_render_key(), errors=errors or {}), status


def _instructor_pick() -> deep_linking.Context:
    """A pick's context, only from the instructor session its launch began, with the form's CSRF token."""
    sessions.load_caller()
    csrf.protect()
    if g.caller.kind != "instructor":
        raise LaunchRefused("Picking a problem set needs the instructor session of a deep-linking launch.", 403)
    return deep_linking.read_context(request.form.get("context", ""))


def _answer(context: deep_linking.Context, problem_set_id: uuid.UUID) -> ResponseReturnValue:
    answer = deep_linking.answer(context, problem_set_id, url_for("lti.launch_view", _external=True))
    return render_template("lti_deep_linking_response.html", answer=answer)


def deep_link() -> ResponseReturnValue:
    """The pick of a set: the signed response, posted to the platform by the browser."""
    context = _instructor_pick()
    try:
        problem_set_id = uuid.UUID(request.form.get("problem_set_id", ""))
    except ValueError:
        raise LaunchRefused(f"{request.form.get('problem_set_id', '')!r} is not a problem set id.") from None
    return _answer(context, problem_set_id)


def deep_link_new() -> ResponseReturnValue:
    """A new set from templates (no students: learners join by launching), then its response."""
    context = _instructor_pick()
    chosen = request.form.getlist("template")
    body = {"title": request.form.get("title", ""), "students": [],
            "items": [{"template": name, "difficulty": request.form.get("difficulty") or None} for name in chosen]}
    try:
        loaded = ProblemSetCreateSchema().load(body)
    except ValidationError as error:
        return _picker(request.form.get("context", ""), 422, error.normalized_messages())
    keyed = forms.keyed(request.form, request.path, {"title": str(body["title"]), "templates": " ".join(chosen),
                                                     "difficulty": request.form.get("difficulty", "")})
    made = problem_sets_resource.create(loaded, keyed=keyed).get_json()
    return _answer(context, uuid.UUID(made["id"]))


def jwks() -> ResponseReturnValue:
    """The tool's public keys, for the platform to verify its messages and client assertions."""
    response = jsonify(keys.jwks())
    response.cache_control.max_age = 300
    return response


_route("/login", login, ("GET", "POST"))
_route("/launch", launch_view, ("POST",))
_route("/deep-link", deep_link, ("POST",))
_route("/deep-link/new", deep_link_new, ("POST",))
_route("/jwks", jwks, ("GET",))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    passback.init_app(app)
