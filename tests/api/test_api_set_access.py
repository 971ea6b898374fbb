"""Who may do what with a problem set and its problems (docs/api.md §9, issue 5):
every endpoint × instructor / the student's own token / another student's
token of the same set / a revoked token / no token / a token of another set."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from api_helpers import assert_problem, bearer, set_path, submit
from conftest import as_assignment, create_set

CALLERS = ["instructor", "own", "other", "revoked", "none", "other_set"]

# (name, method, path template, body) → the status for each caller, in CALLERS order.
# {set}: alice's set; {problem}: alice's problem; {submission}: one of alice's submissions.
MATRIX = [
    (
        "create set",
        "post",
        "/api/v1/problem-sets",
        {"title": "t", "items": [{"template": "elbo-gap"}]},
        [201, 403, 403, 401, 401, 403],
    ),
    ("list sets", "get", "/api/v1/problem-sets", None, [200, 403, 403, 401, 401, 403]),
    ("read set", "get", "/api/v1/problem-sets/{set}", None, [200, 200, 200, 401, 401, 404]),
    (
        "change set",
        "patch",
        "/api/v1/problem-sets/{set}",
        {"title": "Week 7"},
        [200, 403, 403, 401, 401, 403],
    ),
    ("list roster", "get", "/api/v1/problem-sets/{set}/students", None, [200, 403, 403, 401, 401, 403]),
    (
        "add students",
        "post",
        "/api/v1/problem-sets/{set}/students",
        {"students": ["erin"]},
        [200, 403, 403, 401, 401, 403],
    ),
    (
        "read student",
        "get",
        "/api/v1/problem-sets/{set}/students/bob",
        None,
        [200, 403, 403, 401, 401, 403],
    ),
    (
        "change student",
        "patch",
        "/api/v1/problem-sets/{set}/students/bob",
        {"due_at": "2999-01-01T00:00:00+00:00"},
        [200, 403, 403, 401, 401, 403],
    ),
    (
        "revoke",
        "post",
        "/api/v1/problem-sets/{set}/students/bob/revoke",
        None,
        [200, 403, 403, 401, 401, 403],
    ),
    (
        "reissue",
        "post",
        "/api/v1/problem-sets/{set}/students/bob/reissue",
        None,
        [200, 403, 403, 401, 401, 403],
    ),
    ("answer key", "get", "/api/v1/problem-sets/{set}/answer-key", None, [200, 403, 403, 401, 401, 403]),
    ("grades", "get", "/api/v1/problem-sets/{set}/grades", None, [200, 403, 403, 401, 401, 403]),
    ("analytics", "get", "/api/v1/problem-sets/{set}/analytics", None, [200, 403, 403, 401, 401, 403]),
    ("print", "get", "/api/v1/problem-sets/{set}/print", None, [200, 403, 403, 401, 401, 403]),
    ("print with key", "get", "/api/v1/problem-sets/{set}/print?answer_key=true", None,
     [200, 403, 403, 401, 401, 403]),
    (
        "grades csv",
        "get",
        "/api/v1/problem-sets/{set}/grades?format=csv",
        None,
        [200, 403, 403, 401, 401, 403],
    ),
    ("read problem", "get", "/api/v1/problems/{problem}", None, [200, 200, 404, 401, 404, 404]),
    ("solution", "get", "/api/v1/problems/{problem}/solution", None, [200, 403, 404, 401, 404, 404]),
    (
        "submit",
        "post",
        "/api/v1/problems/{problem}/submissions",
        {"answers": {"marginal": 0.5}},
        [201, 201, 404, 401, 404, 404],
    ),
    (
        "list submissions",
        "get",
        "/api/v1/problems/{problem}/submissions",
        None,
        [200, 200, 404, 401, 404, 404],
    ),
    ("read submission", "get", "/api/v1/submissions/{submission}", None, [200, 200, 404, 401, 404, 404]),
    ("flashcards", "get", "/api/v1/flashcards", None, [200, 200, 200, 200, 200, 200]),  # no credentials read
]
CASES = [
    pytest.param(method, path, body, caller, status, id=f"{name}-{caller}")
    for name, method, path, body, statuses in MATRIX
    for caller, status in zip(CALLERS, statuses, strict=True)
]


@dataclass
class World:
    ids: dict[str, str]
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(client, instructor) -> World:
    """Alice, bob and carol (revoked) on one set, dave on another; a submission of alice's."""
    main = as_assignment(create_set(client, instructor, ["alice", "bob", "carol"]))
    other_set = as_assignment(create_set(client, instructor, ["dave"]))
    assert (
        client.post(set_path(main.problem_set_id, "/students/carol/revoke"), headers=instructor).status_code
        == 200
    )
    submission = submit(client, {"id": main.problems["alice"]}, {"marginal": 0.5}, main.tokens["alice"]).json
    return World(
        ids={"set": main.problem_set_id, "problem": main.problems["alice"], "submission": submission["id"]},
        headers={
            "instructor": instructor,
            "own": main.tokens["alice"],
            "other": main.tokens["bob"],
            "revoked": main.tokens["carol"],
            "none": {},
            "other_set": other_set.tokens["dave"],
        },
    )


