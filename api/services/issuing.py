"""Students given to a set: each one's token and variant of each item.

A variant comes from (set seed, student id, item index) alone
(``problems.sets.student_problem``), stored as a problem row of the
student's with the set's policy; the token is derived (api.tokens) and
stored as its hash. Problems are made before the write transaction, and
written with one bulk insert per table.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.auth import hash_token
from api.models import ProblemRecord, ProblemSetRecord, StudentToken
from api.tokens import derive, server_secret
from problems.sets import Item, student_problem


@dataclass(frozen=True)
class ProblemRef:
    """A student's problem for one item of a set."""

    item: int
    problem_id: uuid.UUID


@dataclass(frozen=True)
class IssuedStudent:
    student_id: str
    access_token: str
    problems: tuple[ProblemRef, ...]


@dataclass
class Issued:
    """Students made for a set, ready to insert: rows, and what to answer."""

    tokens: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    students: list[IssuedStudent] = field(default_factory=list)
    # The students' problems are to be made in the background (api.services.making).
    pending: bool = False

    def without(self, present: set[str]) -> Issued:
        """What is left once the students ``present`` are taken out."""
        return Issued(
            [row for row in self.tokens if row["student_id"] not in present],
            [row for row in self.problems if row["student_id"] not in present],
            [student for student in self.students if student.student_id not in present],
            self.pending,
        )


def problem_refs(session: Session, problem_set_id: uuid.UUID,
                 students: Collection[str] | None = None) -> dict[str, list[ProblemRef]]:
    """Student id → their problems in the set (or only those of ``students``), in item order."""
    query = select(ProblemRecord.student_id, ProblemRecord.item, ProblemRecord.id).where(
        ProblemRecord.problem_set_id == problem_set_id
    )
    if students is not None:
        query = query.where(ProblemRecord.student_id.in_(students))
    refs: dict[str, list[ProblemRef]] = defaultdict(list)
    for student, item, problem_id in session.execute(query.order_by(ProblemRecord.item)):
        # A set's problems all have a student and an item.
        refs[cast(str, student)].append(ProblemRef(cast(int, item), problem_id))
    return refs


def issue(record: ProblemSetRecord, students: list[str], now: datetime, *, problems: bool = True) -> Issued:
    """Each student's token and (unless ``problems`` is false: they are made
    later, api.services.making) variant of each item, in roster order
    (positions are given by :func:`insert_issued`)."""
    secret = server_secret()
    issued = Issued(pending=not problems and bool(students) and bool(record.items))
    for student in students:
        token = derive(secret, record.id, student, 0)
        issued.tokens.append(
            {
                "problem_set_id": record.id,
                "student_id": student,
                "token_hash": hash_token(token),
                "created_at": now,
                "revoked_at": None,
                "generation": 0,
            }
        )
        rows = problem_rows(record, student, now) if problems else []
        issued.problems += rows
        refs = tuple(ProblemRef(row["item"], row["id"]) for row in rows)
        issued.students.append(IssuedStudent(student, token, refs))
    return issued


def problem_rows(record: ProblemSetRecord, student: str, now: datetime) -> list[dict[str, Any]]:
    """The student's variant of each item, made and solved, as rows to insert."""
    rows = []
    for index, data in enumerate(record.items):
        problem = student_problem(record.seed, student, index, Item.from_json(data))
        made = problem.to_json()
        rows.append(
            {
                "id": uuid.uuid4(),
                "template": problem.template,
                "seed": problem.seed,
                "difficulty": problem.difficulty,
                "params": made["params"],
                "policy": record.policy,
                "problem": made,
                # An item's undetectable mistakes are its problems' too (docs/api.md §12).
                "undetectable": data.get("undetectable", []),
                "created_at": now,
                "problem_set_id": record.id,
                "student_id": student,
                "item": index,
            }
        )
    return rows


def insert_issued(session: Session, issued: Issued, first_position: int) -> None:
    """Add the students to the roster from ``first_position`` on, in the caller's transaction."""
    for position, row in enumerate(issued.tokens, start=first_position):
        row["position"] = position
    if issued.tokens:
        session.execute(insert(StudentToken), issued.tokens)
    if issued.problems:
        session.execute(insert(ProblemRecord), issued.problems)
