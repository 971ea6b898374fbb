"""Launches in a real browser (Debian's Chromium through Playwright) on a real server, framed by the
test platform on another site: a learner's launch and their first submission, an instructor's launch,
and deep-linking round trips verified by the platform with lti1p3platform against the tool's JWKS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests
from lti_setup import wait_for
from page_helpers import axe_violations  # type: ignore[import-not-found]  # (tests/pages, on the path by conftest)
from platform_launches import CLAIM, CLIENT_ID, DEPLOYMENT_ID, DL_CLAIM, INSTRUCTOR, LaunchSpec, Platform
from platform_services import Platform as Services
from platform_services import member
from playwright.sync_api import Frame, Page, expect

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]


def api(server, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, server.url + path, headers={"Authorization": f"Bearer {server.instructor_key}"},
                            timeout=10, **kwargs)


def new_set(server, title: str = "Week 6", items: int = 2) -> str:
    response = api(server, "POST", "/api/v1/problem-sets", json={
        "title": title, "items": [{"template": "elbo-gap"}] * items, "students": []})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def tool_frame(page: Page, platform, spec: LaunchSpec) -> Frame:
    """The course page with the tool's frame, launched."""
    page.set_default_timeout(15_000)
    page.goto(f"{platform.url}/course/{platform.add_launch(spec)}", wait_until="commit")
    element = page.wait_for_selector("iframe[name=tool]")
    frame = element.content_frame() if element is not None else None
    assert frame is not None
    return frame


def test_a_learner_launches_into_their_set_and_submits(page, served):
    server, platform = served
    set_id = new_set(server)
    frame = tool_frame(page, platform, LaunchSpec(sub="learner-browser", problem_set_id=set_id))
    frame.wait_for_url(f"{server.url}/sets/{set_id}")
    expect(frame.locator("[data-item]")).to_have_count(2)
    frame.click('[data-item="0"] a')
    frame.fill('input[name="marginal"]', "0.5")
    frame.click("form.answers button[type=submit]")
    expect(frame.locator("[data-score]")).to_have_count(1)
    (student,) = api(server, "GET", f"/api/v1/problem-sets/{set_id}/students").json()["students"]
    assert student["student_id"].startswith("lti-")
    problem_id = student["problems"][0]["problem_id"]
    (submission,) = api(server, "GET", f"/api/v1/problems/{problem_id}/submissions").json()
    assert submission["student_id"] == student["student_id"]
    # The platform was asked for exactly what OIDC and LTI say.
    asked = platform.auth_requests[-1]
    assert (asked["scope"], asked["response_type"], asked["response_mode"], asked["prompt"]) == (
        "openid", "id_token", "form_post", "none")


def test_an_instructor_launches_into_the_sets_instructor_page(page, served):
    server, platform = served
    set_id = new_set(server, "Week 7")
    frame = tool_frame(page, platform, LaunchSpec(sub="teacher-browser", roles=INSTRUCTOR, problem_set_id=set_id))
    frame.wait_for_url(f"{server.url}/sets/{set_id}")
    expect(frame.locator("h1")).to_have_text("Week 7")
    expect(frame.locator("text=My problem sets")).to_have_count(1)  # an instructor's navigation
    assert api(server, "GET", f"/api/v1/problem-sets/{set_id}/students").json()["students"] == []


def _linked(platform, set_id: str, title: str, items: int) -> None:
    link = platform.deep_links[-1]
    (item,) = link["items"]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"problem_set_id": set_id}
    assert item["lineItem"] == {"scoreMaximum": items, "label": title, "resourceId": set_id}
    claims = link["claims"]
    assert (claims["iss"], claims["aud"]) == (CLIENT_ID, platform.issuer)
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse" and claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert claims[DL_CLAIM + "data"] == "opaque-platform-data"
    assert claims["nonce"] and claims["iat"] < claims["exp"]


def test_deep_linking_picks_a_set_and_the_platform_verifies_the_answer(page, served):
    server, platform = served
    set_id = new_set(server, "Week 8", items=3)
    frame = tool_frame(page, platform, LaunchSpec(sub="teacher-browser", roles=INSTRUCTOR, deep_linking=True))
    frame.click(f'[data-problem-set-id="{set_id}"]')
    expect(frame.locator("#linked")).to_have_text("Linked: Week 8")
    _linked(platform, set_id, "Week 8", 3)


def test_deep_linking_makes_a_new_set_from_templates(page, served):
    server, platform = served
    frame = tool_frame(page, platform, LaunchSpec(sub="teacher-browser", roles=INSTRUCTOR, deep_linking=True))
    frame.fill("#lti-title", "Week 9")
    frame.check('input[name="template"][value="elbo-gap"]')
    frame.check('input[name="template"][value="tight-bound"]')
    frame.click("text=Make it and link it")
    expect(frame.locator("#linked")).to_have_text("Linked: Week 9")
    set_id = platform.deep_links[-1]["items"][0]["custom"]["problem_set_id"]
    made = api(server, "GET", f"/api/v1/problem-sets/{set_id}").json()
    assert made["title"] == "Week 9" and [item["template"] for item in made["items"]] == ["elbo-gap", "tight-bound"]
    _linked(platform, set_id, "Week 9", 2)


def test_a_learner_may_not_deep_link(page, served):
    server, platform = served
    frame = tool_frame(page, platform, LaunchSpec(sub="learner-browser", deep_linking=True))
    expect(frame.locator(".lti-reason")).to_have_text("Only an instructor may pick a problem set for a link.")


LAUNCH = re.compile(r"/lti/launch$")


