"""A set's answer key and grade book (docs/api.md §8), per student in roster order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import ProblemRecord, ProblemSetRecord, StudentToken, SubmissionRecord, due_at
from api.services import making
from api.services.paging import Window
from api.services.problem_sets import find_set
from api.services.rosters import roster
from grader import Policy
from grader.gradebook import Attempt, GradeBook, book_of


@dataclass(frozen=True)
class KeyedProblem:
    """A student's problem with its exact answers, as stored when it was made."""

    item: int
    problem_id: uuid.UUID
    template: str
    params: dict[str, Any]
    answers: dict[str, Any]  # answer key → exact, latex, value


@dataclass(frozen=True)
class AnswerKeyEntry:
    student_id: str
    problems: tuple[KeyedProblem, ...]  # in item order


def answer_key(session: Session, problem_set_id: uuid.UUID, window: Window | None = None) -> list[AnswerKeyEntry]:
    """Each student's exact answers, in roster order (only those in ``window``, if given)."""
    making.require_made(session, find_set(session, problem_set_id), "answer key")
    students = roster(problem_set_id, StudentToken.student_id, window=window)
    query = (
        select(
            ProblemRecord.student_id,
            ProblemRecord.item,
            ProblemRecord.id,
            ProblemRecord.template,
            ProblemRecord.params,
            ProblemRecord.problem["answers"],
        )
        .where(ProblemRecord.problem_set_id == problem_set_id)
        .order_by(ProblemRecord.item)
    )
    if window is not None:
        query = query.where(ProblemRecord.student_id.in_(students))
    problems: dict[str, list[KeyedProblem]] = defaultdict(list)
    for student, *problem in session.execute(query):
        problems[student].append(KeyedProblem(*problem))
    return [AnswerKeyEntry(student, tuple(problems.get(student, ()))) for student in session.scalars(students)]


@dataclass(frozen=True)
class SetGrades:
    problem_set_id: uuid.UUID
    book: GradeBook
    due_at: Mapping[str, datetime | None]  # student id → the due date that holds for them


def grades(session: Session, problem_set_id: uuid.UUID, *, student_id: str | None = None,
           window: Window | None = None) -> SetGrades:
    """Per student (of the roster, or the one ``student_id``, or those in its
    ``window``), per item: the best score that counts (late submissions only
    with the set's ``count_late``), the attempts used and the last
    submission's time; and each student's due date."""
    record = find_set(session, problem_set_id)
    students = session.execute(
        roster(problem_set_id, StudentToken.student_id, due_at(StudentToken.due_at, ProblemSetRecord.due_at),
               student_id=student_id, window=window)
        .join(ProblemSetRecord, ProblemSetRecord.id == StudentToken.problem_set_id)
    ).all()
    query = (
        select(
            ProblemRecord.student_id,
            ProblemRecord.item,
            SubmissionRecord.score,
            SubmissionRecord.created_at,
            SubmissionRecord.late,
        )
        .join(ProblemRecord, SubmissionRecord.problem_id == ProblemRecord.id)
        .where(
            ProblemRecord.problem_set_id == problem_set_id,
            SubmissionRecord.student_scope == ProblemRecord.student_id,
        )
    )
    if student_id is not None or window is not None:
        query = query.where(ProblemRecord.student_id.in_([student for student, _ in students]))
    submissions = session.execute(query)
    attempts = (
        (cast(str, student), cast(int, item), Attempt(score, at, late))  # a set's problems have both
        for student, item, score, at, late in submissions
    )
    count_late = Policy.from_json(record.policy).count_late
    book = book_of([student for student, _ in students], len(record.items), attempts, count_late)
    return SetGrades(problem_set_id, book, {student: due for student, due in students})
