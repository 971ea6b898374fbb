"""docs/api.md §12 over HTTP: authored set items, undetectable mistakes, when
a student's solution opens (the endpoint, their submissions, their view of
the set), and who may call each operation in the OpenAPI document."""

from __future__ import annotations

import json

import alembic.command
import alembic.config
import pytest
from api_helpers import PART_1, assert_problem, bearer, exact_answers, listing, set_path, submit
from conftest import create_set
from sqlalchemy import event, text

from api.db import database, make_engine
from problems import make_problem as solve
from problems import parse_params

PAGE_MISTAKE = [{"mistake": "kl_reversed", "key": "kl_prior"}]
AUTHORED_ITEM = {"template": "elbo-gap", "params": PART_1}
PAST = "2020-01-01T00:00:00+00:00"
FUTURE = "2999-01-01T00:00:00+00:00"


def _solution(client, problem_id, headers):
    return client.get(f"/api/v1/problems/{problem_id}/solution", headers=headers)


def _has_numbers(body) -> bool:
    return "expected" in json.dumps(body)


# --- undetectable mistakes -----------------------------------------------------


def test_the_practice_pages_problem_reports_the_reversed_kl_to_instructors(client, instructor):
    response = client.post("/api/v1/problems", json={"template": "elbo-gap", "params": PART_1}, headers=instructor)
    assert response.status_code == 201  # made all the same: the instructor decides
    assert response.json["undetectable"] == PAGE_MISTAKE
    path = response.headers["Location"]
    assert client.get(path, headers=instructor).json["undetectable"] == PAGE_MISTAKE
    assert "undetectable" not in client.get(path).json  # anonymous practice


def test_a_seeded_problem_reports_none(client, instructor):
    made = client.post("/api/v1/problems", json={"template": "tight-bound", "seed": 3}, headers=instructor).json
    assert made["undetectable"] == []


def test_the_policy_decides_what_is_undetectable(client, instructor):
    tight = {"abs_tol": 0.0001, "rel_tol": 0.0}
    body = {"template": "elbo-gap", "params": PART_1, "policy": tight}
    assert client.post("/api/v1/problems", json=body, headers=instructor).json["undetectable"] == []


# --- authored set items --------------------------------------------------------


def test_an_authored_item_gives_every_student_the_same_params(client, instructor):
    items = [AUTHORED_ITEM, {"template": "tight-bound"}]
    created = create_set(client, instructor, ["alice", "bob"], items=items)
    assert created["items"] == [
        {"template": "elbo-gap", "difficulty": None, "params": PART_1, "undetectable": PAGE_MISTAKE},
        {"template": "tight-bound", "difficulty": "standard", "params": None, "undetectable": []},
    ]
    added = client.post(set_path(created["id"], "/students"), json={"students": ["carol"]}, headers=instructor).json
    alone = create_set(client, instructor, ["carol"], items=items, seed=99)  # another roster and seed
    for entry in created["students"] + added["students"] + alone["students"]:
        problem = client.get(f"/api/v1/problems/{entry['problems'][0]['problem_id']}", headers=instructor).json
        assert (problem["params"], problem["seed"], problem["difficulty"]) == (PART_1, None, None)
        assert problem["undetectable"] == PAGE_MISTAKE
        seeded = client.get(f"/api/v1/problems/{entry['problems'][1]['problem_id']}", headers=instructor).json
        assert seeded["seed"] is not None and seeded["undetectable"] == []
    view = client.get(set_path(created["id"]), headers=instructor).json
    assert view["items"] == created["items"]
    student = client.get(set_path(created["id"]), headers=bearer(created["students"][0]["access_token"])).json
    assert [item.get("undetectable") for item in student["items"]] == [None, None]


@pytest.mark.parametrize(
    "item, errors",
    [
        ({**AUTHORED_ITEM, "difficulty": "easy"}, {"difficulty": ["An authored item (params) has no difficulty."]}),
        ({"template": "elbo-gap", "params": {**PART_1, "p_z1": "1.5"}},
         {"params": {"p_z1": ["must lie strictly between 0 and 1, got 1.5"]}}),
        ({"template": "elbo-gap", "params": {**PART_1, "w": 1}}, {"params": {"w": ["Unknown field."]}}),
    ],
)
def test_an_authored_item_is_validated_under_its_index(client, instructor, item, errors):
    body = {"title": "t", "items": [{"template": "tight-bound"}, item], "students": ["alice"]}
    response = client.post("/api/v1/problem-sets", json=body, headers=instructor)
    assert assert_problem(response, 422)["errors"] == {"items": {"1": errors}}


