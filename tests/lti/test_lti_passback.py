"""Grade passback (docs/lti-passback.md) against a test LMS on lti1p3platform, over real HTTP.

In-process tests send the outbox by calling passback.drain (what a server's
drainer thread calls), so nothing races the assertions; the tests with real
servers let their drainer threads do it.
"""

from __future__ import annotations

import random
import re
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import create_set, pages_tests
from hypothesis import given
from hypothesis import strategies as st
from lti_setup import ToolServer, enrol, outbox, register, students_of, wait_for
from platform_services import Platform, unique_sub
from sqlalchemy import update

from api.cli import main
from api.db import database, make_engine
from api.lti import passback
from api.lti.models import LtiLink, LtiScore

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
serve = pages_tests.api_tests.serve  # real servers, as the API suite starts them


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit(client, problem_id: str, answers: dict, headers: dict):
    return client.post(f"/api/v1/problems/{problem_id}/submissions", json={"answers": answers}, headers=headers)


@pytest.fixture
def lti(make_app, instructor):
    """A tool app on fast retries, served over HTTP, and a platform that trusts its /lti/jwks."""
    app = make_app(lti_retry_base=0.1, lti_timeout=1.0)
    tool = ToolServer(app)
    platform = Platform(tool.url)
    yield app, platform
    platform.close()
    tool.close()


def course(app, platform, instructor, subs, **fields):
    """A set whose roster is the learners' derived ids, a link with a line item, the learners enrolled."""
    engine = database(app).engine
    created = create_set(app.test_client(), instructor, ["placeholder"], **fields)
    registered = register(engine, platform, created["id"])
    students = students_of(registered.platform_id, subs)
    added = app.test_client().post(f"/api/v1/problem-sets/{created['id']}/students", json={"students": students},
                                   headers=instructor)
    assert added.status_code == 200, added.json
    enrol(engine, registered, created["id"], subs)
    tokens = {entry["student_id"]: entry["access_token"] for entry in added.json["students"]}
    problems = {entry["student_id"]: entry["problems"][0]["problem_id"] for entry in added.json["students"]}
    return created["id"], {sub: (bearer(tokens[student]), problems[student]) for sub, student in
                           zip(subs, students, strict=True)}


def answers_scoring(client, instructor, problem_id, right: int) -> dict:
    """The first ``right`` answers exact, the others wrong."""
    solution = client.get(f"/api/v1/problems/{problem_id}/solution", headers=instructor).json
    exact = {key: answer["value"] for key, answer in solution["answers"].items()}
    return {key: value if index < right else 12345 for index, (key, value) in enumerate(exact.items())}


def drain_once(app, rand: random.Random) -> int:
    """What a server's drainer thread does on each look."""
    with app.app_context():
        return passback.drain(app, rand)


def drain_until(app, condition, seconds: float = 30) -> None:
    rand = random.Random(1)
    wait_for(condition, seconds, step=lambda: drain_once(app, rand))


@pytest.fixture
def setup(lti, instructor):
    app, platform = lti
    return app, platform, lambda subs, **fields: course(app, platform, instructor, subs, **fields)


def test_every_score_arrives_once_in_order_after_the_platform_was_down(setup, instructor):
    app, platform, make_course = setup
    client = app.test_client()
    subs = [unique_sub(), unique_sub()]
    _, learners = make_course(subs)
    platform.trouble(503)
    expected: dict[str, list[float]] = {sub: [] for sub in subs}
    for right in (2, 5, 3, 8):  # the third scores less: the total stays the best so far
        for sub in subs:
            headers, problem_id = learners[sub]
            graded = submit(client, problem_id, answers_scoring(client, instructor, problem_id, right),
                            headers)
            assert graded.status_code == 201
            expected[sub].append(max([graded.json["score"], *expected[sub][-1:]]))
    drain_until(app, lambda: platform.state.refused_scores >= 6)
    assert platform.scores() == []
    assert all(row.status == "pending" and row.last_error and "HTTP 503" in row.last_error
               for row in outbox(database(app).engine)[:2])
    platform.trouble(None)
    drain_until(app, lambda: len(platform.scores()) >= 8)
    time.sleep(0.3)
    drain_once(app, random.Random(2))
    received = platform.scores()
    assert len(received) == 8  # once each
    for sub in subs:
        theirs = [each.score for each in received if each.score["userId"] == sub]
        assert [score["scoreGiven"] for score in theirs] == expected[sub]
        stamps = [datetime.fromisoformat(score["timestamp"]) for score in theirs]
        assert stamps == sorted(stamps) and len(set(stamps)) == 4
        for score in theirs:
            assert score["scoreMaximum"] == 1.0 and score["gradingProgress"] == "FullyGraded"
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", score["timestamp"])
            assert score["submission"]["submittedAt"] == score["timestamp"]
        assert [score["activityProgress"] for score in theirs] == ["Submitted"] * 3 + ["Completed"]
    assert {each.content_type for each in received} == {SCORE_TYPE}
    assert {row.status for row in outbox(database(app).engine)} == {"sent"}


