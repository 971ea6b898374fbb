"""Deep linking in process: the picker lists every set, a pick is signed for its launch only, and a
pick without the session's CSRF token, with another context, or by a learner is refused."""

from __future__ import annotations

import html
import re

import jwt
import pytest
from platform_launches import CLIENT_ID, DEPLOYMENT_ID, DL_CLAIM, INSTRUCTOR, LaunchSpec, Platform, preflight_of

from api.db import database
from api.lti.models import LtiNonce


def deep_linking_page(client, lms: Platform) -> str:
    hint = lms.add_launch(LaunchSpec(roles=INSTRUCTOR, deep_linking=True))
    preflight = preflight_of(client.get(lms.login_url(hint)).headers["Location"])
    id_token, state = lms.id_token(hint, preflight)
    response = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return html.unescape(found.group(1))


def response_claims(response, lms: Platform) -> dict:
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'method="post" action="' + lms.url + '/deep-link-return"' in page
    token = field(page, "JWT")
    return jwt.decode(token, options={"verify_signature": False})


def test_the_picker_lists_every_set_with_its_hook(client, make_set, lms, platform_id):
    sets = [make_set(students=[], title=f"Week {week}").problem_set_id for week in (6, 7, 8)]
    page = deep_linking_page(client, lms)
    assert sorted(re.findall(r'data-problem-set-id="([^"]+)"', page)) == sorted(sets)


def test_a_pick_answers_the_launch_with_the_set_as_a_resource_link(app, client, make_set, lms,
                                                                   platform_id):
    set_id = make_set(students=[], title="Week 6").problem_set_id
    page = deep_linking_page(client, lms)
    response = client.post("/lti/deep-link", data={"csrf_token": field(page, "csrf_token"),
                                                   "context": field(page, "context"), "problem_set_id": set_id})
    claims = response_claims(response, lms)
    (item,) = claims[DL_CLAIM + "content_items"]
    assert item["custom"] == {"problem_set_id": set_id}
    assert item["lineItem"] == {"scoreMaximum": 1, "label": "Week 6", "resourceId": set_id}
    assert (claims["iss"], claims["aud"], claims[DL_CLAIM + "data"]) == (CLIENT_ID, lms.issuer,
                                                                          "opaque-platform-data")
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == DEPLOYMENT_ID
    with database(app).sessions() as session:
        assert session.query(LtiNonce).count() == 1  # the deep-linking launch spent its nonce


@pytest.mark.parametrize(("change", "status", "said"), [
    ({"csrf_token": ""}, 400, "CSRF"),
    ({"context": "forged"}, 400, "does not come from a deep-linking launch of this tool"),
    ({"problem_set_id": "week-6"}, 400, "'week-6' is not a problem set id"),
    ({"problem_set_id": "00000000-0000-4000-8000-000000000000"}, 404, "There is no problem set"),
], ids=["no csrf token", "forged context", "malformed set id", "unknown set"])
def test_a_pick_is_refused_without_its_token_context_or_set(client, make_set, lms, platform_id,
                                                            change, status, said):
    set_id = make_set(students=[]).problem_set_id
    page = deep_linking_page(client, lms)
    form = {"csrf_token": field(page, "csrf_token"), "context": field(page, "context"), "problem_set_id": set_id,
            **change}
    response = client.post("/lti/deep-link", data=form)
    assert response.status_code == status and response.mimetype == "text/html"
    assert said in html.unescape(response.get_data(as_text=True))
    assert "JWT" not in response.get_data(as_text=True)


def test_a_pick_needs_an_instructor_session(app, client, make_set, lms, platform_id):
    set_id = make_set(students=[]).problem_set_id
    context = field(deep_linking_page(client, lms), "context")
    # A learner, signed in by their own launch, with their own session's CSRF token.
    learner = app.test_client()
    hint = lms.add_launch(LaunchSpec(sub="learner-9", problem_set_id=set_id))
    preflight = preflight_of(learner.get(lms.login_url(hint)).headers["Location"])
    id_token, state = lms.id_token(hint, preflight)
    assert learner.post("/lti/launch", data={"id_token": id_token, "state": state}).status_code == 303
    token = field(learner.get(f"/sets/{set_id}").get_data(as_text=True), "csrf_token")
    response = learner.post("/lti/deep-link", data={"csrf_token": token, "context": context,
                                                    "problem_set_id": set_id})
    assert response.status_code == 403 and "needs the instructor session" in response.get_data(as_text=True)
    # And another browser, with no session at all, has no CSRF token that could match.
    stranger = app.test_client().post("/lti/deep-link", data={"csrf_token": token, "context": context,
                                                              "problem_set_id": set_id})
    assert stranger.status_code == 400 and "CSRF" in stranger.get_data(as_text=True)


def test_a_new_set_needs_a_title_and_a_template(client, lms, platform_id):
    page = deep_linking_page(client, lms)
    response = client.post("/lti/deep-link/new", data={"csrf_token": field(page, "csrf_token"),
                                                       "context": field(page, "context"), "title": "Week 9"})
    assert response.status_code == 422 and "items" in response.get_data(as_text=True)
    assert 'data-problem-set-id' not in response.get_data(as_text=True)  # no set was made


@pytest.mark.parametrize(("settings", "said"), [
    ({"deep_link_return_url": "javascript:alert(1)"},
     "deep_link_return_url 'javascript:alert(1)' is not an https URL"),
    ({"deep_link_return_url": None}, "has no deep_link_return_url"),
    ({"accept_types": ["html", "link"]}, "The platform accepts html, link here, not ltiResourceLink"),
], ids=["a script for a return url", "no return url", "no resource links accepted"])
def test_a_deep_linking_launch_the_tool_cannot_answer_is_refused(app, client, lms, platform_id, settings, said):
    lms.mutate = lambda claims: claims[DL_CLAIM + "deep_linking_settings"].update(settings)
    try:
        hint = lms.add_launch(LaunchSpec(roles=INSTRUCTOR, deep_linking=True))
        preflight = preflight_of(client.get(lms.login_url(hint)).headers["Location"])
        id_token, state = lms.id_token(hint, preflight)
    finally:
        lms.mutate = None
    response = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    assert response.status_code == 400 and said in html.unescape(response.get_data(as_text=True))
    with database(app).sessions() as session:
        assert session.query(LtiNonce).count() == 0
