"""Roster sync over NRPS (docs/lti-passback.md) against the lti1p3platform test LMS, over real HTTP."""

from __future__ import annotations

import uuid

import pytest
from conftest import create_set
from lti_setup import students_of
from platform_launches import INSTRUCTOR
from platform_services import member
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cli import main
from api.db import database
from api.lti import roster_sync
from api.lti.models import LtiLearner
from api.models import StudentToken


def roster_of(app, problem_set_id: str) -> list[str]:
    with Session(database(app).engine) as session:
        return list(session.scalars(select(StudentToken.student_id)
                                    .where(StudentToken.problem_set_id == uuid.UUID(problem_set_id))
                                    .order_by(StudentToken.position)))


def test_learners_on_every_page_join_the_roster_and_the_others_are_reported(linked_course):
    app, _, platform, created, course = linked_course
    set_id = created["id"]
    platform.state.members = [
        member("s1", name="Ada"), member("t1", roles=[INSTRUCTOR[0]]), member("s2"),
        member("s3", status="Inactive"), member("s4"),
    ]
    with app.app_context():
        result = roster_sync.sync(uuid.UUID(set_id))
    assert len(platform.state.membership_requests) == 3  # two members a page, Link rel="next" followed
    added = students_of(course.platform_id, ["s1", "s2", "s4"])
    assert result.added == tuple(added)
    assert (result.already, result.inactive, result.others, result.pages) == (0, ("s3",), 1, 3)
    assert result.ignored_next is None and not result.truncated
    assert roster_of(app, set_id) == ["alice", *added]
    with Session(database(app).engine) as session:
        learners = session.execute(select(LtiLearner.sub, LtiLearner.link_id, LtiLearner.name)
                                   .order_by(LtiLearner.sub)).all()
    assert learners == [("s1", course.link_id, "Ada"), ("s2", course.link_id, None), ("s4", course.link_id, None)]
    with app.app_context():
        again = roster_sync.sync(uuid.UUID(set_id))
    assert (again.added, again.already) == ((), 3)
    assert platform.state.token_requests == 1  # the cached token serves the second sync


def test_a_next_link_to_another_origin_is_not_followed_and_is_reported(linked_course):
    app, _, platform, created, course = linked_course
    set_id = created["id"]
    platform.state.members = [member("s1"), member("s2"), member("s3")]
    foreign = platform.memberships_url.replace("127.0.0.1", "localhost") + "?page=2"
    platform.state.next_override = foreign
    with app.app_context():
        result = roster_sync.sync(uuid.UUID(set_id))
    assert result.ignored_next == foreign
    assert len(platform.state.membership_requests) == 1
    assert result.added == tuple(students_of(course.platform_id, ["s1", "s2"]))


def test_a_next_link_that_is_no_url_is_not_followed_and_is_reported(linked_course):
    app, _, platform, created, course = linked_course
    set_id = created["id"]
    platform.state.members = [member("s1"), member("s2"), member("s3")]
    platform.state.next_override = "http://["
    with app.app_context():
        result = roster_sync.sync(uuid.UUID(set_id))
    assert result.ignored_next == "http://[" and len(platform.state.membership_requests) == 1


def test_members_whose_ids_no_table_can_hold_are_counted_and_names_keep_their_printable_characters(linked_course):
    app, _, platform, created, course = linked_course
    set_id = created["id"]
    platform.state.members = [member("s\x00"), member("x" * 256), member("s1", name="Ada\x00 Lovelace"),
                              member("s2", name=" \x07 ")]
    with app.app_context():
        result = roster_sync.sync(uuid.UUID(set_id))
    (ada, other) = students_of(course.platform_id, ["s1", "s2"])
    assert result.added == (ada, other) and result.unusable == 2
    assert result.names == {ada: "Ada Lovelace"}
    with Session(database(app).engine) as session:
        assert session.execute(select(LtiLearner.sub, LtiLearner.name).order_by(LtiLearner.sub)).all() == [
            ("s1", "Ada Lovelace"), ("s2", None)]


def test_sync_roster_on_the_command_line(linked_course, monkeypatch, capsys):
    app, _, platform, created, course = linked_course
    set_id = created["id"]
    platform.state.members = [member("s1"), member("s2", status="Deleted")]
    monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", database(app).engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ELBO_GRADER_SECRET_KEY", app.config["SETTINGS"].secret_key)
    main(["lti", "sync-roster", set_id])
    out = capsys.readouterr().out
    assert "1 learners added to the roster, 0 already on it" in out
    assert "Not active in the LMS (kept on the roster): s2" in out
    assert roster_of(app, set_id)[-1] == students_of(course.platform_id, ["s1"])[0]


def test_a_set_without_a_memberships_url_is_refused_with_the_reason(make_app, instructor, monkeypatch, capsys):
    app = make_app()
    created = create_set(app.test_client(), instructor, ["alice"])
    monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", database(app).engine.url.render_as_string(hide_password=False))
    with pytest.raises(SystemExit) as exit_:
        main(["lti", "sync-roster", created["id"]])
    assert exit_.value.code == 2
    assert "has given a memberships URL" in capsys.readouterr().err
