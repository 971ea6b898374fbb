"""Safe retries with Idempotency-Key (issue 5): replays, conflicts, scopes,
and concurrent retries of one request."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from api_helpers import PART_1, PART_1_ANSWERS, assert_problem, listing, set_path, submit
from sqlalchemy import func, select

from api.db import database
from api.models import IdempotencyKey, ProblemSetRecord, StudentToken, SubmissionRecord

SETS = "/api/v1/problem-sets"
SET_BODY = {"title": "Week 6", "seed": 7, "items": [{"template": "elbo-gap"}], "students": ["alice", "bob"]}


def keyed(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


def count(app, model) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_retried_submission_replays_the_first_response_and_uses_no_attempt(app, client, make_problem):
    problem = make_problem(params=PART_1)
    first = submit(client, problem, PART_1_ANSWERS, keyed({}, "retry-1"))
    again = submit(client, problem, PART_1_ANSWERS, keyed({}, "retry-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert [s["id"] for s in listing(client, problem).json] == [first.json["id"]]
    assert submit(client, problem, PART_1_ANSWERS).json["attempt"] == 2


def test_the_same_body_in_another_spelling_is_the_same_request(client, make_problem):
    problem = make_problem(params=PART_1)
    path = f"/api/v1/problems/{problem['id']}/submissions"
    headers = keyed({}, "spelling")
    first = client.post(
        path,
        data='{"answers": {"marginal": 0.6, "posterior": 0.75}}',
        content_type="application/json",
        headers=headers,
    )
    again = client.post(
        path,
        data='{ "answers":{"posterior":0.75,"marginal":0.6} }',
        content_type="application/json",
        headers=headers,
    )
    assert again.json["id"] == first.json["id"]


@pytest.mark.parametrize(
    "second",
    [
        '{"answers": {"marginal": 0.7}}',
        '{"answers": {"marginal": 0.60}}',  # numbers are compared as written
        '{"answers": {"marginal": "0.6"}}',
        '{"answers": {"marginal": 0.6}, "student_id": null}',
    ],
    ids=["other-answer", "other-digits", "string", "extra-field"],
)
def test_the_same_key_with_a_different_body_is_422(client, make_problem, second):
    problem = make_problem(params=PART_1)
    path = f"/api/v1/problems/{problem['id']}/submissions"
    headers = keyed({}, "k")
    first = client.post(
        path, data='{"answers": {"marginal": 0.6}}', content_type="application/json", headers=headers
    )
    assert first.status_code == 201
    body = assert_problem(
        client.post(path, data=second, content_type="application/json", headers=headers), 422
    )
    assert "Idempotency-Key" in body["detail"] and "different" in body["detail"]
    assert len(listing(client, problem).json) == 1


def test_the_same_key_on_another_problem_is_422(client, make_problem):
    first, second = make_problem(params=PART_1), make_problem(params=PART_1)
    assert submit(client, first, PART_1_ANSWERS, keyed({}, "k")).status_code == 201
    assert_problem(submit(client, second, PART_1_ANSWERS, keyed({}, "k")), 422)
    assert listing(client, second).json == []


def test_keys_are_scoped_to_the_caller(client, instructor, assignment):
    problem = {"id": assignment.problems["alice"]}
    alice = submit(client, problem, {"marginal": 0.5}, keyed(assignment.tokens["alice"], "same"))
    teacher = submit(client, problem, {"marginal": 0.5}, keyed(instructor, "same"))
    bob = submit(
        client, {"id": assignment.problems["bob"]}, {"marginal": 0.5}, keyed(assignment.tokens["bob"], "same")
    )
    assert [r.status_code for r in (alice, teacher, bob)] == [201, 201, 201]
    assert (alice.json["attempt"], teacher.json["attempt"]) == (1, 2)
    assert len({alice.json["id"], teacher.json["id"], bob.json["id"]}) == 3


def test_a_refused_request_stores_no_key_and_its_retry_runs_again(app, client, make_problem):
    problem = make_problem(params=PART_1, policy={"max_attempts": 1})
    assert_problem(submit(client, problem, {"elbo": "0.4ln(0.8)"}, keyed({}, "typo")), 422)
    fixed = submit(client, problem, {"elbo": "0.4*ln(0.8)"}, keyed({}, "typo"))
    assert (fixed.status_code, fixed.json["attempt"]) == (201, 1)
    assert_problem(submit(client, problem, PART_1_ANSWERS, keyed({}, "more")), 409)
    assert_problem(submit(client, problem, PART_1_ANSWERS, keyed({}, "more")), 409)
    assert count(app, IdempotencyKey) == 1


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9", "tab\there"], ids=["empty", "256", "non-ascii", "tab"]
)
def test_a_malformed_key_is_422(client, make_problem, key):
    problem = make_problem(params=PART_1)
    body = assert_problem(submit(client, problem, PART_1_ANSWERS, keyed({}, key)), 422)
    assert "Idempotency-Key" in body["errors"]
    assert listing(client, problem).json == []


def test_a_key_of_255_printable_characters_is_taken(client, make_problem):
    problem = make_problem(params=PART_1)
    assert submit(client, problem, PART_1_ANSWERS, keyed({}, "a b~" + "z" * 251)).status_code == 201


def test_a_retried_set_creation_replays_the_same_set_tokens_and_problems(app, client, instructor):
    first = client.post(SETS, json=SET_BODY, headers=keyed(instructor, "week-6"))
    again = client.post(SETS, json=SET_BODY, headers=keyed(instructor, "week-6"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert count(app, ProblemSetRecord) == 1 and count(app, StudentToken) == 2
    other = dict(SET_BODY, title="Week 7")
    assert_problem(client.post(SETS, json=other, headers=keyed(instructor, "week-6")), 422)


def test_stored_responses_keep_no_student_token(app, client, instructor):
    created = client.post(SETS, json=SET_BODY, headers=keyed(instructor, "week-6")).json
    with database(app).sessions() as session:
        (stored,) = session.scalars(select(IdempotencyKey)).all()
    assert created["id"] in stored.body
    for entry in created["students"]:
        assert entry["access_token"] not in stored.body
    assert "st_" not in stored.body


def test_a_replayed_set_shows_the_current_token_after_a_reissue(client, instructor):
    first = client.post(SETS, json=SET_BODY, headers=keyed(instructor, "week-6")).json
    reissued = client.post(set_path(first["id"], "/students/bob/reissue"), headers=instructor).json
    again = client.post(SETS, json=SET_BODY, headers=keyed(instructor, "week-6")).json
    assert [e["access_token"] for e in again["students"]] == [
        first["students"][0]["access_token"],
        reissued["access_token"],
    ]


def test_a_retried_addition_replays_the_first_response(client, instructor, assignment):
    path = set_path(assignment.problem_set_id, "/students")
    body = {"students": ["carol", "alice"]}
    first = client.post(path, json=body, headers=keyed(instructor, "add-carol"))
    again = client.post(path, json=body, headers=keyed(instructor, "add-carol"))
    assert again.json == first.json
    assert ([e["student_id"] for e in again.json["students"]], again.json["ignored"]) == (
        ["carol"],
        ["alice"],
    )
    unkeyed = client.post(path, json=body, headers=instructor).json
    assert (unkeyed["students"], unkeyed["ignored"]) == ([], ["carol", "alice"])


def _at_once(n: int, request) -> list:
    """Run ``request()`` on n threads released together; their responses."""
    barrier = threading.Barrier(n)
    responses = [None] * n

    def run(i):
        barrier.wait()
        responses[i] = request()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def test_concurrent_retries_of_a_submission_store_it_once(app, make_problem):
    problem = make_problem(params=PART_1)
    responses = _at_once(6, lambda: submit(app.test_client(), problem, PART_1_ANSWERS, keyed({}, "at-once")))
    assert [r.status_code for r in responses] == [201] * 6, [r.get_data(as_text=True) for r in responses]
    assert len({r.json["id"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" in r.headers for r in responses) == 5
    assert count(app, SubmissionRecord) == 1
    assert responses[0].json["attempt"] == 1


def test_concurrent_retries_of_a_student_submission_store_it_once(app, assignment):
    problem = {"id": assignment.problems["alice"]}
    headers = keyed(assignment.tokens["alice"], "at-once")
    responses = _at_once(4, lambda: submit(app.test_client(), problem, {"marginal": 0.5}, headers))
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json["id"] for r in responses}) == 1
    assert count(app, SubmissionRecord) == 1


def test_concurrent_retries_of_a_set_creation_make_one_set(app, instructor):
    headers = keyed(instructor, "one-set")
    responses = _at_once(4, lambda: app.test_client().post(SETS, json=SET_BODY, headers=headers))
    assert [r.status_code for r in responses] == [201] * 4, [r.get_data(as_text=True) for r in responses]
    assert len({r.json["id"] for r in responses}) == 1
    assert all(r.json == responses[0].json for r in responses)
    assert count(app, ProblemSetRecord) == 1 and count(app, StudentToken) == 2


def _age_keys(app, hours: float, key: str | None = None) -> None:
    """Move stored keys `hours` into the past."""
    query = select(IdempotencyKey) if key is None else select(IdempotencyKey).where(IdempotencyKey.key == key)
    with database(app).sessions() as session:
        for row in session.scalars(query):
            row.created_at -= timedelta(hours=hours)
        session.commit()


def test_a_key_is_kept_for_a_day_and_then_forgotten(app, client, make_problem):
    problem = make_problem(params=PART_1)
    first = submit(client, problem, PART_1_ANSWERS, keyed({}, "daily"))
    _age_keys(app, 23.9)
    assert submit(client, problem, PART_1_ANSWERS, keyed({}, "daily")).get_data() == first.get_data()
    _age_keys(app, 0.2)  # now over 24 hours old
    # Forgotten: the key is free again, even for another body, and the request runs anew.
    again = submit(client, problem, {"marginal": 0.6}, keyed({}, "daily"))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert (again.json["id"] != first.json["id"], again.json["attempt"]) == (True, 2)
    assert count(app, IdempotencyKey) == 1


def test_a_keyed_request_deletes_the_expired_keys_and_only_those(app, client, make_problem):
    problem = make_problem(params=PART_1)
    for key in ("old-1", "old-2", "recent"):
        submit(client, problem, {"marginal": 0.6}, keyed({}, key))
    _age_keys(app, 25, "old-1")
    _age_keys(app, 25, "old-2")
    submit(client, problem, {"marginal": 0.6}, keyed({}, "new"))
    with database(app).sessions() as session:
        assert set(session.scalars(select(IdempotencyKey.key))) == {"recent", "new"}