def test_a_student_without_a_launch_sends_nothing(setup, instructor, make_set):
    app, platform, make_course = setup
    assignment = make_set()
    client = app.test_client()
    problem_id = assignment.problems["alice"]
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 8),
           assignment.tokens["alice"])
    assert outbox(database(app).engine) == []


def test_a_refusal_fails_for_good_with_its_reason_shown_by_passback_status(setup, instructor, capsys, monkeypatch):
    app, platform, make_course = setup
    client = app.test_client()
    sub = unique_sub()
    _, learners = make_course([sub])
    headers, problem_id = learners[sub]
    platform.trouble(400)
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 8), headers)
    engine = database(app).engine
    drain_until(app, lambda: outbox(engine)[0].status == "failed")
    (row,) = outbox(engine)
    assert row.attempts == 1 and row.last_error is not None and "HTTP 400" in row.last_error
    monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    main(["lti", "passback-status"])
    shown = capsys.readouterr().out
    assert "failed" in shown and "HTTP 400" in shown and row.student_id in shown and "1/1" in shown
    main(["lti", "passback-status", "--failed"])
    assert "HTTP 400" in capsys.readouterr().out
    platform.trouble(None)
    main(["lti", "retry-failed"])
    assert "1 failed scores are pending again" in capsys.readouterr().out
    drain_until(app, lambda: len(platform.scores()) == 1)
    main(["lti", "passback-status", "--failed"])
    assert capsys.readouterr().out.strip() == "No failed scores."


def test_a_line_item_url_that_is_no_url_fails_with_its_reason(setup, instructor):
    # Stored by a launch before launches checked their service URLs.
    app, platform, make_course = setup
    sub = unique_sub()
    _, learners = make_course([sub])
    engine = database(app).engine
    with engine.begin() as connection:
        connection.execute(update(LtiLink).values(lineitem_url="http://["))
    headers, problem_id = learners[sub]
    client = app.test_client()
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 8), headers)
    assert drain_once(app, random.Random(1)) == 1
    (row,) = outbox(engine)
    assert row.status == "failed" and row.last_error == "the platform's line item URL 'http://[' is not an http(s) URL"


@pytest.mark.parametrize("trouble, retry_after, reason", [
    (429, "1", "HTTP 429"),
    (502, None, "HTTP 502"),
    ("hang", None, "no answer within 1 s"),
])
def test_throttling_server_errors_and_timeouts_are_retried(setup, instructor, trouble, retry_after, reason):
    app, platform, make_course = setup
    client = app.test_client()
    sub = unique_sub()
    _, learners = make_course([sub])
    headers, problem_id = learners[sub]
    platform.trouble(trouble, count=1, retry_after=retry_after)
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 8), headers)
    engine = database(app).engine
    drain_once(app, random.Random(3))
    (row,) = outbox(engine)
    assert row.status == "pending" and row.attempts == 1 and reason in (row.last_error or "")
    if retry_after:  # honoured: not tried again sooner
        assert row.next_attempt_at - datetime.now(UTC) > timedelta(seconds=0.5)
    drain_until(app, lambda: len(platform.scores()) == 1)
    assert outbox(engine)[0].attempts == 2 and outbox(engine)[0].status == "sent"


