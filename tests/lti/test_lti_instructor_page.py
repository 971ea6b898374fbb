"""The LMS block of a set's instructor page, through Flask's test client: roster sync from the LMS
(against the lti1p3platform test LMS over real HTTP) and zeros after due, each form with its CSRF
token, for the signed-in instructor only, and a clear page when the platform cannot be asked."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from conftest import create_set
from lti_setup import students_of
from page_helpers import form_fields  # type: ignore[import-not-found]  # (tests/pages, on the path by conftest)
from platform_launches import INSTRUCTOR
from platform_services import member
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db import database
from api.lti import passback
from api.lti.models import LtiLink, LtiPlatform
from api.models import StudentToken


def sign_in(client, token: str) -> None:
    response = client.post("/sign-in", data={**form_fields(client.get("/sign-in").get_data(as_text=True)),
                                              "token": token})
    assert response.status_code == 303


def instructor_client(app, instructor):
    client = app.test_client()
    sign_in(client, instructor["Authorization"].removeprefix("Bearer "))
    return client


def csrf(client, set_id: str) -> dict[str, str]:
    page = client.get(f"/sets/{set_id}").get_data(as_text=True)
    return {"csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', page)[-1]}


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def roster(app, set_id: str) -> list[str]:
    with Session(database(app).engine) as session:
        return list(session.scalars(select(StudentToken.student_id)
                                    .where(StudentToken.problem_set_id == uuid.UUID(set_id))
                                    .order_by(StudentToken.position)))


def set_link(app, **values) -> None:
    with database(app).engine.begin() as connection:
        connection.execute(update(LtiLink).values(**values))


def test_the_sync_button_shows_only_for_a_set_whose_link_gave_a_memberships_url(linked_course, instructor):
    app, tool, platform, created, registered = linked_course
    client = instructor_client(app, instructor)
    page = client.get(f"/sets/{created['id']}").get_data(as_text=True)
    assert 'id="lti-sync"' in page and 'data-zeros-after-due="off"' in page
    set_link(app, memberships_url=None)
    page = client.get(f"/sets/{created['id']}").get_data(as_text=True)
    assert 'id="lti-sync"' not in page and 'data-zeros-after-due="off"' in page
    other = create_set(app.test_client(), instructor, ["bob"])
    assert 'id="lms"' not in client.get(f"/sets/{other['id']}").get_data(as_text=True)


def test_a_sync_from_the_page_says_who_joined_and_who_was_left_out_and_why(linked_course, instructor):
    app, tool, platform, created, registered = linked_course
    platform.state.members = [member("s1", name="Ada Lovelace"), member("t1", roles=[INSTRUCTOR[0]]),
                              member("s2"), member("s3", status="Inactive"), member("s\x00")]
    client = instructor_client(app, instructor)
    response = client.post(f"/sets/{created['id']}/lti/sync", data=csrf(client, created["id"]))
    assert response.status_code == 200
    ada, other = students_of(registered.platform_id, ["s1", "s2"])
    shown = text(response)
    assert "2 learners joined the roster; 0 already on it (3 pages of members read)" in shown
    assert f"{ada} (Ada Lovelace)" in shown and other in shown
    assert "LMS user s3 : not active in the course" in shown  # (a space where <code> ended)
    assert "1 member without the Learner role" in shown
    assert "1 member whose LMS user id is not an id of 1 to 255 printable characters" in shown
    assert roster(app, created["id"]) == ["alice", ada, other]
    again = client.post(f"/sets/{created['id']}/lti/sync", data=csrf(client, created["id"]))
    assert "0 learners joined the roster; 2 already on it" in text(again)


@pytest.mark.parametrize("form", [{}, {"csrf_token": "forged"}], ids=["missing", "forged"])
def test_a_sync_without_the_pages_csrf_token_is_refused_and_asks_nothing(linked_course, instructor, form):
    app, tool, platform, created, registered = linked_course
    platform.state.members = [member("s1")]
    response = instructor_client(app, instructor).post(f"/sets/{created['id']}/lti/sync", data=form)
    assert response.status_code == 400 and "CSRF" in text(response)
    assert platform.state.membership_requests == [] and roster(app, created["id"]) == ["alice"]


def test_a_student_may_not_sync_or_change_zeros_after_due(linked_course, instructor):
    app, tool, platform, created, registered = linked_course
    client = app.test_client()
    sign_in(client, created["students"][0]["access_token"])
    page = client.get(f"/sets/{created['id']}").get_data(as_text=True)
    assert 'id="lms"' not in page
    token = {"csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', page)[-1]}
    assert client.post(f"/sets/{created['id']}/lti/sync", data=token).status_code == 403
    assert client.post(f"/sets/{created['id']}/lti/zeros-after-due",
                       data={**token, "zeros_after_due": "on"}).status_code == 403
    assert platform.state.membership_requests == []
    with database(app).sessions() as session:
        assert not passback.zeros_after_due(session, uuid.UUID(created["id"]))


# (case, how the link's URLs are wrong, the status, what the page says)
UNREACHABLE = [
    ("platform down", lambda platform, tool: {"memberships_url": "http://127.0.0.1:9/memberships"}, 502,
     "memberships: ConnectionError"),
    ("an HTML page for members", lambda platform, tool: {"memberships_url": f"{tool.url}/"}, 502,
     "memberships: the answer is not JSON"),
    ("a refusal", lambda platform, tool: {"memberships_url": f"{platform.url}/token"}, 502,
     "memberships: HTTP 405"),
    ("no memberships URL", lambda platform, tool: {"memberships_url": None}, 409,
     "No launch of this set from an LMS has given a memberships URL yet"),
]


@pytest.mark.parametrize(("urls", "status", "said"), [case[1:] for case in UNREACHABLE],
                         ids=[case[0] for case in UNREACHABLE])
def test_a_platform_that_cannot_be_asked_is_a_clear_page_and_changes_nothing(linked_course, instructor, urls, status,
                                                                             said):
    app, tool, platform, created, registered = linked_course
    client = instructor_client(app, instructor)
    token = csrf(client, created["id"])
    set_link(app, **urls(platform, tool))
    response = client.post(f"/sets/{created['id']}/lti/sync", data=token)
    assert response.status_code == status
    shown = text(response)
    assert "The roster could not be synced:" in shown and said in shown and "Nothing was changed." in shown
    assert roster(app, created["id"]) == ["alice"]


def test_the_token_endpoint_answering_garbage_is_a_clear_page(linked_course, instructor):
    app, tool, platform, created, registered = linked_course
    with database(app).engine.begin() as connection:
        connection.execute(update(LtiPlatform).values(token_url=f"{tool.url}/"))
    client = instructor_client(app, instructor)
    response = client.post(f"/sets/{created['id']}/lti/sync", data=csrf(client, created["id"]))
    assert response.status_code == 502
    assert "token request: HTTP 405" in text(response)


def test_zeros_after_due_are_turned_on_and_off_from_the_page(linked_course, instructor):
    app, tool, platform, created, registered = linked_course
    client = instructor_client(app, instructor)
    set_id = created["id"]
    response = client.post(f"/sets/{set_id}/lti/zeros-after-due", data={**csrf(client, set_id),
                                                                        "zeros_after_due": "on"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/sets/{set_id}#lms")
    page = client.get(f"/sets/{set_id}").get_data(as_text=True)
    assert 'data-zeros-after-due="on"' in page and 'name="zeros_after_due" value="off"' in page
    with database(app).sessions() as session:
        assert passback.zeros_after_due(session, uuid.UUID(set_id))
    client.post(f"/sets/{set_id}/lti/zeros-after-due", data={**csrf(client, set_id), "zeros_after_due": "off"})
    with database(app).sessions() as session:
        assert not passback.zeros_after_due(session, uuid.UUID(set_id))


@pytest.mark.parametrize(("form", "status", "said"), [
    ({"zeros_after_due": "yes"}, 422, "Send on or off."),
    ({}, 422, "Send on or off."),
    ({"zeros_after_due": "on", "csrf_token": None}, 400, "CSRF"),
], ids=["not on or off", "missing", "without the csrf token"])
def test_a_refused_zeros_after_due_form_says_why_and_changes_nothing(linked_course, instructor, form, status, said):
    app, tool, platform, created, registered = linked_course
    client = instructor_client(app, instructor)
    data = {key: value for key, value in {**csrf(client, created["id"]), **form}.items() if value is not None}
    response = client.post(f"/sets/{created['id']}/lti/zeros-after-due", data=data)
    assert response.status_code == status and said in text(response)
    with database(app).sessions() as session:
        assert not passback.zeros_after_due(session, uuid.UUID(created["id"]))
