"""Big rosters: a set acknowledged at once, its problems made in the background.

A set (or an addition to its roster) that needs more problems than
``Settings.problems_at_once`` is stored at once with its students' tokens,
and its problems are made afterwards, a batch of students at a time, by a
thread of the server that took it. A student's problems depend only on the
set's seed, their id and the item, so they may be made in any order and by
anyone: a student who reads the set first has theirs made there and then.

``problem_sets.making_until`` is the maker's lease: null once every problem
is made. A maker that dies (a worker recycled or killed) leaves a lease that
lapses, and the next request that reads the set starts another; of two
makers racing for a lapsed lease, one gets it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, Select, Update, func, select, update
from sqlalchemy.orm import Session

from api import db
from api.errors import ApiError
from api.models import ProblemRecord, ProblemSetRecord, StudentToken, utcnow
from api.services.issuing import problem_rows

log = logging.getLogger(__name__)

SET_BEING_MADE = "urn:elbo-grader:problem:set-being-made"
RETRY_AFTER = 5  # seconds: a batch of students takes about this long

# Students per write transaction: at 20 items about 1,000 problems, seconds of work.
BATCH = 50


def background(student_count: int, item_count: int) -> bool:
    """Whether this many students' problems are made in the background."""
    return student_count * item_count > current_app.config["SETTINGS"].problems_at_once


def mark_pending(session: Session, record: ProblemSetRecord) -> None:
    """Note, in the caller's write transaction, that the set has students
    whose problems are to be made; a maker's lease, if any, stands."""
    session.execute(
        update(ProblemSetRecord)
        .where(ProblemSetRecord.id == record.id)
        .values(making_until=func.coalesce(ProblemSetRecord.making_until, utcnow()))
    )


def require_made(session: Session, record: ProblemSetRecord, what: str) -> None:
    """Refuse (409, with Retry-After) what needs every student's problems
    while some are still to be made; a stalled maker is started again."""
    if record.making_until is None:
        return
    resume_if_stalled(record)
    ready = students_ready(session, record.id)
    total = session.scalar(select(func.count(StudentToken.id)).where(StudentToken.problem_set_id == record.id))
    raise ApiError(
        409,
        f"The problems of {ready:,} of {total or 0:,} students are made so far; the {what} is ready once "
        "every student's are. Retry in a few seconds.",
        type=SET_BEING_MADE,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


def insert_problems(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store problem rows; a student's problem made meanwhile by someone else is kept, not doubled."""
    db.insert_new(session, ProblemRecord, [ProblemRecord.problem_set_id, ProblemRecord.student_id,
                                           ProblemRecord.item], rows)


def _lacking(problem_set_id: uuid.UUID) -> Select[str]:
    """The set's students whose problems are still to be made."""
    made = (
        select(ProblemRecord.id)
        .where(ProblemRecord.problem_set_id == problem_set_id, ProblemRecord.student_id == StudentToken.student_id)
        .exists()
    )
    return select(StudentToken.student_id).where(StudentToken.problem_set_id == problem_set_id, ~made)


def lacking(session: Session, problem_set_id: uuid.UUID, limit: int | None = None,
            student_id: str | None = None) -> list[str]:
    """The set's students (or only ``student_id``) whose problems are still to be made, in roster order."""
    query = _lacking(problem_set_id)
    if student_id is not None:
        query = query.where(StudentToken.student_id == student_id)
    return list(session.scalars(query.order_by(StudentToken.position).limit(limit)))


def students_ready(session: Session, problem_set_id: uuid.UUID) -> int:
    """How many of the set's students have their problems."""
    return session.scalar(
        select(func.count(func.distinct(ProblemRecord.student_id))).where(
            ProblemRecord.problem_set_id == problem_set_id
        )
    ) or 0


def _rows(record: ProblemSetRecord, students: list[str]) -> list[dict[str, Any]]:
    now = utcnow()
    return [row for student in students for row in problem_rows(record, student, now)]


def make_for(record: ProblemSetRecord, students: list[str]) -> None:
    """Make and store these students' problems now, in a write transaction of their own."""
    rows = _rows(record, students)
    with db.write_transaction() as session:
        insert_problems(session, rows)


def make_pending(problem_set_id: uuid.UUID, lease: timedelta, batch: int = BATCH) -> bool:
    """Claim the set's lapsed lease and make every problem still to be made,
    renewing the lease with each batch. False if the lease was not to be had
    (another maker holds it, or nothing is left to make) or was lost."""
    until = _claim(problem_set_id, lease)
    if until is None:
        return False
    session = db.session()
    record = session.get_one(ProblemSetRecord, problem_set_id)  # claimed, so it exists
    session.expunge(record)  # its seed, items and policy, kept through the rollbacks below
    while until is not None:
        students = lacking(session, problem_set_id, batch)
        session.rollback()  # no read transaction held while the batch is made
        if not students and _finish(problem_set_id, until):
            return True
        # Students added since the read are made by the next batch; a lost lease ends the loop.
        until = _store(problem_set_id, until, lease, _rows(record, students))
    return False


def resume_if_stalled(record: ProblemSetRecord) -> None:
    """Start a maker for a set whose problems are not all made and whose
    lease has lapsed (its maker died); reading the set is what revives it."""
    if record.making_until is not None and record.making_until <= utcnow():
        start(record.id)


def start(problem_set_id: uuid.UUID) -> None:
    """Make the set's pending problems in a thread of this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    lease = timedelta(seconds=app.config["SETTINGS"].making_lease)
    threading.Thread(
        target=_run, args=(app, problem_set_id, lease), name=f"making-{problem_set_id}", daemon=True
    ).start()


def _run(app: Flask, problem_set_id: uuid.UUID, lease: timedelta) -> None:
    with app.app_context():
        try:
            make_pending(problem_set_id, lease)
        except Exception:
            # The lease lapses; the next read of the set starts another maker.
            log.exception("making the problems of set %s stopped", problem_set_id)


def _updated(session: Session, statement: Update) -> int:
    """How many rows an UPDATE changed."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def _claim(problem_set_id: uuid.UUID, lease: timedelta) -> datetime | None:
    now = utcnow()
    until = now + lease
    with db.write_transaction() as session:
        claimed = _updated(
            session,
            update(ProblemSetRecord)
            .where(ProblemSetRecord.id == problem_set_id, ProblemSetRecord.making_until <= now)
            .values(making_until=until),
        )
    return until if claimed else None


def _store(problem_set_id: uuid.UUID, until: datetime, lease: timedelta,
           rows: list[dict[str, Any]]) -> datetime | None:
    """Insert a batch while the lease is still ours, renewing it; None if it was lost."""
    renewed = utcnow() + lease
    with db.write_transaction() as session:
        held = _updated(
            session,
            update(ProblemSetRecord)
            .where(ProblemSetRecord.id == problem_set_id, ProblemSetRecord.making_until == until)
            .values(making_until=renewed),
        )
        if held:
            insert_problems(session, rows)
    return renewed if held else None


def _finish(problem_set_id: uuid.UUID, until: datetime) -> bool:
    """Mark the set made, unless a student was added meanwhile or the lease was lost."""
    with db.write_transaction() as session:
        finished = _updated(
            session,
            update(ProblemSetRecord)
            .where(ProblemSetRecord.id == problem_set_id, ProblemSetRecord.making_until == until)
            .where(~_lacking(problem_set_id).exists())
            .values(making_until=None),
        )
    return bool(finished)
