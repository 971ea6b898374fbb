"""Big rosters (api.services.making): acknowledged with a 202 at once, their
problems made in the background, a student's own made when they first read
the set, a dead maker replaced once its lease lapses. Every problem is the
one a set made in the request would have given."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import requests
from api_helpers import assert_problem, bearer, set_path
from sqlalchemy import update

from api.db import database
from api.models import ProblemSetRecord, utcnow
from api.services import making
from problems.sets import Item, student_problem

SETS = "/api/v1/problem-sets"
ITEMS = [{"template": "elbo-gap", "difficulty": "hard"}, {"template": "tight-bound"}]
ROSTER = [f"s{i:02d}" for i in range(12)]  # 24 problems: over the threshold these tests set
AT_ONCE = 10


@pytest.fixture
def big(make_app, instructor):
    """A client whose server makes at most AT_ONCE problems in a request."""
    return make_app(problems_at_once=AT_ONCE).test_client()


@pytest.fixture
def no_maker(monkeypatch):
    """Nothing is made in the background; the calls to start one are kept."""
    started = []
    monkeypatch.setattr(making, "start", started.append)
    return started


def create(client, instructor, students=ROSTER, **fields):
    body = {"title": "Big class", "seed": 2026, "items": ITEMS, "students": students, **fields}
    return client.post(SETS, json=body, headers=instructor)


def answer_key(client, instructor, problem_set_id) -> dict[str, list[tuple]]:
    """student → per item, the params and exact answers of their problem."""
    body = client.get(set_path(problem_set_id, "/answer-key"), headers=instructor).json
    return {
        entry["student_id"]: [(p["item"], p["params"], p["answers"]) for p in entry["problems"]]
        for entry in body["students"]
    }


def wait_until_made(client, instructor, problem_set_id, deadline_s: float = 120) -> dict:
    deadline = time.monotonic() + deadline_s
    while True:
        view = client.get(set_path(problem_set_id), headers=instructor).json
        if "status" not in view:
            return view
        assert time.monotonic() < deadline, f"still making after {deadline_s} s: {view}"
        time.sleep(0.05)


def test_a_big_roster_is_acknowledged_202_and_made_in_the_background(app, big, instructor):
    response = create(big, instructor)
    assert response.status_code == 202
    body = response.json
    assert response.headers["Location"] == set_path(body["id"])
    assert body["status"] == "making"
    assert [entry["student_id"] for entry in body["students"]] == ROSTER
    assert all(entry["access_token"].startswith("st_") and entry["problems"] == [] for entry in body["students"])

    view = wait_until_made(big, instructor, body["id"])
    assert view["student_count"] == len(ROSTER)
    # The same set made in the request: every student's problems are the same.
    made_at_once = create(app.test_client(), instructor)
    assert made_at_once.status_code == 201
    assert answer_key(big, instructor, body["id"]) == answer_key(big, instructor, made_at_once.json["id"])
    roster = big.get(set_path(body["id"], "/students"), headers=instructor).json["students"]
    assert [len(entry["problems"]) for entry in roster] == [len(ITEMS)] * len(ROSTER)


def test_a_student_reading_a_set_being_made_has_their_problems_made_there(big, instructor, no_maker):
    body = create(big, instructor).json
    assert no_maker  # the request started a maker (here: did not run it)
    alice = body["students"][3]
    view = big.get(set_path(body["id"]), headers=bearer(alice["access_token"]))
    assert view.status_code == 200
    assert [p["item"] for p in view.json["problems"]] == [0, 1]
    problem = big.get(f"/api/v1/problems/{view.json['problems'][0]['problem_id']}",
                      headers=bearer(alice["access_token"]))
    assert problem.status_code == 200

    instructor_view = big.get(set_path(body["id"]), headers=instructor).json
    assert (instructor_view["status"], instructor_view["students_ready"]) == ("making", 1)
    refused = assert_problem(big.get(set_path(body["id"], "/answer-key"), headers=instructor), 409)
    assert refused["type"] == making.SET_BEING_MADE and "1 of 12 students" in refused["detail"]
    # The grade book needs no problem made: nobody has submitted.
    assert big.get(set_path(body["id"], "/grades"), headers=instructor).status_code == 200


def test_a_dead_makers_lease_lapses_and_the_next_maker_finishes(app, big, instructor, no_maker):
    body = create(big, instructor).json
    lease = timedelta(seconds=0.3)
    with app.app_context():
        with database(app).sessions() as session, session.begin():  # as if a maker held the set, then died
            session.execute(update(ProblemSetRecord).values(making_until=utcnow() + lease))
        assert making.make_pending(uuid.UUID(body["id"]), lease, batch=5) is False  # held: not to be had
        time.sleep(lease.total_seconds() + 0.1)
        no_maker.clear()
        big.get(set_path(body["id"]), headers=instructor)  # a read revives the stalled set...
        assert [str(started) for started in no_maker] == [body["id"]]
        assert making.make_pending(uuid.UUID(body["id"]), lease, batch=5) is True  # ...and a maker finishes it
    assert "status" not in big.get(set_path(body["id"]), headers=instructor).json
    assert all(len(problems) == len(ITEMS) for problems in answer_key(big, instructor, body["id"]).values())


def test_students_added_to_a_set_being_made_are_made_with_it(app, big, instructor, no_maker):
    body = create(big, instructor, students=ROSTER[:3], items=[ITEMS[0]] * 4).json  # 12 problems
    added = big.post(set_path(body["id"], "/students"), json={"students": ["late1", "late2"]}, headers=instructor)
    assert added.status_code == 202
    assert added.json["status"] == "making" and [s["problems"] for s in added.json["students"]] == [[], []]
    with app.app_context():
        assert making.make_pending(uuid.UUID(body["id"]), timedelta(seconds=30), batch=2) is True
    key = answer_key(big, instructor, body["id"])
    assert list(key) == [*ROSTER[:3], "late1", "late2"]
    assert all(len(problems) == 4 for problems in key.values())


def test_a_few_students_added_to_a_ready_set_are_made_in_the_request(big, instructor):
    body = create(big, instructor, students=["alice"], items=[ITEMS[0]]).json
    added = big.post(set_path(body["id"], "/students"), json={"students": ["bob"]}, headers=instructor)
    assert added.status_code == 200 and len(added.json["students"][0]["problems"]) == 1
    assert "status" not in added.json


@pytest.mark.slow
def test_the_largest_set_the_schema_allows_is_acknowledged_over_http(serve):
    server = serve()
    key = server.run("create-key", "--name", "lms").splitlines()[-1]
    items = [{"template": "elbo-gap", "difficulty": "hard"}] * 20
    students = [f"s{i:04d}" for i in range(5000)]
    body = {"title": "Everyone", "seed": 9, "items": items, "students": students}
    response = requests.post(f"{server.url}{SETS}", json=body, headers=bearer(key), timeout=30)
    assert response.status_code == 202, response.text[:500]
    created = response.json()
    assert len(created["students"]) == 5000 and created["status"] == "making"

    # A student who reads the set meanwhile has their 20 problems at once, as derived from the seed alone.
    student = created["students"][4321]
    view = requests.get(f"{server.url}{set_path(created['id'])}", headers=bearer(student["access_token"]), timeout=30)
    assert view.status_code == 200 and len(view.json()["problems"]) == 20
    for ref in view.json()["problems"][:3]:
        problem = requests.get(f"{server.url}/api/v1/problems/{ref['problem_id']}",
                               headers=bearer(student["access_token"]), timeout=30).json()
        expected = student_problem(9, student["student_id"], ref["item"], Item("elbo-gap", "hard"))
        assert problem["params"] == expected.params.to_json()
    refused = requests.get(f"{server.url}{set_path(created['id'], '/answer-key')}", headers=bearer(key), timeout=30)
    assert refused.status_code == 409 and refused.headers["Retry-After"]