def launched_without_cookies(page: Page, platform, spec: LaunchSpec) -> Frame:
    """The launch sent with no cookie, as by a browser that blocks the tool's cookies in the frame."""
    platform.hold = True
    try:
        frame = tool_frame(page, platform, spec)
        frame.wait_for_selector("#send")
    finally:
        platform.hold = False
    page.context.clear_cookies()
    frame.click("#send")
    return frame


@pytest.mark.parametrize("storage_delay", [0.0, 1.0], ids=["storage ready", "storage still loading"])
def test_where_the_state_cookie_is_lost_the_platforms_storage_binds_the_state(page, served, storage_delay):
    server, platform = served
    set_id = new_set(server, "Week 10")
    launches: list[str] = []
    page.on("request", lambda request: launches.append(request.method) if LAUNCH.search(request.url) else None)
    frame = launched_without_cookies(page, platform, LaunchSpec(sub="learner-storage", problem_set_id=set_id,
                                                               storage_target="lti_storage",
                                                               storage_delay=storage_delay))
    frame.wait_for_url(f"{server.url}/sets/{set_id}")
    expect(frame.locator("[data-item]")).to_have_count(2)
    # The platform's post, then our page's once it found the state in the platform's storage.
    assert launches == ["POST", "POST"]


def test_without_the_cookie_or_the_platforms_storage_a_launch_is_refused(page, served):
    server, platform = served
    set_id = new_set(server, "Week 11")
    frame = launched_without_cookies(page, platform, LaunchSpec(sub="learner-nothing", problem_set_id=set_id))
    expect(frame.locator(".lti-reason")).to_contain_text("not bound to this browser")
    assert api(server, "GET", f"/api/v1/problem-sets/{set_id}/students").json()["students"] == []


def test_the_lti_pages_are_accessible(page, served):
    server, platform = served
    new_set(server, "Week 12")
    page.set_default_timeout(15_000)
    # Opened at the top (axe reads a page, not a frame): the deep-linking picker, then a refusal.
    page.goto(platform.login_url(platform.add_launch(LaunchSpec(roles=INSTRUCTOR, deep_linking=True))))
    expect(page.locator("[data-problem-set-id]").first).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"{server.url}/lti/login?iss=https://unknown.example&login_hint=u&target_link_uri={server.url}")
    expect(page.locator(".lti-reason")).to_contain_text("No platform is registered")
    assert axe_violations(page) == []


@pytest.fixture(scope="module")
def lms(served) -> Iterator[tuple[Platform, Services]]:
    """A second test LMS registered with the server, whose launches name its services platform's
    token, AGS and NRPS endpoints, as a real LMS's launches name its own."""
    server, _ = served
    services = Services(server.url, client_id=CLIENT_ID)
    platform = Platform(server.url, services=services)
    server.run("lti", "add-platform", *platform.add_platform_args())
    yield platform, services
    platform.stop()
    services.close()


def test_a_learners_score_reaches_the_platforms_ags_endpoint_sent_by_the_servers_drainer(page, served, lms):
    server, _ = served
    platform, services = lms
    set_id = new_set(server, "Week 13")
    frame = tool_frame(page, platform, LaunchSpec(sub="learner-ags", problem_set_id=set_id))
    frame.wait_for_url(f"{server.url}/sets/{set_id}")
    frame.click('[data-item="0"] a')
    frame.fill('input[name="marginal"]', "0.5")
    frame.click("form.answers button[type=submit]")
    expect(frame.locator("[data-score]")).to_have_count(1)
    (student,) = api(server, "GET", f"/api/v1/problem-sets/{set_id}/students").json()["students"]
    (submission,) = api(server, "GET", f"/api/v1/problems/{student['problems'][0]['problem_id']}/submissions").json()
    # Nothing in this process sends: the server's own drainer thread does.
    wait_for(lambda: len(services.scores()) == 1)
    (received,) = services.scores()
    assert received.lineitem == "link-1"  # the line item the launch named
    score = received.score
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("learner-ags", submission["score"], 2)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Submitted", "FullyGraded")
    submitted = datetime.fromisoformat(submission["created_at"])
    assert datetime.fromisoformat(score["submission"]["submittedAt"]) == submitted.replace(
        microsecond=submitted.microsecond // 1000 * 1000)


def test_an_instructor_syncs_the_roster_from_the_set_page(page, served, lms):
    server, _ = served
    platform, services = lms
    set_id = new_set(server, "Week 14")
    services.state.members = [member("learner-nrps", name="Grace Hopper"), member("teacher-nrps", roles=INSTRUCTOR)]
    frame = tool_frame(page, platform, LaunchSpec(sub="teacher-nrps", roles=INSTRUCTOR, problem_set_id=set_id))
    frame.wait_for_url(f"{server.url}/sets/{set_id}")
    expect(frame.locator("[data-zeros-after-due]")).to_have_attribute("data-zeros-after-due", "off")
    frame.click("#lti-sync")
    expect(frame.locator("[data-added]")).to_have_attribute("data-added", "1")
    expect(frame.locator(".lti-joined li")).to_contain_text("(Grace Hopper)")
    expect(frame.locator("[data-others]")).to_have_attribute("data-others", "1")
    (student,) = api(server, "GET", f"/api/v1/problem-sets/{set_id}/students").json()["students"]
    assert student["student_id"].startswith("lti-")
    frame.click("text=Back to the set")
    frame.click("#lti-zeros")
    expect(frame.locator("[data-zeros-after-due]")).to_have_attribute("data-zeros-after-due", "on")
