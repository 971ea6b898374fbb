"""A set's class analytics (docs/api.md §14) in five queries whatever the
roster's size: the grade book's three, then two that count in the database
over the stored results' parts, so no result is read into Python; and the
submissions behind one of its counts, those that showed a named mistake."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, TableValuedAlias, distinct, func, select, true
from sqlalchemy.orm import Session

from api.errors import not_found
from api.models import ProblemRecord, StudentToken, SubmissionRecord
from api.services.grades import grades
from api.services.paging import Page, Window, page_of
from api.services.problem_sets import find_set
from grader.analytics import ClassAnalytics, class_analytics
from problems.registry import template


def _elements(dialect: str, document: Any, key: str, name: str, text: bool = False) -> TableValuedAlias:
    """The elements of the JSON array at ``document.key`` as rows with a
    column ``value`` (as text with ``text``); a FROM item that may refer to
    earlier ones (SQLite's table-valued functions, PostgreSQL's LATERAL)."""
    if dialect == "postgresql":
        function = func.json_array_elements_text if text else func.json_array_elements
        return function(document.op("->")(key)).table_valued("value", name=name)
    return func.json_each(document, f"$.{key}").table_valued("value", name=name)


def _field(dialect: str, document: Any, key: str) -> ColumnElement[str]:
    """The text of ``document.key``, a JSON string."""
    if dialect == "postgresql":
        return document.op("->>")(key)
    return func.json_extract(document, f"$.{key}")


def _own_submissions(problem_set_id: uuid.UUID, *columns: Any) -> Select:
    """The set's submissions made by the problem's own student, as the grade book counts them."""
    return (
        select(*columns)
        .select_from(SubmissionRecord)
        .join(ProblemRecord, SubmissionRecord.problem_id == ProblemRecord.id)
        .where(
            ProblemRecord.problem_set_id == problem_set_id,
            SubmissionRecord.student_scope == ProblemRecord.student_id,
        )
    )


def analytics(session: Session, problem_set_id: uuid.UUID) -> ClassAnalytics:
    # Best scores and attempts come from the grade book, so both agree on what counts.
    book = grades(session, problem_set_id).book
    record = find_set(session, problem_set_id)  # loaded by grades(): no query
    dialect = session.get_bind().dialect.name

    recency = func.row_number().over(
        partition_by=(SubmissionRecord.problem_id, SubmissionRecord.student_scope),
        order_by=(SubmissionRecord.created_at.desc(), SubmissionRecord.attempt.desc()),
    )
    # Ranked by id alone: sorting whole results would cost more than reading them.
    ranked = _own_submissions(problem_set_id, SubmissionRecord.id, ProblemRecord.item, recency.label("recency"))
    latest = ranked.subquery()
    part = _elements(dialect, SubmissionRecord.result, "parts", "part")
    key, status = _field(dialect, part.c.value, "key"), _field(dialect, part.c.value, "status")
    statuses = session.execute(
        select(latest.c.item, key, status, func.count())
        .select_from(latest)
        .join(SubmissionRecord, SubmissionRecord.id == latest.c.id)
        .join(part, true())
        .where(latest.c.recency == 1)
        .group_by(latest.c.item, key, status)
    )

    part = _elements(dialect, SubmissionRecord.result, "parts", "part")
    code = _elements(dialect, part.c.value, "misconceptions", "code", text=True)
    students = func.count(distinct(ProblemRecord.student_id))
    shown = session.execute(
        _own_submissions(problem_set_id, ProblemRecord.item, code.c.value, students)
        .join(part, true())
        .join(code, true())
        .group_by(ProblemRecord.item, code.c.value)
    )

    items = [(item["template"], template(item["template"]).answer_keys) for item in record.items]
    return class_analytics(
        book,
        items,
        {(item, key, status): n for item, key, status, n in statuses},
        {(item, code): n for item, code, n in shown},
    )


@dataclass(frozen=True)
class ShownPart:
    """A part of a submission as the student answered it, and whether it showed the mistake."""

    key: str
    answer: str | None
    status: str
    marked: bool


@dataclass(frozen=True)
class MistakeShown:
    """A submission to an item in which a part showed a named mistake."""

    student_id: str
    problem_id: uuid.UUID
    attempt: int
    submitted_at: datetime
    score: float
    late: bool
    parts: tuple[ShownPart, ...]  # in the template's order


def mistake_submissions(session: Session, problem_set_id: uuid.UUID, item: int, code: str,
                        window: Window) -> Page[MistakeShown]:
    """The submissions (by the problem's own student) to ``item`` in which a
    part showed the mistake ``code``: in roster order, each student's oldest
    first. One query (and its count) whatever the roster."""
    record = find_set(session, problem_set_id)
    if not 0 <= item < len(record.items):
        raise not_found("item of this problem set")
    if code not in template(record.items[item]["template"]).mistakes:
        raise not_found("named mistake of this item's template")
    dialect = session.get_bind().dialect.name
    part = _elements(dialect, SubmissionRecord.result, "parts", "part")
    shown = _elements(dialect, part.c.value, "misconceptions", "code", text=True)
    showing = (
        _own_submissions(problem_set_id, SubmissionRecord.id)
        .join(part, true())
        .join(shown, true())
        .where(ProblemRecord.item == item, shown.c.value == code)
    )
    query = (
        _own_submissions(
            problem_set_id,
            ProblemRecord.student_id,
            ProblemRecord.id,
            SubmissionRecord.attempt,
            SubmissionRecord.created_at,
            SubmissionRecord.score,
            SubmissionRecord.late,
            SubmissionRecord.result,
        )
        .join(StudentToken, (StudentToken.problem_set_id == problem_set_id)
              & (StudentToken.student_id == ProblemRecord.student_id))
        .where(ProblemRecord.item == item, SubmissionRecord.id.in_(showing))
        .order_by(StudentToken.position, SubmissionRecord.created_at, SubmissionRecord.attempt)
    )

    def shown_of(row: Row) -> MistakeShown:
        student, problem_id, attempt, at, score, late, result = row
        parts = tuple(ShownPart(part["key"], part["answer"], part["status"], code in part["misconceptions"])
                      for part in result["parts"])
        return MistakeShown(student, problem_id, attempt, at, score, late, parts)

    return page_of(session, query, window).map(shown_of)
