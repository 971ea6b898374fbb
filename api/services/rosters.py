"""A set's roster: students with their tokens, problems and own due dates.

Tokens are stored only as hashes; instructors are shown them derived again
(api.tokens) and checked against the stored hashes.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.orm import Session

from api import db
from api.auth import hash_token
from api.errors import ApiError, not_found
from api.models import ProblemSetRecord, StudentToken, utcnow
from api.schemas import valid_student_id
from api.services import making
from api.services.issuing import Issued, IssuedStudent, ProblemRef, insert_issued, issue, problem_refs
from api.services.paging import Window
from api.services.problem_sets import ProblemSet, find_set, lock_set, mark_late
from api.tokens import derive, server_secret

log = logging.getLogger(__name__)


def roster(problem_set_id: uuid.UUID, *columns: Any, student_id: str | None = None,
           window: Window | None = None) -> Select:
    """The set's students (or the one ``student_id``, or those in ``window``)
    in roster order: ``columns`` of theirs, by default their rows."""
    query = select(*(columns or (StudentToken,))).where(StudentToken.problem_set_id == problem_set_id)
    if student_id is not None:
        query = query.where(StudentToken.student_id == student_id)
    query = query.order_by(StudentToken.position)
    if window is not None:
        query = query.offset(window.first).limit(window.size)
    return query


def student_not_found() -> ApiError:
    return not_found("student on this problem set")


def check_student_id(student_id: str) -> None:
    """A student id that no roster can hold is a 404 before any SQL."""
    if not valid_student_id(student_id):  # e.g. a NUL, which PostgreSQL cannot even compare
        raise student_not_found()


@dataclass(frozen=True)
class RosterEntry:
    student_id: str
    access_token: str
    problems: tuple[ProblemRef, ...]
    revoked_at: datetime | None
    due_at: datetime | None  # their own; None: the set's

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


SECRET_KEY_CHANGED = "urn:elbo-grader:problem:secret-key-changed"


def issued_token(secret: bytes, problem_set_id: uuid.UUID, student: StudentToken) -> str:
    """The student's token derived again, checked against the stored hash: a
    server whose secret key did not issue it refuses (503) rather than show a
    token that would be refused everywhere. The tokens themselves keep working."""
    token = derive(secret, problem_set_id, student.student_id, student.generation)
    if not hmac.compare_digest(hash_token(token), student.token_hash):
        log.error("problem set %s: the server secret key is not the one that issued its tokens", problem_set_id)
        raise ApiError(
            503,
            "This server's secret key is not the one that issued this set's access tokens, so it cannot show "
            "them. Every server sharing the database needs the same ELBO_GRADER_SECRET_KEY; the tokens "
            "issued still work, and a reissued token is shown by this server.",
            type=SECRET_KEY_CHANGED,
        )
    return token


def roster_entries(session: Session, problem_set_id: uuid.UUID, student_id: str | None = None,
                   window: Window | None = None) -> list[RosterEntry]:
    """The roster (or the one ``student_id``'s entry, or those in ``window``),
    with each token derived again."""
    secret = server_secret()
    students = session.scalars(roster(problem_set_id, student_id=student_id, window=window)).all()
    # The whole roster's problems in one query; a part of it, only theirs.
    whole = student_id is None and window is None
    refs = problem_refs(session, problem_set_id, None if whole else [student.student_id for student in students])
    entries = []
    for student in students:
        token = issued_token(secret, problem_set_id, student)
        problems = tuple(refs.get(student.student_id, ()))
        entries.append(RosterEntry(student.student_id, token, problems, student.revoked_at, student.due_at))
    return entries


def list_roster(session: Session, problem_set_id: uuid.UUID) -> list[RosterEntry]:
    """The roster; while a big one is being made, its students' problems so far."""
    making.resume_if_stalled(find_set(session, problem_set_id))
    return roster_entries(session, problem_set_id)


def roster_entry(session: Session, problem_set_id: uuid.UUID, student_id: str) -> RosterEntry:
    """One student's entry; 404 for a set or a student not on it."""
    find_set(session, problem_set_id)
    check_student_id(student_id)
    entries = roster_entries(session, problem_set_id, student_id)
    if not entries:
        raise student_not_found()
    return entries[0]


def current_tokens(session: Session, problem_set_id: uuid.UUID) -> dict[str, str]:
    """Each student's token as it now stands (reissues bump its generation), derived again and checked."""
    secret = server_secret()
    return {
        student.student_id: issued_token(secret, problem_set_id, student)
        for student in session.scalars(roster(problem_set_id))
    }


@dataclass(frozen=True)
class Added:
    problem_set: ProblemSet
    students: tuple[IssuedStudent, ...]  # those added, in request order
    ignored: tuple[str, ...]  # already on the roster: left as they were
    making: bool = False  # their problems are made in the background


def _present(session: Session, problem_set_id: uuid.UUID) -> set[str]:
    return set(session.scalars(roster(problem_set_id, StudentToken.student_id)))


def new_students(session: Session, record: ProblemSetRecord, students: list[str]) -> Issued:
    """The students not yet on the roster, issued: the slow part of adding
    them, done before the write transaction."""
    present = _present(session, record.id)
    new = [student for student in students if student not in present]
    # A set still being made takes its new students' problems the same way.
    pending = record.making_until is not None or making.background(len(new), len(record.items))
    return issue(record, new, utcnow(), problems=not pending)


def add_students(session: Session, record: ProblemSetRecord, requested: list[str], issued: Issued) -> Added:
    """Add the issued students to the roster in the caller's write transaction;
    those added meanwhile by another request are left as they are."""
    # Roster changes of one set queue here (the set's row lock on
    # PostgreSQL; every writer queues on SQLite).
    lock_set(session, record.id)
    present = _present(session, record.id)
    if present & {student.student_id for student in issued.students}:  # added meanwhile
        issued = issued.without(present)
    last = session.scalar(select(func.max(StudentToken.position)).where(StudentToken.problem_set_id == record.id))
    insert_issued(session, issued, 0 if last is None else last + 1)
    if issued.pending:
        making.mark_pending(session, record)
    ignored = tuple(student for student in requested if student in present)
    return Added(ProblemSet.of(record), tuple(issued.students), ignored, making=issued.pending)


def set_student_due(problem_set_id: uuid.UUID, student_id: str, due_at: datetime | None) -> RosterEntry:
    """Give a student a due date of their own in place of the set's (None:
    the set's again). Their submissions already made are marked late by it
    at once; a later change of the set's due date leaves it in place."""
    check_student_id(student_id)
    with db.write_transaction() as session:
        lock_set(session, problem_set_id)
        changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(StudentToken)
            .where(StudentToken.problem_set_id == problem_set_id, StudentToken.student_id == student_id)
            .values(due_at=due_at)
        )
        if changed.rowcount == 0:
            raise student_not_found()
        mark_late(session, problem_set_id, student_id)
    (entry,) = roster_entries(session, problem_set_id, student_id)
    return entry


def change_token(problem_set_id: uuid.UUID, student_id: str, reissue: bool) -> RosterEntry:
    """Revoke a student's token (from then on a 401 everywhere; twice changes
    nothing), or give them a new one (which lets a revoked student in again).
    Their problems and submissions stay."""
    find_set(db.session(), problem_set_id)
    check_student_id(student_id)
    with db.write_transaction() as session:
        student = session.scalar(
            select(StudentToken).where(
                StudentToken.problem_set_id == problem_set_id, StudentToken.student_id == student_id
            )
        )
        if student is None:
            raise student_not_found()
        values: dict[str, Any]
        if reissue:
            generation = student.generation + 1
            token = derive(server_secret(), problem_set_id, student_id, generation)
            values = {"generation": generation, "token_hash": hash_token(token), "revoked_at": None}
        else:
            values = {"revoked_at": student.revoked_at or utcnow()}
        session.execute(update(StudentToken).where(StudentToken.id == student.id).values(**values))
    session.expire_all()
    (entry,) = roster_entries(session, problem_set_id, student_id)
    return entry
