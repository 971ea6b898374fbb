"""Problem sets over HTTP (docs/api.md §8, issue 5): creation, rosters, variants,
tokens and the answer key."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from api_helpers import DEFAULT_POLICY, MISSING_ID, assert_problem, bearer, set_path
from conftest import TEST_SECRET_KEY, create_set
from sqlalchemy import select

from api.db import database
from api.models import IdempotencyKey, ProblemRecord, ProblemSetRecord, StudentToken
from api.tokens import derive
from problems import TEMPLATES
from problems.sets import Item, student_problem

SETS = "/api/v1/problem-sets"
ITEMS = [{"template": "elbo-gap", "difficulty": "standard"}, {"template": "tight-bound"}]
# A set's solution is closed to students unless its policy says when it opens (§12).
DEFAULT_SET_POLICY = {**DEFAULT_POLICY, "count_late": False, "solution": "never"}


def params_of(client, headers, created: dict) -> dict[str, list[dict]]:
    """student → the params of each of their problems, read back over HTTP."""
    return {
        entry["student_id"]: [
            client.get(f"/api/v1/problems/{ref['problem_id']}", headers=headers).json["params"]
            for ref in entry["problems"]
        ]
        for entry in created["students"]
    }


def test_create_answers_201_with_location_and_the_contract_shape(client, instructor):
    response = client.post(
        SETS,
        json={"title": "Week 6: the ELBO", "seed": 2026, "items": ITEMS, "students": ["alice", "bob"]},
        headers=instructor,
    )
    assert response.status_code == 201
    created = response.json
    assert response.headers["Location"] == set_path(created["id"])
    assert list(created) == ["id", "title", "seed", "items", "policy", "due_at", "created_at", "students"]
    assert (created["title"], created["seed"], created["due_at"]) == ("Week 6: the ELBO", 2026, None)
    assert created["items"] == [
        {"template": "elbo-gap", "difficulty": "standard", "params": None, "undetectable": []},
        {"template": "tight-bound", "difficulty": "standard", "params": None, "undetectable": []},
    ]
    assert created["policy"] == DEFAULT_SET_POLICY
    assert [entry["student_id"] for entry in created["students"]] == ["alice", "bob"]
    for entry in created["students"]:
        assert list(entry) == ["student_id", "access_token", "problems"]
        assert entry["access_token"].startswith("st_")
        assert [ref["item"] for ref in entry["problems"]] == [0, 1]


def test_each_student_gets_the_engines_variant_of_each_item_with_the_set_policy(client, instructor):
    policy = {"max_attempts": 3, "attempt_penalty": 0.1, "feedback": "hints", "count_late": True}
    created = create_set(client, instructor, ["alice", "bob"], items=ITEMS, policy=policy)
    assert created["policy"] == {**DEFAULT_SET_POLICY, **policy}
    for entry in created["students"]:
        for ref, item in zip(entry["problems"], ITEMS, strict=True):
            problem = client.get(f"/api/v1/problems/{ref['problem_id']}", headers=instructor).json
            expected = student_problem(2026, entry["student_id"], ref["item"], Item(**item))
            assert problem["params"] == expected.params.to_json()
            assert (problem["template"], problem["seed"]) == (item["template"], expected.seed)
            # The problem view shows docs/api.md §6's policy; count_late is the set's.
            assert problem["policy"] == {k: v for k, v in created["policy"].items() if k != "count_late"}


def test_without_a_seed_the_service_picks_one_and_returns_it(client, instructor):
    body = {"title": "t", "items": [{"template": "elbo-gap"}], "students": ["alice"]}
    created = client.post(SETS, json=body, headers=instructor).json
    assert isinstance(created["seed"], int) and 0 <= created["seed"] < 2**53
    again = create_set(client, instructor, ["alice"], seed=created["seed"])
    assert params_of(client, instructor, again) == params_of(client, instructor, created)


def test_an_empty_roster_makes_a_set_without_students(client, instructor):
    created = create_set(client, instructor, [])
    assert created["students"] == []
    assert client.get(set_path(created["id"]), headers=instructor).json["student_count"] == 0


@pytest.mark.slow
def test_a_students_variants_are_the_same_in_a_set_of_3_and_of_3000(make_app, instructor):
    # Made in the request, as a smaller set is (3,000 problems would be made in the background).
    client = make_app(problems_at_once=3000).test_client()
    items = [{"template": "elbo-gap", "difficulty": "hard"}]
    small = create_set(client, instructor, ["alice", "bob", "carol"], items=items, seed=77)
    roster = [f"student-{i:04d}" for i in range(2997)]
    roster[0:0] = ["carol"]
    roster.insert(1500, "alice")
    roster.append("bob")
    large = create_set(client, instructor, roster, items=items, seed=77)
    assert [entry["student_id"] for entry in large["students"]] == roster
    small_params = params_of(client, instructor, small)
    large_refs = {entry["student_id"]: entry for entry in large["students"]}
    large_params = params_of(
        client, instructor, {"students": [large_refs[s] for s in ("alice", "bob", "carol")]}
    )
    assert small_params == large_params
    assert small_params["alice"] != small_params["bob"]


def test_roster_order_changes_no_variant_but_is_kept(client, instructor):
    first = create_set(client, instructor, ["alice", "bob", "carol"], items=ITEMS)
    second = create_set(client, instructor, ["carol", "alice", "bob"], items=ITEMS)
    assert params_of(client, instructor, first) == params_of(client, instructor, second)
    listed = client.get(set_path(second["id"], "/students"), headers=instructor).json
    assert [entry["student_id"] for entry in listed["students"]] == ["carol", "alice", "bob"]


def test_duplicate_student_ids_are_422_naming_them(client, instructor):
    body = {"title": "t", "items": ITEMS, "students": ["alice", "bob", "alice", "carol", "bob", "bob"]}
    errors = assert_problem(client.post(SETS, json=body, headers=instructor), 422)["errors"]
    (message,) = errors["students"]
    assert '"alice"' in message and '"bob"' in message and "carol" not in message


@pytest.mark.parametrize(
    "student_id",
    ["", "x" * 129, "al\nice", "tab\there", "\x7f", "zero\u200bwidth", "   ", "\u2028", "\ud800"],
    ids=["empty", "129-chars", "newline", "tab", "del", "zero-width", "blank", "line-sep", "surrogate"],
)
def test_bad_student_ids_are_422_under_their_index(client, instructor, student_id):
    body = {"title": "t", "items": ITEMS, "students": ["alice", student_id]}
    errors = assert_problem(client.post(SETS, json=body, headers=instructor), 422)["errors"]
    assert list(errors["students"]) == ["1"]


@pytest.mark.parametrize("student_id", ["x" * 128, "Zoë Ünïcode", "a b", "alice@example.edu", "a/b?c"])
def test_printable_student_ids_are_taken_as_they_are(client, instructor, student_id):
    created = create_set(client, instructor, [student_id])
    assert created["students"][0]["student_id"] == student_id


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Week\u00006"}, "title"),
        ({"title": "Week \ud800"}, "title"),
        ({"items": []}, "items"),
        ({"items": [{"template": "elbo-gap"}] * 21}, "items"),
        ({"items": [{"template": "nope"}]}, "items"),
        ({"items": [{"template": "elbo-gap", "difficulty": "brutal"}]}, "items"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"seed": "1"}, "seed"),
        ({"students": "alice"}, "students"),
        ({"students": [f"s{i}" for i in range(5001)]}, "students"),
        ({"due_at": "2026-12-01T09:00:00"}, "due_at"),
        ({"due_at": "next friday"}, "due_at"),
        ({"policy": {"count_late": "yes"}}, "policy"),
        ({"policy": {"feedback": "loud"}}, "policy"),
        ({"policy": {"bonus": 1}}, "policy"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_set_fields_are_422(client, instructor, change, field):
    body = {"title": "t", "items": ITEMS, "students": ["alice"], **change}
    assert field in assert_problem(client.post(SETS, json=body, headers=instructor), 422)["errors"]


def test_the_largest_seed_and_a_due_date_with_an_offset_are_taken(client, instructor):
    created = create_set(client, instructor, ["alice"], seed=2**63 - 1, due_at="2026-12-01T09:00:00+01:00")
    assert created["seed"] == 2**63 - 1
    assert created["due_at"] == "2026-12-01T08:00:00+00:00"


def test_a_roster_is_held_to_5000_ids_and_its_body_to_64_kib(client, instructor):
    # 5,001 short ids fit in 64 KiB, so the body is read, then refused as too many.
    many = {"title": "t", "items": ITEMS, "students": [f"s{i:05d}" for i in range(5001)]}
    assert "students" in assert_problem(client.post(SETS, json=many, headers=instructor), 422)["errors"]
    huge = '{"title": "' + "x" * (64 * 1024) + '"}'
    assert_problem(client.post(SETS, data=huge, content_type="application/json", headers=instructor), 413)
    # Others are refused before their body is read.
    assert_problem(client.post(SETS, data=huge, content_type="application/json"), 401)


def test_tokens_are_stored_only_as_hashes_and_derived_from_the_server_secret(app, client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], items=ITEMS)
    with database(app).sessions() as session:
        rows = {row.student_id: row for row in session.scalars(select(StudentToken))}
    for entry in created["students"]:
        token = entry["access_token"]
        row = rows[entry["student_id"]]
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token == derive(TEST_SECRET_KEY.encode(), row.problem_set_id, entry["student_id"], 0)
    assert len({entry["access_token"] for entry in created["students"]}) == 2


def test_roster_lists_every_student_with_the_same_tokens_and_problems(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], items=ITEMS)
    listed = client.get(set_path(created["id"], "/students"), headers=instructor).json
    assert listed["problem_set_id"] == created["id"]
    assert listed["students"] == [
        {**entry, "revoked": False, "revoked_at": None, "due_at": None} for entry in created["students"]
    ]


def test_a_students_entry_reads_as_in_the_roster(client, instructor):
    created = create_set(client, instructor, ["alice", "a/b"], items=ITEMS)
    roster = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"]
    for entry in roster:
        response = client.get(set_path(created["id"], f"/students/{entry['student_id']}"), headers=instructor)
        assert response.status_code == 200 and response.json == entry


@pytest.mark.parametrize("student_id", ["zoe", "%00", "x" * 129])
def test_reading_a_student_not_on_the_roster_is_404(client, instructor, assignment, student_id):
    assert_problem(
        client.get(set_path(assignment.problem_set_id, f"/students/{student_id}"), headers=instructor), 404
    )


def test_revoked_token_is_401_and_reissued_token_works(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"])
    alice = bearer(created["students"][0]["access_token"])
    problem = f"/api/v1/problems/{created['students'][0]['problems'][0]['problem_id']}"
    revoked = client.post(set_path(created["id"], "/students/alice/revoke"), headers=instructor)
    assert revoked.status_code == 200
    assert revoked.json["revoked"] is True and revoked.json["revoked_at"]
    assert_problem(client.get(problem, headers=alice), 401)
    again = client.post(set_path(created["id"], "/students/alice/revoke"), headers=instructor).json
    assert again["revoked_at"] == revoked.json["revoked_at"]
    reissued = client.post(set_path(created["id"], "/students/alice/reissue"), headers=instructor).json
    assert reissued["revoked"] is False
    assert reissued["access_token"] != created["students"][0]["access_token"]
    assert reissued["problems"] == created["students"][0]["problems"]
    assert client.get(problem, headers=bearer(reissued["access_token"])).status_code == 200
    assert_problem(client.get(problem, headers=alice), 401)
    listed = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"]
    assert listed[0]["access_token"] == reissued["access_token"]
    assert listed[1]["access_token"] == created["students"][1]["access_token"]


@pytest.mark.parametrize("action", ["revoke", "reissue"])
@pytest.mark.parametrize("student_id", ["zoe", "%00", "%20", "x" * 129])
def test_revoking_a_student_not_on_the_roster_is_404(client, instructor, assignment, action, student_id):
    path = set_path(assignment.problem_set_id, f"/students/{student_id}/{action}")
    assert_problem(client.post(path, headers=instructor), 404)


def test_student_ids_with_slashes_reach_the_token_endpoints(client, instructor):
    created = create_set(client, instructor, ["dept/alice"])
    response = client.post(set_path(created["id"], "/students/dept%2Falice/revoke"), headers=instructor)
    assert response.status_code == 200 and response.json["student_id"] == "dept/alice"


ANOTHER_SECRET_KEY = "another-secret-key-" + "y" * 32


def test_a_server_with_another_secret_key_refuses_to_show_wrong_tokens(make_app, client, instructor):
    created = create_set(client, instructor, ["alice"])
    other = make_app(secret_key=ANOTHER_SECRET_KEY).test_client()
    for path in ("/students", "/students/alice"):
        body = assert_problem(other.get(set_path(created["id"], path), headers=instructor), 503)
        assert "ELBO_GRADER_SECRET_KEY" in body["detail"]
        assert body["type"] == "urn:elbo-grader:problem:secret-key-changed"


def test_after_a_key_change_a_replayed_creation_shows_no_token_that_does_not_work(make_app, client, instructor):
    body = {"title": "Week 6", "seed": 1, "items": ITEMS, "students": ["alice", "bob"]}
    key = {**instructor, "Idempotency-Key": "create-week-6"}
    issued = client.post(SETS, json=body, headers=key)
    assert issued.status_code == 201
    other = make_app(secret_key=ANOTHER_SECRET_KEY).test_client()
    replayed = other.post(SETS, json=body, headers=key)
    assert_problem(replayed, 503)
    # The tokens issued still work, on either server.
    for student in issued.json["students"]:
        view = other.get(set_path(issued.json["id"]), headers=bearer(student["access_token"]))
        assert view.status_code == 200 and view.json["student_id"] == student["student_id"]


def test_after_a_key_change_a_reissued_token_works_and_is_shown(make_app, client, instructor):
    created = create_set(client, instructor, ["alice"])
    other = make_app(secret_key=ANOTHER_SECRET_KEY).test_client()
    reissued = other.post(set_path(created["id"], "/students/alice/reissue"), headers=instructor)
    assert reissued.status_code == 200
    token = reissued.json["access_token"]
    assert other.get(set_path(created["id"]), headers=bearer(token)).status_code == 200
    assert other.get(set_path(created["id"], "/students/alice"), headers=instructor).json["access_token"] == token


def test_adding_students_keeps_old_variants_and_tokens_and_ignores_known_ids(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], items=ITEMS)
    before = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"]
    response = client.post(
        set_path(created["id"], "/students"),
        json={"students": ["carol", "alice", "dave"]},
        headers=instructor,
    )
    assert response.status_code == 200
    added = response.json
    assert [entry["student_id"] for entry in added["students"]] == ["carol", "dave"]
    assert added["ignored"] == ["alice"]
    assert added["id"] == created["id"] and added["seed"] == created["seed"]
    after = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"]
    assert after[:2] == before
    assert [entry["student_id"] for entry in after] == ["alice", "bob", "carol", "dave"]
    assert after[2:] == [{**entry, "revoked": False, "revoked_at": None, "due_at": None} for entry in added["students"]]
    for entry in added["students"]:
        problem = client.get(
            f"/api/v1/problems/{entry['problems'][1]['problem_id']}", headers=instructor
        ).json
        assert (
            problem["params"]
            == student_problem(2026, entry["student_id"], 1, Item(**ITEMS[1])).params.to_json()
        )
    # A set made with the whole roster at once gives the same variants.
    whole = create_set(client, instructor, ["alice", "bob", "carol", "dave"], items=ITEMS)
    assert params_of(client, instructor, whole) == params_of(
        client, instructor, {"students": before + added["students"]}
    )


@pytest.mark.parametrize(
    "body",
    [{"students": []}, {"students": ["x", "x"]}, {"students": [""]}, {}],
    ids=["empty", "dup", "bad", "none"],
)
def test_invalid_additions_are_422(client, instructor, assignment, body):
    response = client.post(set_path(assignment.problem_set_id, "/students"), json=body, headers=instructor)
    assert "students" in assert_problem(response, 422)["errors"]


def test_adding_to_an_unknown_set_is_404(client, instructor):
    assert_problem(
        client.post(set_path(MISSING_ID, "/students"), json={"students": ["a"]}, headers=instructor), 404
    )


def test_concurrent_additions_of_the_same_students_add_each_once(app, client, instructor, assignment):
    barrier = threading.Barrier(4)
    results = []

    def add(students):
        own = app.test_client()
        barrier.wait()
        response = own.post(
            set_path(assignment.problem_set_id, "/students"), json={"students": students}, headers=instructor
        )
        results.append((response.status_code, response.json))

    threads = [threading.Thread(target=add, args=(["carol", "dave", f"x{n}"],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 4
    added = [entry["student_id"] for _, body in results for entry in body["students"]]
    assert sorted(added) == ["carol", "dave", "x0", "x1", "x2", "x3"]
    roster = client.get(set_path(assignment.problem_set_id, "/students"), headers=instructor).json["students"]
    assert len(roster) == 8 and len({entry["student_id"] for entry in roster}) == 8


def test_set_view_for_instructors_has_seed_and_roster_size(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], items=ITEMS, due_at="2030-01-01T00:00:00Z")
    view = client.get(set_path(created["id"]), headers=instructor).json
    assert view == {
        **{k: created[k] for k in ("id", "title", "seed", "items", "policy", "due_at", "created_at")},
        "student_count": 2,
    }


def test_listing_shows_every_set_newest_first_as_its_instructor_view(client, instructor):
    made = [create_set(client, instructor, roster) for roster in (["alice"], [], ["bob", "carol", "dave"])]
    listed = client.get(SETS, headers=instructor)
    assert listed.status_code == 200
    # Newest first, each exactly what GET /problem-sets/{id} shows an instructor.
    assert listed.json == [client.get(set_path(s["id"]), headers=instructor).json for s in reversed(made)]
    assert [view["student_count"] for view in listed.json] == [3, 0, 1]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 3
    # A page far past the end is empty, not an SQL error.
    assert client.get(SETS, query_string={"page": 10**30}, headers=instructor).json == []


@pytest.mark.parametrize("count, page_size", [(0, 10), (1, 1), (5, 2), (6, 3), (4, 100)])
def test_listing_pages_cover_every_set_once(client, instructor, count, page_size):
    made = [create_set(client, instructor, [])["id"] for _ in range(count)]
    pages = -(-count // page_size)
    seen = []
    for page in range(1, pages + 1):
        response = client.get(SETS, query_string={"page": page, "page_size": page_size}, headers=instructor)
        assert len(response.json) == min(page_size, count - (page - 1) * page_size)
        assert json.loads(response.headers["X-Pagination"])["total"] == count
        seen += [view["id"] for view in response.json]
    assert seen == made[::-1]
    beyond = client.get(SETS, query_string={"page": pages + 1, "page_size": page_size}, headers=instructor)
    assert beyond.status_code == 200 and beyond.json == []


@pytest.mark.parametrize("query", [{"page": 0}, {"page_size": 0}, {"page_size": 101}, {"page": "x"}])
def test_listing_refuses_invalid_paging_with_422(client, instructor, query):
    assert_problem(client.get(SETS, query_string=query, headers=instructor), 422)


def test_set_view_for_a_student_has_only_their_own_problems_and_no_seed(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], items=ITEMS)
    alice = created["students"][0]
    response = client.get(set_path(created["id"]), headers=bearer(alice["access_token"]))
    view = response.json
    progress = {"best_score": None, "attempts": 0, "attempts_left": None, "solution_open": False}
    assert view == {
        **{k: created[k] for k in ("id", "title", "policy", "due_at", "created_at")},
        # What the policy cannot detect is the instructor's business.
        "items": [{k: v for k, v in item.items() if k != "undetectable"} for item in created["items"]],
        "student_id": "alice",
        "problems": [{**ref, **progress} for ref in alice["problems"]],
    }
    text = response.get_data(as_text=True)
    bob = created["students"][1]
    assert '"st_' not in text and bob["problems"][0]["problem_id"] not in text  # no token, nor bob's


def test_answer_key_matches_the_stored_problems(client, instructor):
    created = create_set(client, instructor, ["bob", "alice"], items=ITEMS)
    key = client.get(set_path(created["id"], "/answer-key"), headers=instructor)
    assert key.status_code == 200
    assert key.json["problem_set_id"] == created["id"]
    assert [entry["student_id"] for entry in key.json["students"]] == ["bob", "alice"]
    for entry, issued in zip(key.json["students"], created["students"], strict=True):
        assert [p["problem_id"] for p in entry["problems"]] == [r["problem_id"] for r in issued["problems"]]
        for problem in entry["problems"]:
            path = f"/api/v1/problems/{problem['problem_id']}"
            view = client.get(path, headers=instructor).json
            solution = client.get(f"{path}/solution", headers=instructor).json
            assert (problem["template"], problem["params"]) == (view["template"], view["params"])
            assert problem["answers"] == solution["answers"]
            assert list(problem["answers"]) == list(TEMPLATES[problem["template"]].answer_keys)
            assert all(set(answer) == {"exact", "latex", "value"} for answer in problem["answers"].values())


def test_problem_rows_carry_set_student_item_and_the_policy(app, client, instructor):
    created = create_set(client, instructor, ["alice"], items=ITEMS, policy={"max_attempts": 2})
    with database(app).sessions() as session:
        rows = session.scalars(select(ProblemRecord).order_by(ProblemRecord.item)).all()
        problem_set = session.scalar(select(ProblemSetRecord))
    assert [(str(r.problem_set_id), r.student_id, r.item) for r in rows] == [
        (created["id"], "alice", 0),
        (created["id"], "alice", 1),
    ]
    assert all(row.policy == problem_set.policy == created["policy"] for row in rows)


@pytest.mark.parametrize("suffix", ["", "/students", "/answer-key", "/grades"])
def test_unknown_set_is_404(client, instructor, suffix):
    assert_problem(client.get(set_path(MISSING_ID, suffix), headers=instructor), 404)


def test_no_idempotency_row_without_a_key(app, client, instructor):
    create_set(client, instructor, ["alice"])
    with database(app).sessions() as session:
        assert session.scalars(select(IdempotencyKey)).all() == []
