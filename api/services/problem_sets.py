"""Problem sets: a roster turned into an assignment (docs/api.md §8, §9; issue 5).

Each student gets their own variant of each item and an access token to
reach it (api.services.issuing). Instructors see a set with its seed, the
roster's size and each authored item's undetectable mistakes; a student sees
it without those, with their own problems, their progress on each, and
their due date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api import db
from api.auth import Caller
from api.errors import not_found
from api.models import ProblemRecord, ProblemSetRecord, StudentToken, SubmissionRecord, due_at_of, late, utcnow
from api.services import making
from api.services.issuing import Issued, IssuedStudent, insert_issued, issue
from api.services.paging import Page, Window, page_of
from api.services.problems import pick_seed, undetectable_of
from api.services.progress import ItemProgress, set_progress
from grader import Policy
from grader.undetectable import Undetectable
from problems.sets import Item, item_problem


@dataclass(frozen=True)
class SetItem:
    """An item of a set, with the named mistakes its policy cannot detect
    (docs/api.md §12: an authored item's, computed when the set is made)."""

    item: Item
    undetectable: tuple[Undetectable, ...]

    @classmethod
    def made(cls, item: Item, policy: Policy) -> SetItem:
        authored = item_problem(item)
        return cls(item, () if authored is None else undetectable_of(authored, policy))

    def to_json(self) -> dict[str, Any]:
        return {**self.item.to_json(), "undetectable": [mistake.to_json() for mistake in self.undetectable]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SetItem:
        # Sets made before authored items store neither params nor this list.
        return cls(Item.from_json(data), tuple(Undetectable.from_json(m) for m in data.get("undetectable", ())))


@dataclass(frozen=True)
class ProblemSet:
    """A set as made; ``due_at`` is the set's, or in a student's view theirs."""

    id: uuid.UUID
    title: str
    seed: int
    items: tuple[SetItem, ...]
    policy: Policy
    due_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record: ProblemSetRecord) -> ProblemSet:
        return cls(
            record.id,
            record.title,
            record.seed,
            tuple(SetItem.from_json(item) for item in record.items),
            Policy.from_json(record.policy),
            record.due_at,
            record.created_at,
        )


@dataclass(frozen=True)
class InstructorView:
    problem_set: ProblemSet
    student_count: int
    # Students whose problems are made: all of them, unless a big roster is being made.
    students_ready: int

    @property
    def making(self) -> bool:
        return self.students_ready < self.student_count


@dataclass(frozen=True)
class StudentView:
    """A student's view: never the seed (with it, anyone could work out
    everyone's variants), their own due date, problems and progress."""

    problem_set: ProblemSet
    student_id: str
    problems: tuple[ItemProgress, ...]


@dataclass(frozen=True)
class Created:
    problem_set: ProblemSet
    students: tuple[IssuedStudent, ...]  # in roster order
    making: bool  # their problems are made in the background (api.services.making)


def find_set(session: Session, problem_set_id: uuid.UUID) -> ProblemSetRecord:
    record = session.get(ProblemSetRecord, problem_set_id)
    if record is None:
        raise not_found("problem set")
    return record


def lock_set(session: Session, problem_set_id: uuid.UUID) -> ProblemSetRecord:
    """The set, locked for a change of due dates or of the roster.
    Submissions to it read their due date under a share lock (PostgreSQL; on
    SQLite writers queue anyway), so none is marked late or on time by a
    date being replaced."""
    record = session.scalar(
        select(ProblemSetRecord).where(ProblemSetRecord.id == problem_set_id).with_for_update()
    )
    if record is None:
        raise not_found("problem set")
    return record


def mark_late(session: Session, problem_set_id: uuid.UUID, student_id: str | None = None) -> None:
    """Mark each submission to the set (or to one student's problems in it)
    late exactly when it was made after its student's due date as it now stands."""
    due_at = (
        select(due_at_of(ProblemRecord.student_id))
        .select_from(ProblemRecord)
        .join(ProblemSetRecord, ProblemSetRecord.id == ProblemRecord.problem_set_id)
        .where(ProblemRecord.id == SubmissionRecord.problem_id)
        .scalar_subquery()
    )
    problems = select(ProblemRecord.id).where(ProblemRecord.problem_set_id == problem_set_id)
    if student_id is not None:
        problems = problems.where(ProblemRecord.student_id == student_id)
    session.execute(
        update(SubmissionRecord)
        .where(SubmissionRecord.problem_id.in_(problems))
        .values(late=late(SubmissionRecord.created_at, due_at)),
        execution_options={"synchronize_session": False},
    )


def _roster_size():
    """The roster's size of the set in the enclosing query's FROM."""
    return (
        select(func.count(StudentToken.id))
        .where(StudentToken.problem_set_id == ProblemSetRecord.id)
        .scalar_subquery()
    )


def list_sets(session: Session, window: Window) -> Page[InstructorView]:
    """Every set, newest first."""
    query = select(ProblemSetRecord, _roster_size()).order_by(
        ProblemSetRecord.created_at.desc(), ProblemSetRecord.id.desc()
    )
    return page_of(session, query, window).map(lambda row: _instructor_view(session, row[0], row[1]))


def instructor_view(session: Session, record: ProblemSetRecord) -> InstructorView:
    making.resume_if_stalled(record)
    count = session.scalar(select(_roster_size()).where(ProblemSetRecord.id == record.id)) or 0
    return _instructor_view(session, record, count)


def _instructor_view(session: Session, record: ProblemSetRecord, count: int) -> InstructorView:
    ready = count if record.making_until is None else making.students_ready(session, record.id)
    return InstructorView(ProblemSet.of(record), count, ready)


def read_set(session: Session, problem_set_id: uuid.UUID, who: Caller) -> InstructorView | StudentView:
    """The set as ``who`` may see it: an instructor's view, or a student's of
    their own (``who`` may read the set: see api.auth.authorize_problem_set)."""
    record = find_set(session, problem_set_id)
    if who.kind == "instructor" or who.student_id is None:
        return instructor_view(session, record)
    if record.making_until is not None:
        # A big roster is being made: this student's problems are made now if they are not yet.
        making.resume_if_stalled(record)
        if who.student_id in making.lacking(session, record.id, student_id=who.student_id):
            making.make_for(record, [who.student_id])
    due_at = session.scalar(select(due_at_of(who.student_id)).where(ProblemSetRecord.id == record.id))
    problem_set = replace(ProblemSet.of(record), due_at=due_at)
    progress = set_progress(session, record.id, who.student_id, problem_set.policy, due_at)
    return StudentView(problem_set, who.student_id, progress)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


@dataclass(frozen=True)
class NewSet:
    """A set made and its students issued, not yet stored: the slow part of
    a creation, done before its write transaction."""

    record: ProblemSetRecord
    issued: Issued


def prepare_set(title: str, items: Sequence[Item], students: list[str], *, seed: int | None = None,
                policy: Policy | None = None, due_at: datetime | None = None) -> NewSet:
    """A set for a roster (a seed is picked when none is given)."""
    now = utcnow()
    policy = policy or Policy()
    # A big roster is acknowledged now and its problems made in the background.
    pending = making.background(len(students), len(items))
    record = ProblemSetRecord(
        id=uuid.uuid4(),
        title=title,
        seed=pick_seed(seed),
        items=[SetItem.made(item, policy).to_json() for item in items],
        policy=policy.to_json(),
        due_at=_utc(due_at),
        created_at=now,
        making_until=now if pending else None,
    )
    return NewSet(record, issue(record, students, now, problems=not pending))


def create_set(session: Session, new: NewSet) -> Created:
    """Store a prepared set in the caller's write transaction."""
    session.add(new.record)
    session.flush()
    insert_issued(session, new.issued, 0)
    return Created(ProblemSet.of(new.record), tuple(new.issued.students), new.issued.pending)


class Keep(Enum):
    """A field a change leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


def change_set(problem_set_id: uuid.UUID, *, title: str | Keep = KEEP,
               due_at: datetime | None | Keep = KEEP) -> InstructorView:
    """Change a set's title or due date (None: no due date). A new due date
    applies to the submissions already made too: each is late exactly when
    made after its student's due date (their own, else the new one)."""
    with db.write_transaction() as session:
        record = lock_set(session, problem_set_id)
        if title is not KEEP:
            record.title = title
        if due_at is not KEEP:
            record.due_at = _utc(due_at)
            session.flush()  # the new date, for mark_late to read
            mark_late(session, problem_set_id)
    return instructor_view(session, record)