@pytest.mark.parametrize("method, path, body, caller, status", CASES)
def test_access_matrix(client, world, method, path, body, caller, status):
    url = path.format(**world.ids)
    response = getattr(client, method)(url, json=body, headers=world.headers[caller])
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.get_data(as_text=True)


def test_the_matrix_covers_every_operation_of_the_document(client):
    document = client.get("/api/v1/openapi.json").json
    covered = {(method, path.split("?")[0]) for _, method, path, _, _ in MATRIX}
    for path, item in document["paths"].items():
        if not path.startswith(("/api/v1/problem-sets", "/api/v1/problems/{", "/api/v1/submissions",
                                "/api/v1/flashcards")):
            continue
        for method in set(item) - {"parameters"}:
            templated = (
                path.replace("{problem_set_id}", "{set}")
                .replace("{problem_id}", "{problem}")
                .replace("{submission_id}", "{submission}")
                .replace("{student_id}", "bob")
            )
            assert (method, templated) in covered, path


def test_a_student_lists_only_their_own_submissions(client, instructor, world):
    alice = world.headers["own"]
    listed = client.get(f"/api/v1/problems/{world.ids['problem']}/submissions", headers=alice).json
    assert [s["id"] for s in listed] == [world.ids["submission"]]
    assert listed[0]["student_id"] == "alice"


def test_a_students_submission_is_theirs_without_naming_them(client, world):
    problem = {"id": world.ids["problem"]}
    graded = submit(client, problem, {"marginal": 0.5}, world.headers["own"])
    assert graded.json["student_id"] == "alice"
    assert_problem(submit(client, problem, {"marginal": 0.5}, world.headers["own"], student_id="bob"), 403)


def test_an_instructor_submits_to_a_set_problem_as_its_student(client, world):
    problem = {"id": world.ids["problem"]}
    implied = submit(client, problem, {"marginal": 0.5}, world.headers["instructor"])
    assert (implied.status_code, implied.json["student_id"]) == (201, "alice")
    named = submit(client, problem, {"marginal": 0.5}, world.headers["instructor"], student_id="alice")
    assert named.json["attempt"] == implied.json["attempt"] + 1
    wrong = submit(client, problem, {"marginal": 0.5}, world.headers["instructor"], student_id="bob")
    assert "student_id" in assert_problem(wrong, 422)["errors"]


def test_a_token_reissued_to_a_revoked_student_lets_them_in_again(client, world):
    reissued = client.post(
        set_path(world.ids["set"], "/students/carol/reissue"), headers=world.headers["instructor"]
    )
    assert (
        client.get(set_path(world.ids["set"]), headers=bearer(reissued.json["access_token"])).status_code
        == 200
    )
    assert_problem(client.get(set_path(world.ids["set"]), headers=world.headers["revoked"]), 401)


@pytest.mark.parametrize("action", ["revoke", "reissue"])
@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_a_student_action_answers_other_methods_with_405(client, instructor, method, action):
    created = create_set(client, instructor, ["alice"])
    response = getattr(client, method)(
        f"/api/v1/problem-sets/{created['id']}/students/alice/{action}", json={"due_at": None}, headers=instructor
    )
    assert_problem(response, 405)
    assert response.headers["Allow"].split(", ").count("POST") == 1
