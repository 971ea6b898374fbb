"""Class analytics of a set (docs/api.md §14): submissions are stored
directly, with results made up here, and the figures computed again here."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from api_helpers import MISSING_ID, assert_problem, bearer, set_path
from conftest import create_set
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.db import database
from api.models import SubmissionRecord
from problems import TEMPLATES as TEMPLATES_BY_ID

STATUSES = ["correct", "follow_through", "incorrect", "unanswered"]
CODES = ["kl_reversed", "log_base", "gap_sign", "percent"]
TEMPLATES = ["elbo-gap", "tight-bound"]
START = datetime(2026, 3, 1, tzinfo=UTC)
SCORES = st.one_of(st.sampled_from([0.0, 0.1, 0.3, 0.7, 0.875, 0.9, 1.0]), st.floats(0, 1))


@dataclass(frozen=True)
class Sub:
    """A submission to store: its score and lateness, and per key (status, mistakes)."""

    score: float
    late: bool
    parts: tuple[tuple[str, tuple[str, ...]], ...]  # one per key asked, in order


def submissions(keys: int):
    part = st.tuples(st.sampled_from(STATUSES), st.lists(st.sampled_from(CODES), unique=True).map(tuple))
    return st.builds(Sub, SCORES, st.booleans(), st.tuples(*[part] * keys))


def answer_keys(client, template: str) -> list[str]:
    found = {entry["id"]: entry for entry in client.get("/api/v1/templates").json}
    return found[template]["answer_keys"]


def store(app, problem_id: str, student: str, subs: list[Sub], keys: list[str], scope: str | None = None,
          order: random.Random | None = None) -> None:
    """Attempt n is made at START + n minutes; rows go in shuffled, so the latest is found by time."""
    records = [
        SubmissionRecord(
            problem_id=uuid.UUID(problem_id),
            student_id=student,
            student_scope=student if scope is None else scope,
            attempt=attempt,
            answers={},
            result={"score": sub.score, "parts": [
                {"key": key, "status": status, "misconceptions": list(codes)}
                for key, (status, codes) in zip(keys, sub.parts, strict=True)
            ]},
            score=sub.score,
            late=sub.late,
            created_at=START + timedelta(minutes=attempt),
        )
        for attempt, sub in enumerate(subs, start=1)
    ]
    (order or random.Random(0)).shuffle(records)
    with database(app).sessions() as session, session.begin():
        session.add_all(records)


def expected_bin(score: float) -> int:
    return 9 if score == 1.0 else next(i for i in range(10) if i / 10 <= score < (i + 1) / 10)


def expected_item(item: int, template: str, keys: list[str], work: dict[str, list[Sub]], count_late: bool) -> dict:
    attempted = {student: subs for student, subs in work.items() if subs}
    best = [max(counted) for subs in attempted.values()
            if (counted := [sub.score for sub in subs if count_late or not sub.late])]
    histogram = [0] * 10
    for score in best:
        histogram[expected_bin(score)] += 1
    parts = {key: dict.fromkeys(STATUSES, 0) for key in keys}
    shown: dict[str, int] = {}
    for subs in attempted.values():
        for key, (status, _) in zip(keys, subs[-1].parts, strict=True):  # the last attempt is the latest
            parts[key][status] += 1
        for code in {code for sub in subs for _, codes in sub.parts for code in codes}:
            shown[code] = shown.get(code, 0) + 1
    return {
        "item": item,
        "template": template,
        "attempted": len(attempted),
        "mean_best_score": pytest.approx(sum(best) / len(best)) if best else None,
        "score_histogram": histogram,
        "parts": parts,
        "misconceptions": shown,
    }


@st.composite
def classes(draw):
    """Items, a roster, a count_late, and each student's submissions to each item."""
    templates = draw(st.lists(st.sampled_from(TEMPLATES), min_size=1, max_size=2))
    students = [f"s{n}" for n in range(draw(st.integers(1, 6)))]
    work = [
        {student: draw(st.lists(submissions(len(TEMPLATES_BY_ID[template].answer_keys)), max_size=3))
         for student in students}
        for template in templates
    ]
    return templates, students, draw(st.booleans()), work


@given(drawn=classes(), seed=st.integers(0, 2**32))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_analytics_count_the_class_as_stored(app, client, instructor, drawn, seed):
    templates, students, count_late, work = drawn
    created = create_set(client, instructor, students, items=[{"template": t} for t in templates],
                         policy={"count_late": count_late})
    keys = [answer_keys(client, template) for template in templates]
    order = random.Random(seed)
    for entry in created["students"]:
        for item, problem in enumerate(entry["problems"]):
            student = entry["student_id"]
            store(app, problem["problem_id"], student, work[item][student], keys[item], order=order)
    # Another scope's work on a student's problem (e.g. practice by someone else) is not theirs.
    other = created["students"][0]["problems"][0]["problem_id"]
    store(app, other, "intruder", [Sub(1.0, False, (("correct", ("log_base",)),) * len(keys[0]))], keys[0], scope="")

    response = client.get(set_path(created["id"], "/analytics"), headers=instructor)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {
        "problem_set_id": created["id"],
        "students": len(students),
        "items": [expected_item(item, template, keys[item], work[item], count_late)
                  for item, template in enumerate(templates)],
    }
    assert list(response.json["items"][0]["parts"]) == keys[0]  # the template's order


@pytest.mark.parametrize("count_late, mean, histogram", [
    (False, 0.5, [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
    (True, 1.0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
])
def test_late_work_counts_as_in_the_grade_book(app, client, instructor, count_late, mean, histogram):
    """bob's only submission is late: attempted, with a best score only under count_late."""
    created = create_set(client, instructor, ["alice", "bob", "carol"], policy={"count_late": count_late})
    keys = answer_keys(client, "elbo-gap")
    correct = (("correct", ()),) * len(keys)
    problems = {entry["student_id"]: entry["problems"][0]["problem_id"] for entry in created["students"]}
    store(app, problems["alice"], "alice", [Sub(0.5, False, correct), Sub(1.0, True, correct)], keys)
    store(app, problems["bob"], "bob", [Sub(1.0, True, correct)], keys)

    body = client.get(set_path(created["id"], "/analytics"), headers=instructor).json
    grades = client.get(set_path(created["id"], "/grades"), headers=instructor).json

    item = body["items"][0]
    assert body["students"] == 3
    assert item["attempted"] == 2  # carol never submitted
    assert item["mean_best_score"] == pytest.approx(mean)
    assert item["score_histogram"] == histogram
    assert item["parts"][keys[0]] == {"correct": 2, "follow_through": 0, "incorrect": 0, "unanswered": 0}
    scored = [row["items"][0]["best_score"] for row in grades["students"]]
    assert sum(score is not None for score in scored) == sum(histogram)


def test_a_set_without_submissions_has_empty_figures(client, instructor):
    created = create_set(client, instructor, ["alice"])
    item = client.get(set_path(created["id"], "/analytics"), headers=instructor).json["items"][0]
    assert (item["attempted"], item["mean_best_score"], item["score_histogram"]) == (0, None, [0] * 10)
    assert set(item["parts"]) == set(answer_keys(client, "elbo-gap"))
    assert item["misconceptions"] == {}


def test_only_instructors_read_analytics(client, instructor):
    created = create_set(client, instructor, ["alice"])
    path = set_path(created["id"], "/analytics")
    assert_problem(client.get(path, headers=bearer(created["students"][0]["access_token"])), 403)
    assert_problem(client.get(path), 401)
    assert_problem(client.get(set_path(MISSING_ID, "/analytics"), headers=instructor), 404)
