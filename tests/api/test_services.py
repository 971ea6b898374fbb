"""The service layer called directly, as pages and LTI launches will call
it: plain arguments and a session in, domain values out, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import assert_problem
from conftest import create_set
from marshmallow import ValidationError

from api import db
from api.auth import Caller
from api.schemas import ProblemCreateSchema, SetPolicySchema
from api.services import grades, problem_sets, problems, rosters, submissions
from api.services.paging import Window
from api.services.problem_sets import InstructorView, StudentView
from grader import Policy
from grader.gradebook import csv_text
from problems.sets import Item

ITEMS = [Item("elbo-gap"), Item("tight-bound")]
PAST = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def context(app):
    with app.app_context():
        yield


def _make_set(students, **fields):
    new = problem_sets.prepare_set("Week 6", ITEMS, students, **fields)
    with db.write_transaction() as session:
        return problem_sets.create_set(session, new)


def _submit(problem_id, answers, student_id):
    problem = problems.find_problem(problem_id)
    graded = submissions.grade_answers(problem, answers)
    with db.write_transaction() as session:
        return submissions.store_submission(session, problem, student_id, answers, graded)


def _full_marks(problem_id):
    solution = problems.solution(db.session(), problems.find_problem(problem_id), Caller("instructor"))
    return {key: answer.value for key, answer in solution.answers.items()}


def test_a_set_is_made_and_read_without_http(context):
    created = _make_set(["bob", "alice"], seed=7, policy=Policy(max_attempts=2))
    assert [student.student_id for student in created.students] == ["bob", "alice"]
    assert created.problem_set.seed == 7 and created.problem_set.policy.max_attempts == 2
    session = db.session()
    mine = problem_sets.read_set(session, created.problem_set.id, Caller("instructor"))
    assert isinstance(mine, InstructorView) and mine.student_count == 2
    alice = created.students[1]
    theirs = problem_sets.read_set(
        session, created.problem_set.id, Caller("student", created.problem_set.id, "alice")
    )
    assert isinstance(theirs, StudentView)
    assert [(p.item, p.problem_id) for p in theirs.problems] == [(r.item, r.problem_id) for r in alice.problems]
    assert {(p.attempts, p.attempts_left, p.solution_open) for p in theirs.problems} == {(0, 2, False)}
    entries = rosters.list_roster(session, created.problem_set.id)
    issued = [(student.student_id, student.access_token) for student in created.students]
    assert [(entry.student_id, entry.access_token) for entry in entries] == issued


def test_a_seed_is_picked_only_when_none_is_given():
    assert problems.pick_seed(3) == 3
    assert 0 <= problems.pick_seed(None) < problems.PICKED_SEEDS


def test_students_are_added_once_and_tokens_reissued(context):
    created = _make_set(["alice"])
    set_id = created.problem_set.id
    session = db.session()
    record = problem_sets.find_set(session, set_id)
    issued = rosters.new_students(session, record, ["alice", "bob"])
    with db.write_transaction() as session:
        added = rosters.add_students(session, record, ["alice", "bob"], issued)
    assert [s.student_id for s in added.students] == ["bob"] and added.ignored == ("alice",)
    revoked = rosters.change_token(set_id, "bob", reissue=False)
    assert revoked.revoked
    reissued = rosters.change_token(set_id, "bob", reissue=True)
    assert not reissued.revoked and reissued.access_token != added.students[0].access_token
    assert rosters.current_tokens(db.session(), set_id)["bob"] == reissued.access_token


def test_due_dates_mark_late_work_and_the_grade_book_reads_them(context):
    created = _make_set(["alice", "=bob"])
    set_id = created.problem_set.id
    alice, bob = (student.problems[0].problem_id for student in created.students)
    _submit(alice, _full_marks(alice), "alice")
    _submit(bob, _full_marks(bob), "=bob")
    problem_sets.change_set(set_id, due_at=PAST)
    extended = rosters.set_student_due(set_id, "alice", PAST + timedelta(days=36500))
    assert extended.due_at == PAST + timedelta(days=36500)
    graded = grades.grades(db.session(), set_id)
    assert [row.student_id for row in graded.book.rows] == ["alice", "=bob"]
    assert [row.items[0].best_score for row in graded.book.rows] == [1.0, None]  # bob's is late
    assert graded.due_at == {"alice": extended.due_at, "=bob": PAST}
    assert csv_text(graded.book).splitlines()[2].startswith("'=bob,,1,")
    key = grades.answer_key(db.session(), set_id)
    assert [entry.student_id for entry in key] == ["alice", "=bob"] and len(key[0].problems) == 2


def test_listings_are_paged_by_window(context):
    for title in ("a", "b", "c"):
        problem_sets.change_set(_make_set([]).problem_set.id, title=title)
    page = problem_sets.list_sets(db.session(), Window(first=1, size=1))
    assert page.total == 3 and [view.problem_set.title for view in page.items] == ["b"]
    assert not problem_sets.list_sets(db.session(), Window(first=10**9, size=1)).items
    problem = problems.create_problem("elbo-gap", seed=1)
    for _ in range(3):
        _submit(problem.id, {}, None)
    listed = submissions.list_submissions(db.session(), problem.id, None, Window(first=2, size=5))
    assert listed.total == 3 and [s.attempt for s in listed.items] == [3]


def test_policy_rules_are_the_domains_and_read_as_a_policy():
    assert SetPolicySchema().load({"count_late": True}) == Policy(count_late=True)
    with pytest.raises(ValidationError) as refused:
        ProblemCreateSchema().load({"template": "elbo-gap", "policy": {"abs_tol": 2, "max_attempts": 0}})
    assert set(refused.value.messages["policy"]) == {"abs_tol", "max_attempts"}


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/problem-sets"),
        ("patch", "/api/v1/problem-sets/{set}"),
        ("post", "/api/v1/problem-sets/{set}/students"),
        ("patch", "/api/v1/problem-sets/{set}/students/alice"),
    ],
)
def test_a_student_writing_an_invalid_body_is_refused_before_it_is_read(client, instructor, method, path):
    created = create_set(client, instructor, ["alice"])
    student = {"Authorization": f"Bearer {created['students'][0]['access_token']}"}
    url = path.format(set=created["id"])
    assert_problem(getattr(client, method)(url, json={"title": ""}, headers=student), 403)
    assert_problem(getattr(client, method)(url, json={"title": ""}), 401)
