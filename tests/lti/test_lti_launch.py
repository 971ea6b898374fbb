"""OIDC login and launches, in process against the test platform (over real HTTP for its JWKS):
what a learner's and an instructor's launch store and sign in, and every refused launch, each alone,
with its status, its reason and nothing stored."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from platform_launches import CLAIM, CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, LaunchSpec, Platform, pem_pair, preflight_of
from sqlalchemy import func, select

from api.db import database
from api.lti import launch as lti_launch
from api.lti import platforms
from api.lti.models import LtiLearner, LtiLink, LtiNonce
from api.models import StudentToken

ROSTER_TABLES = (StudentToken, LtiLearner, LtiLink, LtiNonce)


@pytest.fixture
def set_id(make_set, platform_id) -> str:
    return make_set(students=[]).problem_set_id


def counts(app) -> dict[str, int]:
    with database(app).sessions() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in ROSTER_TABLES}


def login(client, lms: Platform, spec: LaunchSpec) -> tuple[str, dict[str, str]]:
    """The launch's hint and the tool's authorisation request to the platform."""
    hint = lms.add_launch(spec)
    response = client.get(lms.login_url(hint))
    assert response.status_code == 302, response.get_data(as_text=True)
    return hint, preflight_of(response.headers["Location"])


def launch(client, lms: Platform, spec: LaunchSpec, **sign: Any):
    hint, preflight = login(client, lms, spec)
    id_token, state = lms.id_token(hint, preflight, **sign)
    return client.post("/lti/launch", data={"id_token": id_token, "state": state})


def reason(response) -> str:
    found = re.search(r'class="lti-reason"[^>]*>([^<]*)<', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return html.unescape(found.group(1))


def student_id(platform_id: str, sub: str) -> str:
    return "lti-" + hashlib.sha256(f"{platform_id}\x1f{sub}".encode()).hexdigest()[:16]


def test_login_redirects_to_the_platform_with_every_oidc_parameter(client, lms, platform_id, set_id):
    hint, preflight = login(client, lms, LaunchSpec(problem_set_id=set_id))
    assert {name: preflight[name] for name in ("scope", "response_type", "response_mode", "prompt", "client_id",
                                               "redirect_uri", "login_hint", "lti_message_hint")} == {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": CLIENT_ID, "redirect_uri": "http://localhost/lti/launch", "login_hint": "lms-user-1",
        "lti_message_hint": hint}
    assert len(preflight["state"]) > 40 and len(preflight["nonce"]) >= 32


def test_the_state_cookie_is_for_a_cross_site_iframe(client, lms, platform_id, set_id):
    hint = lms.add_launch(LaunchSpec(problem_set_id=set_id))
    (cookie,) = client.get(lms.login_url(hint)).headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "partitioned", "samesite"} <= attributes and "SameSite=None" in cookie
    assert "Path=/lti" in cookie and "Max-Age=600" in cookie


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_login_refuses_an_unknown_platform(client, lms, platform_id, method):
    params = {"iss": "https://unknown.example", "login_hint": "u", "target_link_uri": "http://localhost/lti/launch"}
    response = client.open("/lti/login", method=method, query_string=params if method == "GET" else None,
                           data=params if method == "POST" else None)
    assert response.status_code == 403
    assert "No platform is registered with issuer 'https://unknown.example'" in reason(response)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(("name", "value", "said"), [
    ("iss", "https://lms\x00.example", "The issuer (iss) is not an id"),
    ("iss", "https://" + "l" * 250, "The issuer (iss) is not an id"),
    ("client_id", "c\x00", "The client_id is not an id"),
])
def test_login_refuses_ids_no_platform_can_have(client, lms, platform_id, name, value, said):
    params = {"iss": lms.issuer, "login_hint": "u", "target_link_uri": "http://localhost/lti/launch", name: value}
    response = client.get("/lti/login", query_string=params)
    assert response.status_code == 400 and said in reason(response)


@pytest.mark.parametrize("target", ["https://evil.example/lti/launch", "http://[", "/lti/launch"])
def test_login_refuses_a_target_on_another_host(client, lms, platform_id, target):
    params = {"iss": lms.issuer, "login_hint": "u", "target_link_uri": target}
    response = client.get("/lti/login", query_string=params)
    assert response.status_code == 400 and "is not on this tool" in reason(response)


def test_a_learners_launch_joins_the_roster_signs_in_and_lands_on_the_set(app, client, lms, platform_id, set_id):
    response = launch(client, lms, LaunchSpec(problem_set_id=set_id))
    assert response.status_code == 303 and response.headers["Location"] == f"/sets/{set_id}"
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("elbo_grader_session"))
    assert "SameSite=None" in session_cookie and "Secure" in session_cookie and "Partitioned" in session_cookie
    page = client.get(f"/sets/{set_id}")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    with database(app).sessions() as session:
        (roster,) = session.scalars(select(StudentToken.student_id)).all()
        learner = session.scalars(select(LtiLearner)).one()
        link = session.scalars(select(LtiLink)).one()
        assert session.scalar(select(func.count()).select_from(LtiNonce)) == 1
    assert roster == learner.student_id == student_id(platform_id, "lms-user-1")
    assert (learner.sub, learner.name, learner.link_id) == ("lms-user-1", "Ada Lovelace", link.id)
    assert (link.resource_link_id, link.deployment_id, str(link.problem_set_id)) == ("link-1", DEPLOYMENT_ID, set_id)
    assert link.lineitem_url == f"{lms.url}/lineitems/link-1" and link.lineitems_url == f"{lms.url}/lineitems"
    assert link.memberships_url == f"{lms.url}/memberships"
    assert link.ags_scopes is not None and "https://purl.imsglobal.org/spec/lti-ags/scope/score" in link.ags_scopes


def test_a_second_launch_of_the_same_user_is_the_same_student(app, client, lms, platform_id, set_id):
    launch(client, lms, LaunchSpec(problem_set_id=set_id))
    assert launch(client, lms, LaunchSpec(problem_set_id=set_id, name="Ada King")).status_code == 303
    assert launch(client, lms, LaunchSpec(sub="lms-user-2", problem_set_id=set_id)).status_code == 303
    with database(app).sessions() as session:
        rows = session.execute(select(LtiLearner.sub, LtiLearner.student_id, LtiLearner.name)
                               .order_by(LtiLearner.sub)).all()
        roster = set(session.scalars(select(StudentToken.student_id)))
    assert [tuple(row) for row in rows] == [
        ("lms-user-1", student_id(platform_id, "lms-user-1"), "Ada King"),
        ("lms-user-2", student_id(platform_id, "lms-user-2"), "Ada Lovelace")]
    assert roster == {row.student_id for row in rows}


def test_nothing_of_the_launch_but_a_display_name_is_kept(app, client, lms, platform_id, set_id):
    launch(client, lms, LaunchSpec(problem_set_id=set_id))
    with database(app).sessions() as session:
        stored = " ".join(str(row) for model in ROSTER_TABLES
                          for row in session.execute(select(*model.__table__.columns)).all())
    assert "ada@example.edu" not in stored and "Variational inference" not in stored


def test_an_instructors_launch_signs_in_as_the_platforms_instructor(app, client, lms, platform_id, set_id):
    response = launch(client, lms, LaunchSpec(roles=INSTRUCTOR, problem_set_id=set_id))
    assert response.status_code == 303 and response.headers["Location"] == f"/sets/{set_id}"
    assert client.get("/instructor").status_code == 200
    assert counts(app)["student_tokens"] == 0  # an instructor joins no roster
    with database(app).sessions() as session:
        platforms.remove_platform(session, platform_id)
    # Removing the platform revokes its instructor key: the session ends at once.
    assert client.get("/instructor").status_code == 401


def test_a_rotated_platform_key_is_fetched_when_its_kid_is_new(app, client, lms, platform_id, set_id, monkeypatch):
    # No cooldown between fetches (a few seconds in service), so that the test need not wait it out.
    monkeypatch.setattr(lti_launch, "JWKS_REFETCH_COOLDOWN", 0)
    assert launch(client, lms, LaunchSpec(problem_set_id=set_id)).status_code == 303  # the old key, cached
    lms.rotate_key()
    try:
        assert launch(client, lms, LaunchSpec(sub="lms-user-2", problem_set_id=set_id)).status_code == 303
    finally:
        lms.retired_public_keys.clear()


def _claims(change: Callable[[dict[str, Any]], object]) -> Callable[[Platform], None]:
    def arrange(lms: Platform) -> None:
        lms.mutate = change
    return arrange


def _without(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda claims: claims.pop(name, None)


def _custom(value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda claims: claims.__setitem__(CLAIM + "custom", value)


OTHER_KEY = pem_pair()[0]
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
UNKNOWN_SET = "00000000-0000-4000-8000-000000000000"

# (case, how the platform misbehaves, how the id_token is signed, status, reason)
REFUSED = [
    ("unknown kid", None, {"private_key": OTHER_KEY}, 401, "is not in the platform's JWKS"),
    ("expired", None, {"age": 600}, 401, "The id_token has expired."),
    ("wrong iss", _claims(lambda c: c.update(iss="https://other.example")), {}, 403,
     "issuer 'https://other.example' is not the registered platform the login began with"),
    ("wrong aud", _claims(lambda c: c.update(aud="another-tool", azp="another-tool")), {}, 401,
     f"its aud lacks client id '{CLIENT_ID}'"),
    ("several aud without azp", _claims(lambda c: (c.update(aud=[CLIENT_ID, "another-tool"]), c.pop("azp"))), {},
     401, "several audiences and its azp is not"),
    ("azp of another tool", _claims(lambda c: c.update(azp="another-tool")), {}, 401,
     "several audiences and its azp is not"),
    ("nonce of another login", _claims(lambda c: c.update(nonce="n" * 32)), {}, 403,
     "nonce is not the one this login issued"),
    ("no nonce", _claims(_without("nonce")), {}, 401, 'Token is missing the "nonce" claim'),
    ("unknown deployment", _claims(lambda c: c.update({CLAIM + "deployment_id": "deployment-9"})), {}, 403,
     "Deployment 'deployment-9' is not registered"),
    ("wrong message type", _claims(lambda c: c.update({CLAIM + "message_type": "LtiSubmissionReviewRequest"})), {},
     400, "Message type 'LtiSubmissionReviewRequest' is not"),
    ("wrong version", _claims(lambda c: c.update({CLAIM + "version": "1.1"})), {}, 400,
     "LTI version '1.1' is not 1.3.0"),
    ("no problem_set_id", _claims(_custom({})), {}, 400, "no custom parameter problem_set_id"),
    ("unknown problem_set_id", _claims(_custom({"problem_set_id": UNKNOWN_SET})), {}, 404,
     f"problem_set_id '{UNKNOWN_SET}' names no problem set"),
    ("malformed problem_set_id", _claims(_custom({"problem_set_id": "week-6"})), {}, 400,
     "'week-6' is not a problem set id"),
    ("no resource link", _claims(_without(CLAIM + "resource_link")), {}, 400, "has no resource_link id"),
    ("no user", _claims(_without("sub")), {}, 400, "has no user (sub)"),
    ("a user id too long", _claims(lambda c: c.update(sub="u" * 256)), {}, 400,
     "The user id (sub) is not an id of 1 to 255 printable characters."),
    ("a user id with a NUL", _claims(lambda c: c.update(sub="u\x00")), {}, 400, "user id (sub) is not an id"),
    ("a resource link id too long", _claims(lambda c: c.update({CLAIM + "resource_link": {"id": "l" * 256}})), {},
     400, "The resource_link id is not an id"),
    ("no deployment", _claims(_without(CLAIM + "deployment_id")), {}, 400, "The deployment_id is not an id"),
    ("a nonce that is not ASCII", _claims(lambda c: c.update(nonce="é" * 32)), {}, 403,
     "nonce is not the one this login issued"),
    ("a line item that is no URL", _claims(lambda c: c[AGS].update(lineitem="http://[")), {}, 400,
     "The launch's service URL: the platform's lineitem 'http://[' is not an http(s) URL."),
    ("a line item on a port past 65535", _claims(lambda c: c[AGS].update(lineitem="https://lms:99999/1")), {},
     400, "lineitem 'https://lms:99999/1' is not an http(s) URL"),
    ("a memberships URL with a NUL", _claims(lambda c: c[NRPS].update(context_memberships_url="https://l/\x00")),
     {}, 400, "context_memberships_url 'https://l/\\x00' is not an http(s) URL"),
    ("a memberships URL not over http", _claims(lambda c: c[NRPS].update(context_memberships_url="file:///etc")),
     {}, 400, "context_memberships_url 'file:///etc' is not an http(s) URL"),
]


@pytest.mark.parametrize(("arrange", "sign", "status", "said"), [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_a_refused_launch_says_why_and_stores_nothing(app, client, lms, platform_id, set_id, arrange, sign, status,
                                                       said):
    if arrange is not None:
        arrange(lms)
    try:
        response = launch(client, lms, LaunchSpec(problem_set_id=set_id), **sign)
    finally:
        lms.mutate = None
    assert response.status_code == status and said in reason(response)
    assert counts(app) == dict.fromkeys(counts(app), 0)
    assert client.get(f"/sets/{set_id}").status_code == 401  # nobody was signed in


def test_a_token_good_past_the_year_9999_launches_and_its_nonce_is_kept_as_long_as_a_state_lasts(
        app, client, lms, platform_id, set_id):
    lms.mutate = lambda claims: claims.update(exp=10**12)
    try:
        response = launch(client, lms, LaunchSpec(problem_set_id=set_id))
    finally:
        lms.mutate = None
    assert response.status_code == 303
    with database(app).sessions() as session:
        (kept_until,) = session.scalars(select(LtiNonce.expires_at)).all()
    # The state's 10 minutes and the 60 s of leeway, from about now.
    lasts = kept_until.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(minutes=10) < lasts <= timedelta(minutes=11)


def test_a_display_name_keeps_only_its_printable_characters(app, client, lms, platform_id, set_id):
    spec = LaunchSpec(problem_set_id=set_id, name="  Ada\x00 Love\nlace" + "e" * 300)
    assert launch(client, lms, spec).status_code == 303
    with database(app).sessions() as session:
        (name,) = session.scalars(select(LtiLearner.name)).all()
    assert name == ("Ada Lovelace" + "e" * 300)[:200]


def test_a_bad_signature_is_refused(app, client, lms, platform_id, set_id):
    hint, preflight = login(client, lms, LaunchSpec(problem_set_id=set_id))
    claims, state = lms.claims(hint, preflight)
    genuine = lms.sign(dict(claims))
    forged = lms.sign(dict(claims, sub="someone-else"))
    # The forged claims under the genuine token's signature.
    id_token = ".".join(forged.split(".")[:2] + genuine.split(".")[2:])
    response = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert response.status_code == 401 and "signature does not verify" in reason(response)
    assert counts(app) == dict.fromkeys(counts(app), 0)


def test_a_replayed_launch_is_refused_and_stores_nothing_more(app, client, lms, platform_id, set_id):
    hint, preflight = login(client, lms, LaunchSpec(problem_set_id=set_id))
    id_token, state = lms.id_token(hint, preflight)
    assert client.post("/lti/launch", data={"id_token": id_token, "state": state}).status_code == 303
    before = counts(app)
    # The state cookie was spent too: replay it by hand, as an attacker holding both would.
    client.set_cookie(next(iter(_state_cookies(preflight["state"]))), "1", path="/lti")
    response = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert response.status_code == 403 and "used already" in reason(response)
    assert counts(app) == before


def _state_cookies(state: str) -> set[str]:
    return {"elbo_grader_lti_" + hashlib.sha256(state.encode()).hexdigest()[:24]}


@pytest.mark.parametrize(("state", "status", "said"), [
    ("", 400, "The launch has no state."),
    ("not-a-state", 400, "not one this tool issued"),
], ids=["missing", "forged"])
def test_a_launch_without_its_own_state_is_refused(app, client, lms, platform_id, set_id, state, status, said):
    hint, preflight = login(client, lms, LaunchSpec(problem_set_id=set_id))
    id_token, _ = lms.id_token(hint, preflight)
    response = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert response.status_code == status and said in reason(response)
    assert counts(app) == dict.fromkeys(counts(app), 0)


def test_a_state_from_another_browser_is_refused(app, lms, platform_id, set_id):
    mine, theirs = app.test_client(), app.test_client()
    hint, preflight = login(theirs, lms, LaunchSpec(problem_set_id=set_id))
    id_token, state = lms.id_token(hint, preflight)
    # Posted by a browser that did not begin this login (login CSRF): no state cookie.
    response = mine.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert response.status_code == 403 and "not bound to this browser" in reason(response)
    assert counts(app) == dict.fromkeys(counts(app), 0)


LOGIN_PARAMS = ["iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id",
                "lti_storage_target"]


@given(params=st.dictionaries(st.sampled_from(LOGIN_PARAMS), st.text(max_size=300)),
       registered_issuer=st.booleans(), target=st.sampled_from(["", "http://localhost/lti/launch"]) | st.text())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_login_parameters_make_a_500_or_a_cookie_without_a_redirect(client, lms, platform_id, params,
                                                                        registered_issuer, target):
    if registered_issuer:
        params = {**params, "iss": lms.issuer, "login_hint": params.get("login_hint") or "u",
                  "target_link_uri": target}
    response = client.post("/lti/login", data=params)
    assert response.status_code in (200, 302, 400, 403)
    if response.status_code >= 400:
        assert "Set-Cookie" not in response.headers and reason(response)


@given(id_token=st.text(max_size=400) | st.builds(lambda parts: ".".join(parts), st.lists(st.text(), max_size=4)),
       state=st.text(max_size=200))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_launch_body_makes_a_500(app, client, lms, platform_id, id_token, state):
    response = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert 400 <= response.status_code < 500 and reason(response)
    assert counts(app) == dict.fromkeys(counts(app), 0)
