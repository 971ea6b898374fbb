"""Changing a problem set once made: its title and its due date, whose move
marks the submissions already made late or on time again."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from api_helpers import MISSING_ID, assert_problem, bearer, exact_answers, set_path, submit
from conftest import create_set

from api.services import submissions

PAST = "2020-01-01T00:00:00+00:00"
FUTURE = "2999-01-01T00:00:00+00:00"
LATER_FUTURE = "3999-06-01T12:00:00+00:00"


def change(client, headers, problem_set_id, **fields):
    return client.patch(set_path(problem_set_id), json=fields, headers=headers)


def change_student(client, headers, problem_set_id, student_id, **fields):
    return client.patch(set_path(problem_set_id, f"/students/{student_id}"), json=fields, headers=headers)


def late_flags(client, instructor, ids) -> dict[str, bool]:
    """submission id → its late flag as read back."""
    return {i: client.get(f"/api/v1/submissions/{i}", headers=instructor).json["late"] for i in ids}


def moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def grade_book(client, instructor, problem_set_id) -> dict:
    students = client.get(set_path(problem_set_id, "/grades"), headers=instructor).json["students"]
    return {row["student_id"]: row["items"][0] for row in students}


def test_a_change_shows_in_every_view_and_leaves_the_rest(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], due_at=FUTURE)
    response = change(
        client, instructor, created["id"], title="Week 7: the gap", due_at="2999-02-01T09:30:00+02:00"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    view = client.get(set_path(created["id"]), headers=instructor).json
    assert response.json == view
    assert view["title"] == "Week 7: the gap"
    assert moment(view["due_at"]) == moment("2999-02-01T07:30:00+00:00")
    unchanged = ("id", "seed", "items", "policy", "created_at")
    assert {k: view[k] for k in unchanged} == {k: created[k] for k in unchanged}
    assert view["student_count"] == 2
    alice = created["students"][0]
    assert (
        client.get(set_path(created["id"]), headers=bearer(alice["access_token"])).json["title"]
        == view["title"]
    )


@pytest.mark.parametrize(
    "fields, kept",
    [({"title": "Renamed"}, "due_at"), ({"due_at": PAST}, "title"), ({"due_at": None}, "title")],
)
def test_a_field_left_out_stays_as_it_was(client, instructor, fields, kept):
    created = create_set(client, instructor, ["alice"], due_at=FUTURE)
    changed = change(client, instructor, created["id"], **fields).json
    assert changed[kept] == created[kept]
    if "title" in fields:
        assert changed["title"] == fields["title"]
    if "due_at" in fields:
        assert moment(changed["due_at"]) == moment(fields["due_at"])


# due_at at creation → after the change, and whether a submission made in between is late then.
MOVES = [
    pytest.param(PAST, FUTURE, False, id="extended-past-to-future"),
    pytest.param(FUTURE, PAST, True, id="brought-forward-into-the-past"),
    pytest.param(PAST, None, False, id="due-date-removed"),
    pytest.param(None, PAST, True, id="due-date-set-in-the-past"),
    pytest.param(FUTURE, LATER_FUTURE, False, id="extended-again"),
]


@pytest.mark.parametrize("initial, moved_to, late", MOVES)
def test_moving_the_due_date_marks_earlier_submissions_by_the_new_date(
    client, instructor, initial, moved_to, late
):
    created = create_set(client, instructor, ["alice"], due_at=initial)
    alice = created["students"][0]
    problem_id = alice["problems"][0]["problem_id"]
    exact = exact_answers(client, instructor, problem_id)
    made = submit(client, {"id": problem_id}, exact, bearer(alice["access_token"])).json
    assert made["late"] is (initial == PAST)

    assert change(client, instructor, created["id"], due_at=moved_to).status_code == 200
    assert client.get(f"/api/v1/submissions/{made['id']}", headers=instructor).json["late"] is late
    # The set counts no late work (the default policy): a late best score is no score.
    assert grade_book(client, instructor, created["id"])["alice"]["best_score"] == (None if late else 1.0)


def test_a_due_date_between_two_submissions_splits_them_at_the_date(client, instructor):
    created = create_set(client, instructor, ["alice"])
    alice = created["students"][0]
    problem = {"id": alice["problems"][0]["problem_id"]}
    first, second = (
        submit(client, problem, {"marginal": 0.6}, bearer(alice["access_token"])).json for _ in "12"
    )
    # Due exactly when the first was made: made at the due date is on time.
    change(client, instructor, created["id"], due_at=first["created_at"])
    lates = [
        client.get(f"/api/v1/submissions/{s['id']}", headers=instructor).json["late"] for s in (first, second)
    ]
    assert lates == [False, True]


def test_only_the_changed_sets_submissions_are_marked(client, instructor):
    changed, other = (create_set(client, instructor, ["alice"], due_at=FUTURE) for _ in "ab")
    made = {}
    for created in (changed, other):
        alice = created["students"][0]
        problem = {"id": alice["problems"][0]["problem_id"]}
        made[created["id"]] = submit(client, problem, {"marginal": 0.6}, bearer(alice["access_token"])).json[
            "id"
        ]
    change(client, instructor, changed["id"], due_at=PAST)
    late = {
        set_id: client.get(f"/api/v1/submissions/{submission}", headers=instructor).json["late"]
        for set_id, submission in made.items()
    }
    assert late == {changed["id"]: True, other["id"]: False}


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "_schema"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "tab\there"}, "title"),
        ({"title": 7}, "title"),
        ({"due_at": "2030-01-01T00:00:00"}, "due_at"),  # no UTC offset
        ({"due_at": "tomorrow"}, "due_at"),
        ({"seed": 1}, "seed"),
        ({"items": [{"template": "elbo-gap"}]}, "items"),
        ({"policy": {"max_attempts": 3}}, "policy"),
    ],
)
def test_invalid_changes_are_422_under_their_field_and_change_nothing(client, instructor, body, field):
    created = create_set(client, instructor, ["alice"], due_at=FUTURE)
    refused = assert_problem(change(client, instructor, created["id"], **body), 422)
    assert field in refused["errors"]
    view = client.get(set_path(created["id"]), headers=instructor).json
    assert (view["title"], view["due_at"], view["seed"]) == (
        created["title"],
        created["due_at"],
        created["seed"],
    )


def test_changing_an_unknown_set_is_404(client, instructor):
    assert_problem(change(client, instructor, MISSING_ID, title="x"), 404)


def test_submissions_racing_due_date_moves_all_end_marked_by_the_last_date(client, app, instructor):
    """However submissions and moves of the due date interleave, each
    submission ends up late exactly when it was made after the final date."""
    created = create_set(client, instructor, ["alice", "bob"], due_at=FUTURE)
    targets = [
        (bearer(s["access_token"]), {"id": s["problems"][0]["problem_id"]}) for s in created["students"]
    ]
    dates = [PAST, FUTURE] * 3 + [None, PAST]
    made, failures = [], []

    def submitter(headers, problem) -> None:
        with app.test_client() as own:
            for _ in range(6):
                response = submit(own, problem, {"marginal": 0.6}, headers)
                made.append(response.json["id"]) if response.status_code == 201 else failures.append(response)

    def mover() -> None:
        with app.test_client() as own:
            for date in dates:
                response = change(own, instructor, created["id"], due_at=date)
                if response.status_code != 200:
                    failures.append(response)

    threads = [threading.Thread(target=submitter, args=target) for target in targets]
    threads.append(threading.Thread(target=mover))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(made) == 12
    due = moment(PAST)
    for submission in made:
        view = client.get(f"/api/v1/submissions/{submission}", headers=instructor).json
        assert view["late"] is (moment(view["created_at"]) > due)


@pytest.mark.parametrize("whose", ["set", "student"])
def test_a_move_waits_for_a_submission_that_has_read_the_old_date(
    client, app, instructor, monkeypatch, whose
):
    """A submission holds the date it read until it commits: a move made
    meanwhile waits for it, then marks it too (without that wait it would
    stay on time by a date that no longer holds)."""
    created = create_set(client, instructor, ["alice"], due_at=FUTURE)
    alice = created["students"][0]
    problem = {"id": alice["problems"][0]["problem_id"]}
    has_read, go_on = threading.Event(), threading.Event()
    is_late = submissions._is_late

    def pausing(*args):
        late = is_late(*args)
        has_read.set()
        go_on.wait(timeout=10)
        return late

    monkeypatch.setattr(submissions, "_is_late", pausing)
    made = {}

    def submitter() -> None:
        with app.test_client() as own:
            made["response"] = submit(own, problem, {"marginal": 0.6}, bearer(alice["access_token"]))

    def mover() -> None:
        with app.test_client() as own:
            if whose == "set":
                made["move"] = change(own, instructor, created["id"], due_at=PAST)
            else:
                made["move"] = change_student(own, instructor, created["id"], "alice", due_at=PAST)

    first = threading.Thread(target=submitter)
    first.start()
    assert has_read.wait(timeout=10)
    second = threading.Thread(target=mover)
    second.start()
    second.join(timeout=0.5)  # unblocked, the move would be done by now
    go_on.set()
    first.join()
    second.join()
    assert made["response"].status_code == 201 and made["move"].status_code == 200
    view = client.get(f"/api/v1/submissions/{made['response'].json['id']}", headers=instructor).json
    assert view["late"] is True


def _alice_and_bob_submit(client, instructor, created) -> dict[str, str]:
    """Each student sends a full-marks submission: student → submission id."""
    made = {}
    for student in created["students"]:
        problem_id = student["problems"][0]["problem_id"]
        answers = exact_answers(client, instructor, problem_id)
        response = submit(client, {"id": problem_id}, answers, bearer(student["access_token"]))
        made[student["student_id"]] = response.json["id"]
    return made


def test_an_extension_for_one_student_puts_their_late_work_on_time_and_no_one_elses(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], due_at=PAST)
    made = _alice_and_bob_submit(client, instructor, created)
    response = change_student(client, instructor, created["id"], "alice", due_at=FUTURE)
    assert response.status_code == 200, response.get_data(as_text=True)
    roster = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"]
    assert response.json == roster[0]
    assert moment(roster[0]["due_at"]) == moment(FUTURE)
    assert roster[1]["due_at"] is None
    assert late_flags(client, instructor, made.values()) == {made["alice"]: False, made["bob"]: True}
    book = grade_book(client, instructor, created["id"])
    assert (book["alice"]["best_score"], book["bob"]["best_score"]) == (1.0, None)
    rows = client.get(set_path(created["id"], "/grades"), headers=instructor).json["students"]
    assert [moment(row["due_at"]) for row in rows] == [moment(FUTURE), moment(PAST)]
    # Each student's view of the set shows the date that holds for them.
    tokens = {entry["student_id"]: bearer(entry["access_token"]) for entry in created["students"]}
    views = {who: client.get(set_path(created["id"]), headers=token).json for who, token in tokens.items()}
    assert {who: moment(view["due_at"]) for who, view in views.items()} == {
        "alice": moment(FUTURE),
        "bob": moment(PAST),
    }


# The set's date, alice's own date → whether alice's and bob's submissions (made now) are late.
OWN_DATES = [
    pytest.param(PAST, FUTURE, (False, True), id="extension"),
    pytest.param(FUTURE, PAST, (True, False), id="earlier-for-one"),
    pytest.param(None, PAST, (True, False), id="own-date-where-the-set-has-none"),
    pytest.param(PAST, None, (True, True), id="back-on-the-sets-date"),
]


@pytest.mark.parametrize("set_due, own_due, late", OWN_DATES)
def test_submissions_made_after_a_students_own_date_is_given_are_judged_by_it(
    client, instructor, set_due, own_due, late
):
    created = create_set(client, instructor, ["alice", "bob"], due_at=set_due)
    assert change_student(client, instructor, created["id"], "alice", due_at=FUTURE).status_code == 200
    assert change_student(client, instructor, created["id"], "alice", due_at=own_due).status_code == 200
    made = _alice_and_bob_submit(client, instructor, created)
    assert late_flags(client, instructor, made.values()) == dict(zip((made["alice"], made["bob"]), late, strict=True))


def test_moving_the_sets_date_leaves_a_students_own_date_in_place(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], due_at=FUTURE)
    made = _alice_and_bob_submit(client, instructor, created)
    change_student(client, instructor, created["id"], "alice", due_at=LATER_FUTURE)
    change(client, instructor, created["id"], due_at=PAST)
    assert late_flags(client, instructor, made.values()) == {made["alice"]: False, made["bob"]: True}
    change(client, instructor, created["id"], due_at=None)
    assert late_flags(client, instructor, made.values()) == {made["alice"]: False, made["bob"]: False}
    alice = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"][0]
    assert moment(alice["due_at"]) == moment(LATER_FUTURE)
    rows = client.get(set_path(created["id"], "/grades"), headers=instructor).json["students"]
    assert [row["due_at"] is None for row in rows] == [False, True]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "due_at"),
        ({"due_at": "2030-01-01T00:00:00"}, "due_at"),
        ({"due_at": 5}, "due_at"),
        ({"due_at": FUTURE, "title": "x"}, "title"),
    ],
)
def test_invalid_student_changes_are_422_under_their_field(client, instructor, body, field):
    created = create_set(client, instructor, ["alice"])
    refused = assert_problem(change_student(client, instructor, created["id"], "alice", **body), 422)
    assert field in refused["errors"]
    alice = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"][0]
    assert alice["due_at"] is None


@pytest.mark.parametrize("student_id", ["zoe", "%00", "x" * 129])
def test_a_student_not_on_the_roster_or_an_unknown_set_is_404(client, instructor, student_id):
    created = create_set(client, instructor, ["alice"])
    assert_problem(change_student(client, instructor, created["id"], student_id, due_at=FUTURE), 404)
    assert_problem(change_student(client, instructor, MISSING_ID, "alice", due_at=FUTURE), 404)


def test_a_student_id_with_a_slash_gets_its_own_date(client, instructor):
    created = create_set(client, instructor, ["a/b", "a"])
    response = change_student(client, instructor, created["id"], "a/b", due_at=FUTURE)
    assert response.status_code == 200 and response.json["student_id"] == "a/b"
    roster = client.get(set_path(created["id"], "/students"), headers=instructor).json["students"]
    assert [entry["due_at"] is not None for entry in roster] == [True, False]


# Moments whose UTC time falls outside years 1 to 9999: valid ISO 8601, but no database can hold them.
BEYOND_STORABLE = ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"]


@pytest.mark.parametrize("due_at", BEYOND_STORABLE)
def test_a_due_date_beyond_what_can_be_stored_is_422_naming_the_field_everywhere(client, instructor, due_at):
    body = {"title": "t", "items": [{"template": "elbo-gap"}], "students": ["alice"], "due_at": due_at}
    errors = assert_problem(client.post("/api/v1/problem-sets", json=body, headers=instructor), 422)["errors"]
    assert "years 1 to 9999" in errors["due_at"][0]
    created = create_set(client, instructor, ["alice"])
    assert "due_at" in assert_problem(change(client, instructor, created["id"], due_at=due_at), 422)["errors"]
    refused = change_student(client, instructor, created["id"], "alice", due_at=due_at)
    assert "due_at" in assert_problem(refused, 422)["errors"]
    # Nothing changed.
    assert client.get(set_path(created["id"]), headers=instructor).json["due_at"] is None
    roster = client.get(f"{set_path(created['id'])}/students/alice", headers=instructor).json
    assert roster["due_at"] is None


@pytest.mark.parametrize("due_at", ["0001-01-01T00:01:00+00:01", "9999-12-31T23:59:59+00:00"])
def test_the_first_and_last_storable_moments_are_taken(client, instructor, due_at):
    created = create_set(client, instructor, ["alice"], due_at=due_at)
    assert moment(created["due_at"]) == datetime.fromisoformat(due_at)
