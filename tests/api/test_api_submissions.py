"""Submissions over HTTP: grading, storage, attempts and listings (docs/api.md §5, §6)."""

from __future__ import annotations

import json
import threading

import pytest
from api_helpers import MISSING_ID, PART_1, PART_1_ANSWERS, assert_problem, listing, submit

from problems import TEMPLATES


def test_every_practice_page_case_scores_1_over_http(client, make_problem, practice_cases):
    for case in practice_cases["cases"]:
        problem = make_problem(case["template"], params=case["params"])
        response = submit(client, problem, case["answers"])
        assert response.status_code == 201, case["name"]
        graded = response.json
        assert graded["score"] == case["expect"]["score"], case["name"]
        assert {part["status"] for part in graded["parts"]} == {case["expect"]["every_status"]}, case["name"]


def test_submission_view_has_the_contract_fields_and_is_stored(client, make_problem):
    problem = make_problem(params=PART_1)
    response = submit(client, problem, {**PART_1_ANSWERS, "gap": -0.0541})
    assert response.status_code == 201
    graded = response.json
    assert set(graded) == {
        "id",
        "problem_id",
        "student_id",
        "attempt",
        "score",
        "parts",
        "steps",
        "late",
        "created_at",
    }
    assert (graded["problem_id"], graded["student_id"], graded["attempt"]) == (problem["id"], None, 1)
    assert graded["late"] is False  # practice problems have no due date
    assert [part["key"] for part in graded["parts"]] == list(TEMPLATES["elbo-gap"].answer_keys)
    gap = graded["parts"][6]
    assert (gap["key"], gap["status"], gap["credit"]) == ("gap", "incorrect", 0.0)
    assert (gap["answer"], gap["value"]) == ("-0.0541", -0.0541)
    assert gap["expected"] == pytest.approx(0.0541153, abs=1e-6)
    assert gap["misconceptions"] == ["gap_sign"]
    assert graded["score"] == 7 / 8
    assert {"title", "keys", "lines"} <= set(graded["steps"][0])
    assert response.headers["Location"] == f"/api/v1/submissions/{graded['id']}"
    assert client.get(response.headers["Location"]).json == graded


@pytest.mark.parametrize(
    "template, seed, answers, policy",
    [
        ("elbo-gap", 1, {"marginal": "0.65", "kl_prior": "ln(2)", "gap": None}, None),
        ("elbo-gap", 2, {"posterior": 7, "elbo": "-0.5*ln(0.8", "reconstruction": ""}, None),
        ("tight-bound", 3, {"posterior": "0.5", "elbo": -1.5e-3}, None),
        ("tight-bound", 4, {"reconstruction": "0.4*ln(0.4)"}, {"feedback": "hints"}),
        ("elbo-gap", 5, {"marginal": 0.6}, {"attempt_penalty": 0.25, "follow_through_credit": 0.5}),
    ],
)
def test_the_posted_submission_is_what_the_schema_dumps(client, make_problem, template, seed, answers, policy):
    # The POST builds its body directly (the hot path); GET dumps the stored row
    # through SubmissionSchema. Both must give the same JSON, whatever the grading.
    problem = make_problem(template, seed=seed, policy=policy)
    for _ in range(2):
        response = submit(client, problem, answers)
        if response.status_code == 422:  # an unreadable answer: nothing stored, try the rest
            answers = {key: value for key, value in answers.items() if key not in response.json["errors"]["answers"]}
            response = submit(client, problem, answers)
        assert response.status_code == 201, response.json
        assert client.get(response.headers["Location"]).json == response.json


def test_a_late_set_submission_posted_is_what_the_schema_dumps(client, make_set):
    alice = make_set(["alice"], due_at="2020-01-01T00:00:00+00:00")
    problem = {"id": alice.problems["alice"]}
    response = submit(client, problem, {"marginal": "0.6"}, alice.tokens["alice"])
    assert (response.status_code, response.json["late"], response.json["student_id"]) == (201, True, "alice")
    assert client.get(response.headers["Location"], headers=alice.tokens["alice"]).json == response.json


