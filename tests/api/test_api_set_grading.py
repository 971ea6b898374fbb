"""A set's policy on its problems, late work, hints, and the grade book (issue 5)."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import assert_problem, bearer, exact_answers, listing, set_path, submit
from conftest import create_set
from sqlalchemy import update

from api.db import database
from api.models import ProblemSetRecord

ELBO_GAP = [{"template": "elbo-gap"}]
BOTH = [{"template": "elbo-gap"}, {"template": "tight-bound"}]
PAST = "2020-01-01T00:00:00+00:00"
FUTURE = "2999-01-01T00:00:00+00:00"


def _exact(answers):
    return dict(answers)


def _off_by(delta):
    return lambda answers: {key: value + delta for key, value in answers.items()}


def _marginal_wrong_log_follows(answers):
    wrong = round(answers["marginal"] + 0.05, 2)
    return {**answers, "marginal": wrong, "log_marginal": f"ln({wrong})"}


# policy, answers each submission sends (from the exact ones), expected score or status per submission.
POLICY_CASES = [
    pytest.param(
        {"max_attempts": 2, "attempt_penalty": 0.25}, [_exact] * 3, [1.0, 0.75, 409], id="max-attempts"
    ),
    pytest.param({"attempt_penalty": 0.5}, [_exact] * 3, [1.0, 0.5, 0.0], id="penalty-floors-at-0"),
    pytest.param(
        {"follow_through_credit": 0.5}, [_marginal_wrong_log_follows], [6.5 / 8], id="follow-through"
    ),
    pytest.param({}, [_marginal_wrong_log_follows], [7 / 8], id="follow-through-default"),
    pytest.param({"abs_tol": 0.01, "rel_tol": 0.0}, [_off_by(0.005)], [1.0], id="wide-tolerance"),
    pytest.param({}, [_off_by(0.005)], [0.0], id="default-tolerance"),
]


@pytest.mark.parametrize("policy, sends, expected", POLICY_CASES)
def test_the_sets_policy_grades_its_problems(client, instructor, policy, sends, expected):
    created = create_set(client, instructor, ["alice"], items=ELBO_GAP, policy=policy)
    alice = created["students"][0]
    problem = {"id": alice["problems"][0]["problem_id"]}
    exact = exact_answers(client, instructor, problem["id"])
    token = bearer(alice["access_token"])
    for attempt, (send, outcome) in enumerate(zip(sends, expected, strict=True), start=1):
        response = submit(client, problem, send(exact), token)
        if outcome == 409:
            body = assert_problem(response, 409)
            assert "2 attempts" in body["detail"] and "nothing was stored" in body["detail"]
        else:
            assert response.status_code == 201
            assert response.json["attempt"] == attempt
            assert response.json["score"] == pytest.approx(outcome)
    stored = [s for s in expected if s != 409]
    assert [s["score"] for s in listing(client, problem, token).json] == pytest.approx(stored)
    grades = client.get(set_path(created["id"], "/grades"), headers=instructor).json
    (item,) = grades["students"][0]["items"]
    assert (item["attempts"], item["best_score"]) == (len(stored), pytest.approx(max(stored)))


def test_attempts_exhausted_for_a_student_stores_nothing_even_from_an_instructor(client, instructor):
    created = create_set(client, instructor, ["alice"], items=ELBO_GAP, policy={"max_attempts": 1})
    problem = {"id": created["students"][0]["problems"][0]["problem_id"]}
    assert (
        submit(client, problem, {"marginal": 0.5}, bearer(created["students"][0]["access_token"])).status_code
        == 201
    )
    assert_problem(submit(client, problem, {"marginal": 0.5}, instructor), 409)
    assert len(listing(client, problem, instructor).json) == 1


# --- hints -----------------------------------------------------------------


def _without(value, names):
    """The JSON value without these keys anywhere (times and the student's own echoed answers)."""
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


def _likelihood(params, z):
    p = params[f"p_x1_given_z{z}"]
    return p if params["x"] == 1 else f"(1-{p})"


def _posterior_expression(params):
    """The correct posterior as an expression of the params: no digits of it are sent."""
    prior = params["p_z1"]
    l0, l1 = _likelihood(params, 0), _likelihood(params, 1)
    return f"{l1}*{prior}/({l0}*(1-{prior})+{l1}*{prior})"


@pytest.mark.parametrize(
    "feedback, solution, numbers_shown",
    [("hints", "always", False), ("full", "never", False), ("full", "always", True)],
)
def test_a_student_sees_no_expected_number_with_hints_or_while_the_solution_is_closed(
    client, instructor, feedback, solution, numbers_shown
):
    policy = {"feedback": feedback, "solution": solution}
    created = create_set(client, instructor, ["alice"], items=BOTH, seed=31, policy=policy)
    alice = created["students"][0]
    token = bearer(alice["access_token"])
    bodies = [client.get(set_path(created["id"]), headers=token).json]
    expected: list[float] = []
    params_values: list[float] = []
    for ref in alice["problems"]:
        problem = {"id": ref["problem_id"]}
        view = client.get(f"/api/v1/problems/{ref['problem_id']}", headers=token)
        assert view.status_code == 200
        bodies.append(view.json)
        params = view.json["params"]
        params_values += [float(v) for k, v in params.items() if k != "x" and v is not None]
        exact = exact_answers(client, instructor, ref["problem_id"])
        expected += exact.values()
        # Wrong (two decimals, far off), follow-through, and a correct expression.
        wrong = {key: round(value + 0.37, 2) for key, value in exact.items()}
        sends = [
            wrong,
            {"posterior": _posterior_expression(params), "log_marginal": "ln(0.93)", "gap": -0.41},
        ]
        if "marginal" in exact:
            sends.append({"marginal": 0.93, "log_marginal": "ln(0.93)"})
        for answers in sends:
            graded = submit(client, problem, answers, token)
            assert graded.status_code == 201
            bodies.append(graded.json)
            bodies.append(client.get(graded.headers["Location"], headers=token).json)
            assert ("expected" in json.dumps(graded.json)) is numbers_shown
        bodies.append(listing(client, problem, token).json)
    text = json.dumps(_without(bodies, {"created_at", "due_at", "answer", "value"}), ensure_ascii=False)
    # Every exact value, to 4 and to 3 decimals; but not 0 (a tight bound's
    # gap) nor one that is also a param, which the student is given.
    needles = {
        f"{abs(value):.{digits}f}"
        for value in expected
        if abs(value) >= 0.001 and not any(math.isclose(value, p, abs_tol=5e-4) for p in params_values)
        for digits in (4, 3)
    }
    assert len(needles) > 20
    shown = sorted(needle for needle in needles if needle in text)
    if not numbers_shown:
        assert shown == []
    else:
        assert len(shown) > len(needles) / 2  # the search finds numbers when they are there


# --- late work and the grade book ---------------------------------------------


@pytest.mark.parametrize("count_late", [False, True])
def test_after_the_due_date_submissions_are_graded_and_marked_late(client, instructor, count_late):
    created = create_set(
        client, instructor, ["alice"], items=ELBO_GAP, due_at=PAST, policy={"count_late": count_late}
    )
    alice = created["students"][0]
    problem = {"id": alice["problems"][0]["problem_id"]}
    token = bearer(alice["access_token"])
    graded = submit(client, problem, exact_answers(client, instructor, problem["id"]), token)
    assert graded.status_code == 201
    assert (graded.json["late"], graded.json["score"]) == (True, 1.0)
    assert client.get(graded.headers["Location"], headers=token).json["late"] is True
    assert [s["late"] for s in listing(client, problem, token).json] == [True]
    book = client.get(set_path(created["id"], "/grades"), headers=instructor).json
    (row,) = book["students"]
    assert row["items"] == [
        {
            "item": 0,
            "best_score": 1.0 if count_late else None,
            "attempts": 1,
            "last_submitted_at": graded.json["created_at"],
        }
    ]
    assert row["total"] == (1.0 if count_late else 0.0)


def test_before_the_due_date_submissions_are_not_late(client, instructor):
    created = create_set(client, instructor, ["alice"], items=ELBO_GAP, due_at=FUTURE)
    alice = created["students"][0]
    graded = submit(
        client, {"id": alice["problems"][0]["problem_id"]}, {"marginal": 0.5}, bearer(alice["access_token"])
    )
    assert graded.json["late"] is False


@pytest.mark.parametrize("count_late", [False, True])
def test_the_grade_book_counts_the_best_on_time_score_unless_late_work_counts(
    app, client, instructor, count_late
):
    created = create_set(
        client, instructor, ["alice"], items=ELBO_GAP, due_at=FUTURE, policy={"count_late": count_late}
    )
    alice = created["students"][0]
    problem = {"id": alice["problems"][0]["problem_id"]}
    token = bearer(alice["access_token"])
    exact = exact_answers(client, instructor, problem["id"])
    on_time = submit(client, problem, {**exact, "gap": -exact["gap"]}, token).json
    assert (on_time["late"], on_time["score"]) == (False, 7 / 8)
    with database(app).sessions() as session:  # the due date passes
        session.execute(update(ProblemSetRecord).values(due_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    late = submit(client, problem, exact, token).json
    assert (late["late"], late["score"]) == (True, 1.0)
    (item,) = client.get(set_path(created["id"], "/grades"), headers=instructor).json["students"][0]["items"]
    assert item["best_score"] == (1.0 if count_late else 7 / 8)
    assert (item["attempts"], item["last_submitted_at"]) == (2, late["created_at"])


@pytest.fixture
def graded_set(client, instructor):
    """bob: nothing; alice: item 0 perfect, item 1 five of six; carol: item 1 on the second try."""
    created = create_set(client, instructor, ["bob", "alice", 'o"neil, jr'], items=BOTH)
    by_student = {entry["student_id"]: entry for entry in created["students"]}

    def send(student, item, change=lambda answers: answers):
        problem_id = by_student[student]["problems"][item]["problem_id"]
        answers = change(exact_answers(client, instructor, problem_id))
        response = submit(client, {"id": problem_id}, answers, bearer(by_student[student]["access_token"]))
        assert response.status_code == 201
        return response.json

    send("alice", 0)
    send("alice", 1, lambda answers: {**answers, "gap": 0.5})
    send('o"neil, jr', 1, lambda answers: {})
    last = send('o"neil, jr', 1)
    return created, last


def test_grade_book_has_a_row_per_student_in_roster_order_with_totals(client, instructor, graded_set):
    created, last = graded_set
    response = client.get(set_path(created["id"], "/grades"), headers=instructor)
    assert response.status_code == 200 and response.mimetype == "application/json"
    book = response.json
    assert (book["problem_set_id"], book["item_count"], book["max_total"], book["count_late"]) == (
        created["id"],
        2,
        2.0,
        False,
    )
    assert [row["student_id"] for row in book["students"]] == ["bob", "alice", 'o"neil, jr']
    summary = {
        row["student_id"]: ([(g["best_score"], g["attempts"]) for g in row["items"]], row["total"])
        for row in book["students"]
    }
    assert summary["bob"] == ([(None, 0), (None, 0)], 0.0)
    assert summary["alice"][0] == [(1.0, 1), (pytest.approx(5 / 6), 1)]
    assert summary["alice"][1] == pytest.approx(1 + 5 / 6)
    assert summary['o"neil, jr'] == ([(None, 0), (1.0, 2)], 1.0)
    carol_item = book["students"][2]["items"][1]
    assert carol_item["last_submitted_at"] == last["created_at"]


def test_grade_book_as_csv_for_an_lms_import(client, instructor, graded_set):
    created, _ = graded_set
    response = client.get(
        set_path(created["id"], "/grades"), query_string={"format": "csv"}, headers=instructor
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["student_id", "item_1_score", "item_1_attempts", "item_2_score", "item_2_attempts", "total"],
        ["bob", "", "0", "", "0", "0"],
        ["alice", "1", "1", "0.8333", "1", "1.8333"],
        ['o"neil, jr', "", "0", "1", "2", "1"],
    ]
    again = client.get(set_path(created["id"], "/grades?format=csv"), headers=instructor)
    assert again.get_data(as_text=True) == text  # stable


# A spreadsheet opening the CSV must show these ids as text, not run them.
FORMULA_IDS = [
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("a=b", "a=b"),
    ("o'brien", "o'brien"),
]


def test_csv_grade_book_keeps_student_ids_from_running_as_formulas(client, instructor):
    roster = [raw for raw, _ in FORMULA_IDS]
    created = create_set(client, instructor, roster, items=ELBO_GAP)
    path = set_path(created["id"], "/grades")
    rows = list(csv.reader(io.StringIO(
        client.get(path, query_string={"format": "csv"}, headers=instructor).get_data(as_text=True)
    )))
    assert [row[0] for row in rows[1:]] == [shown for _, shown in FORMULA_IDS]
    # JSON carries the ids as they are.
    book = client.get(path, headers=instructor).get_json()
    assert [row["student_id"] for row in book["students"]] == roster


@pytest.mark.parametrize("query", [{"format": "xml"}, {"format": ""}, {"fmt": "csv"}])
def test_unknown_grade_book_format_is_422(client, instructor, assignment, query):
    response = client.get(
        set_path(assignment.problem_set_id, "/grades"), query_string=query, headers=instructor
    )
    assert_problem(response, 422)
