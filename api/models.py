"""Tables, as SQLAlchemy 2 typed ORM models.

Migrations under api/migrations/ create exactly these (a test compares them):
a new column or table needs a new migration file.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    ColumnExpressionArgument,
    DateTime,
    ForeignKey,
    Index,
    SQLColumnExpression,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class ApiKey(Base):
    """An instructor key; only the SHA-256 of the token is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by `elbo-grader revoke-key`: from then on the key is a 401.
    revoked_at: Mapped[datetime | None]


class ProblemSetRecord(Base):
    """A class assignment (docs/api.md §8, issue 5)."""

    __tablename__ = "problem_sets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(BigInteger)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]]
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while some students' problems are still to be made (a big roster is
    # made in the background, api.making): the moment the maker's lease ends;
    # a moment past is free to claim. Null once every problem is made.
    making_until: Mapped[datetime | None]


class StudentToken(Base):
    """A student on a problem set's roster, with their access token, of which
    only the SHA-256 is kept (the token itself is derived, see api.tokens)."""

    __tablename__ = "student_tokens"
    __table_args__ = (Index("uq_student_tokens_set_student", "problem_set_id", "student_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_set_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problem_sets.id"))
    student_id: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # The roster order: 0, 1, 2, ... in the order students were given.
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    # Bumped when a token is reissued; part of what the token is derived from.
    generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The student's own due date (an extension), in place of the set's; null: the set's.
    due_at: Mapped[datetime | None]


class ProblemRecord(Base):
    """A problem as made once: ``problem`` is ``Problem.to_json()``, so grading
    reads the exact solution back instead of recomputing it."""

    __tablename__ = "problems"
    # A student has one variant per item of a set (practice rows: all null, distinct).
    __table_args__ = (
        Index("uq_problems_set_student_item", "problem_set_id", "student_id", "item", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    template: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    difficulty: Mapped[str | None] = mapped_column(String(32))
    params: Mapped[dict[str, Any]]
    policy: Mapped[dict[str, Any]]
    problem: Mapped[dict[str, Any]]
    # The named mistakes the policy cannot tell from the right answer, as
    # made (docs/api.md §12): [{"mistake", "key"}]; always empty for seeded variants.
    undetectable: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set for a student's variant of a problem-set item; all null for practice.
    problem_set_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("problem_sets.id"), index=True)
    student_id: Mapped[str | None] = mapped_column(String(128))
    item: Mapped[int | None]


def student_scope(student_id: str | None) -> str:
    """Attempts are counted per student; every anonymous submission shares ''.

    A column of its own because unique constraints treat NULLs as distinct.
    """
    return student_id or ""


class AttemptCounter(Base):
    """Attempts used per problem and student scope; its row is the lock that
    numbers concurrent submissions (see :func:`claim_attempt`)."""

    __tablename__ = "attempt_counters"

    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id"), primary_key=True)
    student_scope: Mapped[str] = mapped_column(String(128), primary_key=True)
    used: Mapped[int]


class SubmissionRecord(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("problem_id", "student_scope", "attempt"),
        Index("ix_submissions_problem_created", "problem_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    problem_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problems.id"))
    student_id: Mapped[str | None] = mapped_column(String(128))
    student_scope: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int]
    answers: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    score: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # After the due date of the problem's set: graded, but counted in the
    # grade book only if the set's policy says so.
    late: Mapped[bool] = mapped_column(default=False, server_default=false())


class IdempotencyKey(Base):
    """A POST made with an ``Idempotency-Key`` header, and the response to
    replay for a retry (see api.idempotency).

    Written in the same transaction as the request's work, so of two
    concurrent requests with one key exactly one does the work: the other
    hits the unique constraint and replays the winner's response.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose key: "instructor:<key id>", "student:<token id>" or "anonymous".
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the method, path and canonical JSON body.
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    # The response body; student access tokens are left out (stored as hashes only).
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(512))
    # Keys expire (api.idempotency.RETENTION); the index finds the old ones.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def _claim_statement(insert):
    return (
        insert(AttemptCounter)
        .values(used=1)
        .on_conflict_do_update(
            index_elements=[AttemptCounter.problem_id, AttemptCounter.student_scope],
            set_={"used": AttemptCounter.used + 1},
        )
        .returning(AttemptCounter.used)
    )


# Built once: the statement is the same for every submission, only its parameters differ.
_CLAIM = {"sqlite": _claim_statement(sqlite.insert), "postgresql": _claim_statement(postgresql.insert)}


def claim_attempt(session: Session, problem_id: uuid.UUID, scope: str) -> int:
    """Use the next attempt number of (problem, scope) in the session's transaction.

    The counter upsert writes before anything is read, so it takes the
    counter row's lock (PostgreSQL) or the database write lock (SQLite,
    whose driver opens the transaction at this first write): concurrent
    submissions queue here and each reads the count the previous one left.
    Rolling back gives the attempt back.
    """
    statement = _CLAIM[session.get_bind().dialect.name]
    return session.connection().execute(statement, {"problem_id": problem_id, "student_scope": scope}).scalar_one()


def due_at(own: ColumnExpressionArgument[datetime | None],
           of_set: ColumnExpressionArgument[datetime | None]) -> ColumnElement[datetime | None]:
    """The due date that holds for a student: their own if they have one, else their set's."""
    return func.coalesce(own, of_set)


def due_at_of(student_id: ColumnExpressionArgument[str | None] | str | None) -> ColumnElement[datetime | None]:
    """:func:`due_at` for a student of the set in the enclosing query's FROM (``problem_sets``)."""
    own = (
        select(StudentToken.due_at)
        .where(StudentToken.problem_set_id == ProblemSetRecord.id, StudentToken.student_id == student_id)
        .scalar_subquery()
    )
    return due_at(own, ProblemSetRecord.due_at)


def late(made_at: SQLColumnExpression[datetime] | datetime,
         due: ColumnExpressionArgument[datetime | None]) -> ColumnElement[bool]:
    """Whether work made at ``made_at`` is late: after the due date; without one, on time."""
    made = literal(made_at, UTCDateTime()) if isinstance(made_at, datetime) else made_at
    return func.coalesce(made > due, false())


class RateLimitBucket(Base):
    """One caller's allowance of writes (api.ratelimit): the moment it is
    back in full. A row whose moment has passed says no more than no row,
    so such rows are deleted."""

    __tablename__ = "rate_limits"

    # "anonymous:<address>", "student:<token id>" or "instructor:<key id>".
    bucket: Mapped[str] = mapped_column(String(128), primary_key=True)
    # Microseconds since the epoch: integers, so a full burst adds up exactly.
    full_at: Mapped[int] = mapped_column(BigInteger, index=True)