def test_json_numbers_reach_the_grader_as_the_decimal_they_print_as(client, make_problem):
    problem = make_problem(params=PART_1)
    # A binary float would print 0.6; the decimal keeps every digit written.
    body = '{"answers": {"marginal": 0.60000000000000000001, "posterior": 7.5e-1}}'
    response = client.post(
        f"/api/v1/problems/{problem['id']}/submissions", data=body, content_type="application/json"
    )
    parts = {part["key"]: part for part in response.json["parts"]}
    assert parts["marginal"]["answer"] == "0.60000000000000000001"
    assert parts["marginal"]["status"] == "correct"
    assert parts["posterior"]["status"] == "correct"


def test_expressions_and_omitted_and_null_answers(client, make_problem):
    problem = make_problem(params=PART_1)
    graded = submit(client, problem, {"marginal": "0.5*0.3 + 0.5*0.9", "posterior": None}).json
    statuses = {part["key"]: part["status"] for part in graded["parts"]}
    assert statuses["marginal"] == "correct"
    assert statuses["posterior"] == "unanswered"
    assert statuses["kl_posterior"] == "unanswered"
    assert graded["score"] == pytest.approx(1 / 8)


def test_follow_through_from_a_wrong_input(client, make_problem):
    problem = make_problem(params=PART_1)
    parts = submit(client, problem, {"marginal": 0.65, "log_marginal": "ln(0.65)"}).json["parts"]
    assert [p["status"] for p in parts[:2]] == ["incorrect", "follow_through"]


def test_unreadable_answers_are_422_with_message_and_position_and_nothing_stored(client, make_problem):
    problem = make_problem(params=PART_1)
    response = submit(client, problem, {"marginal": "0.6", "kl_prior": "0.4ln(0.8)", "elbo": "import os"})
    body = assert_problem(response, 422)
    errors = body["errors"]["answers"]
    assert set(errors) == {"kl_prior", "elbo"}
    assert isinstance(errors["kl_prior"]["message"], str) and errors["kl_prior"]["message"]
    assert isinstance(errors["kl_prior"]["position"], int)
    assert listing(client, problem).json == []
    assert submit(client, problem, {"marginal": "0.6"}).json["attempt"] == 1


@pytest.mark.parametrize(
    "answer",
    [
        '"' + "x" * 201 + '"',
        '"' + "(" * 150 + "1" + ")" * 150 + '"',
        '""',
        '"1e999999"',
        "1e999999",
        "-1e-999999",
        "1" * 4000,
        '"\\u0000"',
    ],
    ids=["long", "nested", "empty", "huge-text", "huge", "tiny", "4000-digits", "nul"],
)
def test_hostile_answers_never_500(client, make_problem, answer):
    problem = make_problem(params=PART_1)
    body = '{"answers": {"marginal": ' + answer + "}}"
    response = client.post(
        f"/api/v1/problems/{problem['id']}/submissions", data=body, content_type="application/json"
    )
    assert response.status_code in (201, 422), response.json


def test_answer_key_the_problem_does_not_ask_is_422(client, make_problem):
    problem = make_problem("tight-bound", params={**PART_1, "q_z1": None})
    errors = assert_problem(submit(client, problem, {"posterior": 0.75, "marginal": 0.6}), 422)["errors"]
    assert set(errors["answers"]) == {"marginal"}
    assert errors["answers"]["marginal"]["message"]


@pytest.mark.parametrize("answer", [True, [0.6], {"v": 0.6}])
def test_answer_of_the_wrong_json_type_is_422_under_its_key(client, make_problem, answer):
    problem = make_problem(params=PART_1)
    errors = assert_problem(submit(client, problem, {"marginal": answer}), 422)["errors"]
    assert set(errors["answers"]["marginal"]) == {"message", "position"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": {}, "student_id": ""}, "student_id"),
        ({"answers": {}, "student_id": "s" * 129}, "student_id"),
        ({"answers": {}, "student_id": "alice\n"}, "student_id"),
        ({"answers": {}, "student_id": "alice\ud800"}, "student_id"),  # unpaired surrogate
        ({"answers": {}, "student_id": "   "}, "student_id"),
        ({"answers": {}, "extra": 1}, "extra"),
    ],
)
def test_invalid_submission_fields_are_422(client, make_problem, instructor, body, field):
    problem = make_problem(params=PART_1)
    response = client.post(f"/api/v1/problems/{problem['id']}/submissions", json=body, headers=instructor)
    assert field in assert_problem(response, 422)["errors"]


