"""Access (docs/api.md §9): instructor keys, student tokens, anonymous practice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_helpers import PART_1, PART_1_ANSWERS, assert_problem, bearer, listing, submit
from sqlalchemy import select, update

from api.auth import create_key
from api.db import database
from api.models import ApiKey, StudentToken


def problem_paths(problem_id: str) -> list[str]:
    return [
        f"/api/v1/problems/{problem_id}",
        f"/api/v1/problems/{problem_id}/solution",
        f"/api/v1/problems/{problem_id}/submissions",
    ]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer nope", "Bearer ", "Basic dXNlcjpwdw==", "eg_no_scheme"],
    ids=["unknown", "empty", "basic", "bare"],
)
def test_unknown_or_malformed_credentials_are_401_wherever_credentials_count(client, authorization):
    # Open operations (/healthz, the templates, the docs) never read them: see below.
    for method, path in [("get", "/api/v1/problem-sets"), ("post", "/api/v1/problems")]:
        response = getattr(client, method)(
            path, headers={"Authorization": authorization}, json={"template": "elbo-gap"}
        )
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_instructor_key_is_stored_only_as_its_hash(app, instructor):
    token = instructor["Authorization"].removeprefix("Bearer ")
    with database(app).sessions() as session:
        key = session.scalar(select(ApiKey))
    assert key.name == "tests"
    assert key.key_hash != token and token not in key.key_hash and len(key.key_hash) == 64


def test_a_revoked_student_token_is_401(app, client, assignment):
    with database(app).sessions() as session:
        session.execute(update(StudentToken).values(revoked_at=datetime.now(UTC)))
        session.commit()
    assert_problem(
        client.get(f"/api/v1/problems/{assignment.problems['alice']}", headers=assignment.tokens["alice"]),
        401,
    )


def test_anonymous_practice_reads_solves_and_submits(client):
    problem = client.post("/api/v1/problems", json={"template": "elbo-gap", "seed": 1}).json
    for path in problem_paths(problem["id"]):
        assert client.get(path).status_code == 200
    assert submit(client, problem, {"marginal": 0.5}).status_code == 201


def test_with_practice_off_anonymous_callers_get_401(make_app):
    practice_app = make_app()
    problem = practice_app.test_client().post("/api/v1/problems", json={"template": "elbo-gap"}).json
    client = make_app(practice=False).test_client()
    assert_problem(client.post("/api/v1/problems", json={"template": "elbo-gap"}), 401)
    for path in problem_paths(problem["id"]):
        assert_problem(client.get(path), 401)
    assert_problem(submit(client, problem, {"marginal": 0.5}), 401)
    assert client.get("/api/v1/templates").status_code == 200


def test_with_practice_off_instructors_still_work(make_app):
    app = make_app(practice=False)
    with database(app).sessions() as session:
        headers = bearer(create_key(session, "lms"))
    client = app.test_client()
    problem = client.post("/api/v1/problems", json={"template": "elbo-gap"}, headers=headers).json
    assert submit(client, problem, {"marginal": 0.5}, headers).status_code == 201


def test_anonymous_may_not_submit_for_a_student(client, make_problem):
    problem = make_problem(params=PART_1)
    assert_problem(submit(client, problem, PART_1_ANSWERS, student_id="alice"), 401)


def test_instructor_sees_every_problem_and_submission(client, instructor, assignment):
    alice_problem = {"id": assignment.problems["alice"]}
    for path in problem_paths(alice_problem["id"]):
        assert client.get(path, headers=instructor).status_code == 200
    graded = submit(client, alice_problem, {"marginal": 0.5}, instructor, student_id="alice").json
    assert graded["student_id"] == "alice"
    assert client.get(f"/api/v1/submissions/{graded['id']}", headers=instructor).status_code == 200


def test_anonymous_callers_do_not_see_set_problems(client, assignment):
    for path in problem_paths(assignment.problems["alice"]):
        assert_problem(client.get(path), 404)


def test_student_token_reads_and_submits_only_its_own_problem(client, assignment):
    alice = assignment.tokens["alice"]
    own, other = ({"id": assignment.problems[s]} for s in ("alice", "bob"))
    assert client.get(f"/api/v1/problems/{own['id']}", headers=alice).status_code == 200
    graded = submit(client, own, {"marginal": 0.5}, alice).json
    assert (graded["student_id"], graded["attempt"]) == ("alice", 1)
    assert submit(client, own, {"marginal": 0.5}, alice, student_id="alice").json["attempt"] == 2
    for path in problem_paths(other["id"]):
        assert_problem(client.get(path, headers=alice), 404)
    assert_problem(submit(client, other, {"marginal": 0.5}, alice), 404)


def test_student_token_never_reads_a_solution(client, assignment):
    path = f"/api/v1/problems/{assignment.problems['alice']}/solution"
    assert_problem(client.get(path, headers=assignment.tokens["alice"]), 403)


def test_student_token_may_not_submit_as_someone_else(client, assignment):
    problem = {"id": assignment.problems["alice"]}
    assert_problem(
        submit(client, problem, {"marginal": 0.5}, assignment.tokens["alice"], student_id="bob"), 403
    )


def test_student_token_may_not_make_problems(client, assignment):
    for body in ({"template": "elbo-gap"}, {"template": "elbo-gap", "params": PART_1}):
        assert_problem(client.post("/api/v1/problems", json=body, headers=assignment.tokens["alice"]), 403)


def test_student_token_does_not_reach_practice_problems(client, assignment, make_problem):
    problem = make_problem(params=PART_1)
    assert_problem(client.get(f"/api/v1/problems/{problem['id']}", headers=assignment.tokens["alice"]), 404)


def test_submission_visibility_follows_the_student(client, instructor, assignment):
    problem = {"id": assignment.problems["alice"]}
    mine = submit(client, problem, {"marginal": 0.5}, assignment.tokens["alice"]).json
    for_alice = submit(client, problem, {"marginal": 0.6}, instructor, student_id="alice").json
    assert {s["id"] for s in listing(client, problem, assignment.tokens["alice"]).json} == {
        mine["id"],
        for_alice["id"],
    }
    assert len(listing(client, problem, instructor).json) == 2
    assert (
        client.get(f"/api/v1/submissions/{mine['id']}", headers=assignment.tokens["alice"]).status_code == 200
    )
    assert_problem(client.get(f"/api/v1/submissions/{mine['id']}", headers=assignment.tokens["bob"]), 404)
    assert_problem(client.get(f"/api/v1/submissions/{mine['id']}"), 404)


def test_anonymous_callers_see_only_anonymous_practice_submissions(client, instructor, make_problem):
    problem = make_problem(params=PART_1)
    anonymous = submit(client, problem, PART_1_ANSWERS).json
    for_carol = submit(client, problem, PART_1_ANSWERS, instructor, student_id="carol").json
    assert [s["id"] for s in listing(client, problem).json] == [anonymous["id"]]
    assert {s["id"] for s in listing(client, problem, instructor).json} == {anonymous["id"], for_carol["id"]}
    assert client.get(f"/api/v1/submissions/{anonymous['id']}").status_code == 200
    assert_problem(client.get(f"/api/v1/submissions/{for_carol['id']}"), 404)


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer eg_not-a-key", "garbage"],
    ids=["basic", "empty-bearer", "unknown-key", "garbage"],
)
@pytest.mark.parametrize("path", ["/healthz", "/api/v1/templates", "/api/v1/openapi.json"])
def test_open_operations_never_read_credentials(client, path, header):
    assert client.get(path, headers={"Authorization": header}).status_code == 200


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer eg_not-a-key"])
def test_operations_that_take_credentials_still_refuse_bad_ones(client, header):
    response = client.post("/api/v1/problems", json={"template": "elbo-gap"}, headers={"Authorization": header})
    assert_problem(response, 401)