def test_one_token_serves_many_scores_and_a_new_one_comes_after_expiry(setup, instructor):
    app, platform, make_course = setup
    client = app.test_client()
    subs = [unique_sub() for _ in range(3)]
    _, learners = make_course(subs)
    for sub in subs:
        headers, problem_id = learners[sub]
        for right in (3, 8):
            submit(client, problem_id, answers_scoring(client, instructor, problem_id, right), headers)
    drain_until(app, lambda: len(platform.scores()) == 6)
    assert platform.state.token_requests == 1
    platform.state.token_lifetime = 0.4  # renewed at 3/4 of it
    time.sleep(0.5)
    headers, problem_id = learners[subs[0]]
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 7), headers)
    drain_until(app, lambda: len(platform.scores()) == 7)
    time.sleep(0.5)
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 6), headers)
    drain_until(app, lambda: len(platform.scores()) == 8)
    # The first token lasts an hour by its claim, but the platform refused it (a 401): one more, then one
    # after the short-lived one expired.
    assert platform.state.token_requests == 3


def test_zeros_after_due_reach_students_who_never_submitted_once(setup, instructor, monkeypatch, capsys):
    app, platform, make_course = setup
    client = app.test_client()
    subs = [unique_sub(), unique_sub()]
    due = datetime.now(UTC) + timedelta(seconds=1)
    set_id, learners = make_course(subs, due_at=due.isoformat())
    headers, problem_id = learners[subs[0]]
    submit(client, problem_id, answers_scoring(client, instructor, problem_id, 8), headers)
    engine = database(app).engine
    monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    main(["lti", "zeros-after-due", set_id, "on"])
    assert "Zeros after due on" in capsys.readouterr().out
    with app.app_context():
        assert passback.write_due_zeros(datetime.now(UTC)) == 0  # not due yet
        time.sleep(1.1)
        assert passback.write_due_zeros(datetime.now(UTC)) == 1
        assert passback.write_due_zeros(datetime.now(UTC)) == 0  # once
    drain_until(app, lambda: len(platform.scores()) == 2)
    zero = next(each.score for each in platform.scores() if each.score["userId"] == subs[1])
    assert (zero["scoreGiven"], zero["scoreMaximum"], zero["activityProgress"], zero["gradingProgress"]) == (
        0.0, 1.0, "Initialized", "FullyGraded")
    assert "submission" not in zero
    assert datetime.fromisoformat(zero["timestamp"]) == due.replace(microsecond=due.microsecond // 1000 * 1000)


def test_zeros_after_due_are_off_unless_asked(setup, instructor):
    app, platform, make_course = setup
    make_course([unique_sub()], due_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    with app.app_context():
        assert passback.write_due_zeros(datetime.now(UTC)) == 0


@given(attempts=st.integers(1, 100), base=st.floats(0.1, 300), retry_after=st.none() | st.floats(0, 3600),
       seed=st.integers(0, 2**32))
def test_a_retry_waits_half_to_all_of_a_capped_doubling_and_never_less_than_retry_after(
        attempts, base, retry_after, seed):
    ceiling = min(passback.MAX_DELAY, base * 2.0 ** (attempts - 1))
    delay = passback.retry_delay(attempts, base, retry_after, random.Random(seed))
    assert delay >= (retry_after or 0.0)
    assert delay >= ceiling / 2 - 1e-9
    assert delay <= max(ceiling, retry_after or 0.0) + 1e-9


# --- Real servers -------------------------------------------------------------


def _served_course(server, platform, subs: list[str]) -> tuple[str, dict[str, tuple[dict, str]]]:
    """On a served database: a set, its link and learners, and each learner's token and problem."""
    import requests

    key = bearer(server.run("create-key", "--name", "lti").strip().splitlines()[-1])
    engine = make_engine(server.env["ELBO_GRADER_DATABASE_URL"])
    created = requests.post(f"{server.url}/api/v1/problem-sets", headers=key, timeout=30, json={
        "title": "LTI", "seed": 7, "items": [{"template": "elbo-gap"}], "students": ["placeholder"]}).json()
    registered = register(engine, platform, created["id"])
    students = students_of(registered.platform_id, subs)
    added = requests.post(f"{server.url}/api/v1/problem-sets/{created['id']}/students", headers=key,
                          json={"students": students}, timeout=30).json()
    enrol(engine, registered, created["id"], subs)
    engine.dispose()
    by_student = {entry["student_id"]: entry for entry in added["students"]}
    return created["id"], {
        sub: (bearer(by_student[student]["access_token"]), by_student[student]["problems"][0]["problem_id"])
        for sub, student in zip(subs, students, strict=True)
    }


def _submit_over_http(server, learners, rounds: int) -> None:
    import requests

    for right in range(1, rounds + 1):
        for headers, problem_id in learners.values():
            # Wrong answers (scores of 0): the order shows in the timestamps.
            answers = {"marginal": right, "log_marginal": 12345}
            response = requests.post(f"{server.url}/api/v1/problems/{problem_id}/submissions",
                                     json={"answers": answers}, headers=headers, timeout=30)
            assert response.status_code == 201, response.text


def _assert_each_once_in_order(platform, subs: list[str], per_learner: int) -> None:
    received = platform.scores()
    assert len(received) == len(subs) * per_learner
    for sub in subs:
        stamps = [each.score["timestamp"] for each in received if each.score["userId"] == sub]
        assert len(stamps) == per_learner and stamps == sorted(stamps) and len(set(stamps)) == per_learner


@pytest.fixture
def platform():
    """A services platform for real servers, which each test points at its tool."""
    platform = Platform()
    yield platform
    platform.close()


@pytest.mark.slow
def test_pending_scores_go_after_a_server_killed_with_sigkill_restarts(serve, database_url, app, platform):
    if not database_url.startswith("sqlite"):
        pytest.skip("a served SQLite file of its own; PostgreSQL runs the two-server test")
    env = {"ELBO_GRADER_LTI_RETRY_BASE": "0.2", "ELBO_GRADER_LTI_TIMEOUT": "2"}
    server = serve(workers=2, **env)
    platform.use_tool(server.url)
    subs = [unique_sub() for _ in range(3)]
    _, learners = _served_course(server, platform, subs)
    platform.trouble(503)
    _submit_over_http(server, learners, rounds=2)
    wait_for(lambda: platform.state.refused_scores >= 3)
    server.kill()
    assert server.process.returncode == -signal.SIGKILL
    platform.trouble(None)
    engine = make_engine(server.env["ELBO_GRADER_DATABASE_URL"])
    assert {row.status for row in outbox(engine)} == {"pending"}
    serve(workers=2, **env)
    wait_for(lambda: len(platform.scores()) >= 6)
    time.sleep(1)
    _assert_each_once_in_order(platform, subs, 2)
    assert {row.status for row in outbox(engine)} == {"sent"}
    engine.dispose()


@pytest.mark.slow
def test_two_servers_on_postgresql_drain_one_outbox_without_sending_twice(serve, database_url, app, platform):
    if not database_url.startswith("postgresql"):
        pytest.skip("several servers share one database on PostgreSQL")
    env = {"ELBO_GRADER_DATABASE_URL": database_url, "ELBO_GRADER_LTI_RETRY_BASE": "0.1"}
    first = serve(workers=2, **env)
    platform.use_tool(first.url)
    subs = [unique_sub() for _ in range(12)]
    _, learners = _served_course(first, platform, subs)
    platform.trouble(503)
    _submit_over_http(first, learners, rounds=3)
    serve(workers=2, **env)  # a second server on the same database, with the outbox full
    engine = make_engine(database_url)
    with engine.begin() as connection:  # every row due at once, for both servers to race for
        connection.execute(update(LtiScore).values(next_attempt_at=datetime.now(UTC)))
    platform.trouble(None)
    wait_for(lambda: len(platform.scores()) >= 36, seconds=60)
    time.sleep(1)
    _assert_each_once_in_order(platform, subs, 3)
    assert {row.status for row in outbox(engine)} == {"sent"}
    engine.dispose()