def test_nan_answer_literal_is_400(client, make_problem):
    problem = make_problem(params=PART_1)
    response = client.post(
        f"/api/v1/problems/{problem['id']}/submissions",
        data='{"answers": {"marginal": NaN}}',
        content_type="application/json",
    )
    assert_problem(response, 400)


def test_attempts_count_up_and_past_max_attempts_is_409_with_nothing_stored(client, make_problem):
    problem = make_problem(params=PART_1, policy={"max_attempts": 2, "attempt_penalty": 0.25})
    first, second = (submit(client, problem, PART_1_ANSWERS).json for _ in range(2))
    assert (first["attempt"], first["score"]) == (1, 1.0)
    assert (second["attempt"], second["score"]) == (2, 0.75)
    body = assert_problem(submit(client, problem, PART_1_ANSWERS), 409)
    assert "2 attempts" in body["detail"]
    assert len(listing(client, problem).json) == 2


def test_attempts_are_counted_per_student(client, make_problem, instructor):
    problem = make_problem(params=PART_1, policy={"max_attempts": 1})
    for student in ("alice", "bob"):
        graded = submit(client, problem, PART_1_ANSWERS, instructor, student_id=student).json
        assert (graded["student_id"], graded["attempt"]) == (student, 1)
    assert_problem(submit(client, problem, PART_1_ANSWERS, instructor, student_id="alice"), 409)
    assert submit(client, problem, PART_1_ANSWERS).json["attempt"] == 1  # the anonymous scope


@pytest.mark.parametrize("feedback", ["full", "hints"])
def test_hints_mode_shows_no_expected_number(client, make_problem, practice_cases, feedback):
    problem = make_problem(params=PART_1, policy={"feedback": feedback})
    response = submit(client, problem, {"marginal": 0.65, "kl_prior": 0.0213, "gap": 0.07})
    text = response.get_data(as_text=True)
    # The exact logs, to 4 decimals as on the practice page (e.g. 0.5108).
    shown = {
        key: f"{abs(value):.4f}" in text
        for key, value in practice_cases["exact"]["part 1"].items()
        if isinstance(value, float)
    }
    if feedback == "full":
        assert all(shown.values()) and all("expected" in part for part in response.json["parts"])
    else:
        assert not any(shown.values()) and all("expected" not in part for part in response.json["parts"])


def test_listing_is_paginated_oldest_first(client, make_problem):
    problem = make_problem(params=PART_1)
    ids = [submit(client, problem, PART_1_ANSWERS).json["id"] for _ in range(12)]
    first = listing(client, problem)
    assert [s["id"] for s in first.json] == ids[:10]
    assert json.loads(first.headers["X-Pagination"]) == {
        "total": 12,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
    }
    assert [s["id"] for s in listing(client, problem, page=2).json] == ids[10:]
    assert [s["attempt"] for s in listing(client, problem, page_size=12).json] == list(range(1, 13))
    assert listing(client, problem, page=10**30).json == []


@pytest.mark.parametrize("query", [{"page": 0}, {"page_size": 101}, {"page": "x"}, {"pagesize": 5}])
def test_invalid_paging_is_422(client, make_problem, query):
    problem = make_problem(params=PART_1)
    assert_problem(listing(client, problem, **query), 422)


def test_unknown_problem_or_submission_is_404(client):
    assert_problem(client.get(f"/api/v1/submissions/{MISSING_ID}"), 404)
    assert_problem(client.get(f"/api/v1/problems/{MISSING_ID}/submissions"), 404)
    assert_problem(submit(client, {"id": MISSING_ID}, {"marginal": 0.6}), 404)


def test_concurrent_submissions_get_distinct_attempts(app, make_problem):
    problem = make_problem(params=PART_1)
    attempts, failures = [], []

    def worker():
        client = app.test_client()
        for _ in range(5):
            response = submit(client, problem, PART_1_ANSWERS)
            (attempts if response.status_code == 201 else failures).append(response.json.get("attempt"))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(attempts) == list(range(1, 31))