# --- when the solution opens ---------------------------------------------------


def _student(client, instructor, policy, **fields):
    created = create_set(client, instructor, ["alice"], items=[AUTHORED_ITEM], policy=policy, **fields)
    alice = created["students"][0]
    return created, bearer(alice["access_token"]), {"id": alice["problems"][0]["problem_id"]}


def test_after_attempts_opens_with_the_last_attempt(client, instructor):
    created, token, problem = _student(client, instructor, {"solution": "after_attempts", "max_attempts": 2})
    assert_problem(_solution(client, problem["id"], token), 403)
    first = submit(client, problem, {"marginal": 0.6, "posterior": 0.2}, token)
    parts = first.json["parts"]
    assert not _has_numbers(first.json) and parts[2]["status"] == "incorrect"
    assert "0.75" not in json.dumps(first.json)  # feedback says why without the numbers
    whole = client.get(first.headers["Location"], headers=instructor).json  # stored whole
    assert _has_numbers(whole) and [part["status"] for part in whole["parts"]] == [p["status"] for p in parts]
    # Symbolic step lines: "p(x = 1) = 0.5 · 0.3 + 0.5 · 0.9 = 0.15 + 0.45 = 0.6" is not shown.
    assert "0.15" in json.dumps(whole["steps"]) and "0.15" not in json.dumps(first.json["steps"])
    assert_problem(_solution(client, problem["id"], token), 403)
    last = submit(client, problem, {"marginal": 0.6}, token)
    assert _has_numbers(last.json) and (last.json["attempt"], last.json["score"]) == (2, 0.125)
    assert _solution(client, problem["id"], token).status_code == 200
    assert all(_has_numbers(each) for each in listing(client, problem, token).json)
    assert _has_numbers(client.get(first.headers["Location"], headers=token).json)


def test_after_attempts_opens_with_full_marks(client, instructor):
    created, token, problem = _student(client, instructor, {"solution": "after_attempts"})
    assert not _has_numbers(submit(client, problem, {"marginal": 0.6}, token).json)
    perfect = submit(client, problem, exact_answers(client, instructor, problem["id"]), token)
    assert perfect.json["score"] == 1.0 and _has_numbers(perfect.json)
    assert _solution(client, problem["id"], token).status_code == 200


def test_after_due_follows_the_date_that_holds_for_the_student(client, instructor):
    created, token, problem = _student(client, instructor, {"solution": "after_due"}, due_at=PAST)
    assert _solution(client, problem["id"], token).status_code == 200
    assert _has_numbers(submit(client, problem, {"marginal": 0.6}, token).json)
    extended = client.patch(set_path(created["id"], "/students/alice"), json={"due_at": FUTURE}, headers=instructor)
    assert extended.status_code == 200
    assert_problem(_solution(client, problem["id"], token), 403)
    graded = submit(client, problem, {"marginal": 0.6}, token).json
    assert not _has_numbers(graded)
    assert not any(_has_numbers(each) for each in listing(client, problem, token).json)


def test_never_by_default_in_a_set_whatever_the_feedback(client, instructor):
    created, token, problem = _student(client, instructor, {"feedback": "full"}, due_at=PAST)
    assert created["policy"]["solution"] == "never"
    graded = submit(client, problem, exact_answers(client, instructor, problem["id"]), token)
    assert graded.json["score"] == 1.0 and not _has_numbers(graded.json)
    assert [part["status"] for part in graded.json["parts"]] == ["correct"] * 8
    assert_problem(_solution(client, problem["id"], token), 403)
    # Instructors (an LMS too) always see everything.
    assert _solution(client, problem["id"], instructor).status_code == 200
    assert _has_numbers(submit(client, problem, {}, instructor).json)
    assert _has_numbers(listing(client, problem, instructor).json)


def test_always_shows_a_student_everything_from_the_start(client, instructor):
    created, token, problem = _student(client, instructor, {"solution": "always"})
    assert _solution(client, problem["id"], token).status_code == 200
    assert _has_numbers(submit(client, problem, {"marginal": 0.6}, token).json)


def test_practice_stays_open(client, make_problem):
    problem = make_problem(seed=5)
    assert problem["policy"]["solution"] == "always"
    assert _solution(client, problem["id"], {}).status_code == 200
    assert _has_numbers(submit(client, problem, {"marginal": 0.6}).json)


# --- the student's view of the set ---------------------------------------------


def test_a_students_view_gives_their_progress_per_item(client, instructor):
    policy = {"max_attempts": 2, "solution": "after_attempts"}
    items = [AUTHORED_ITEM, {"template": "tight-bound"}]
    created = create_set(client, instructor, ["alice", "bob"], items=items, policy=policy)
    alice, bob = created["students"]
    token = bearer(alice["access_token"])
    first = {"id": alice["problems"][0]["problem_id"]}
    submit(client, first, {"marginal": 0.6}, token)
    submit(client, first, {"marginal": 0.6, "log_marginal": "ln(0.6)"}, token)
    submit(client, {"id": alice["problems"][1]["problem_id"]}, {}, token)
    submit(client, {"id": bob["problems"][0]["problem_id"]}, {"marginal": 0.6}, bearer(bob["access_token"]))
    view = client.get(set_path(created["id"]), headers=token).json
    assert view["problems"] == [
        {**alice["problems"][0], "best_score": 0.25, "attempts": 2, "attempts_left": 0, "solution_open": True},
        {**alice["problems"][1], "best_score": 0.0, "attempts": 1, "attempts_left": 1, "solution_open": False},
    ]


def test_a_students_view_reads_the_set_in_a_few_queries(app, client, instructor):
    created = create_set(client, instructor, ["alice"], items=[AUTHORED_ITEM] * 20)
    statements = []
    engine = database(app).engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = client.get(set_path(created["id"]), headers=bearer(created["students"][0]["access_token"]))
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert response.status_code == 200 and len(response.json["problems"]) == 20
    assert len(statements) <= 6  # the token, the set, the due date, the progress: none per item


# --- the OpenAPI document ------------------------------------------------------

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
PRACTICE: list[dict[str, list[str]]] = [{}, {"bearer": []}]


def test_each_operation_says_who_may_call_it(client):
    document = client.get("/api/v1/openapi.json").json
    assert "security" not in document
    security = {
        f"{method.upper()} {path}": operation.get("security", "missing")
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "patch", "put", "delete"}
    }
    assert security.pop("GET /healthz") == []
    assert security.pop("GET /api/v1/templates") == []
    assert security.pop("GET /api/v1/flashcards") == []
    for operation in ("POST /api/v1/problems", "GET /api/v1/problems/{problem_id}",
                      "GET /api/v1/problems/{problem_id}/solution", "POST /api/v1/problems/{problem_id}/submissions",
                      "GET /api/v1/problems/{problem_id}/submissions", "GET /api/v1/submissions/{submission_id}"):
        assert security.pop(operation) == PRACTICE, operation
    # Everything else needs a token: instructors only, or a student's view of their set.
    assert "GET /api/v1/problem-sets/{problem_set_id}/grades" in security
    assert security == dict.fromkeys(security, BEARER)


# --- the migration -------------------------------------------------------------


def test_migration_0007_gives_stored_policies_a_solution_and_authored_problems_their_list(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    config = alembic.config.Config()
    config.set_main_option("script_location", "api:migrations")
    made = solve("elbo-gap", parse_params("elbo-gap", PART_1)).to_json()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.command.upgrade(config, "0006")
        now = "2026-11-01 00:00:00"
        connection.exec_driver_sql(
            "INSERT INTO problem_sets VALUES ('00000000000040008000000000000001', 't', 1, '[]', '{}', NULL, ?)",
            (now,),
        )
        for number, set_id in ((2, None), (3, "00000000000040008000000000000001")):
            connection.exec_driver_sql(
                "INSERT INTO problems (id, template, params, policy, problem, created_at, problem_set_id) "
                f"VALUES ('0000000000004000800000000000000{number}', 'elbo-gap', ?, '{{}}', ?, ?, ?)",
                (json.dumps(made["params"]), json.dumps(made), now, set_id),
            )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic.command.upgrade(config, "head")
        rows = connection.execute(text("SELECT policy, undetectable FROM problems ORDER BY id")).all()
        assert [(json.loads(p)["solution"], json.loads(u)) for p, u in rows] == [
            ("always", PAGE_MISTAKE), ("never", [])
        ]
        assert json.loads(connection.execute(text("SELECT policy FROM problem_sets")).scalar_one()) == {
            "solution": "never"
        }
        alembic.command.downgrade(config, "0006")
        assert [json.loads(p) for p, in connection.execute(text("SELECT policy FROM problems"))] == [{}, {}]
    engine.dispose()
