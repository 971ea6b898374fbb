"""Problem sets: a roster turned into an assignment (CONTRACT §8, §9; issue 5).

Each student gets their own variant of each item, from (set seed, student
id, item index) alone (``problems.sets.student_problem``), stored as a
problem row of theirs with the set's policy; and an access token to reach
it (api.tokens). Instructors get the roster with the tokens, the answer key
and the grade book.

Big rosters are made in one request: problems are made before the write
transaction, and written with one bulk insert per table.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Response, request, url_for
from flask.views import MethodView
from sqlalchemy import false, func, insert, select, update
from sqlalchemy.orm import Session

from api import db, idempotency
from api.auth import WRITE_METHODS, authorize_instructor, authorize_problem_set, hash_token
from api.errors import ApiError, not_found
from api.idempotency import Outcome
from api.models import ProblemRecord, ProblemSetRecord, StudentToken, SubmissionRecord, due_at_of, utcnow
from api.resources.problems import LOCATION, PICKED_SEEDS
from api.schemas import (
    AnswerKeySchema,
    GradesQuerySchema,
    GradesSchema,
    ProblemSetChangeSchema,
    ProblemSetCreatedSchema,
    ProblemSetCreateSchema,
    ProblemSetSchema,
    RosterEntrySchema,
    RosterSchema,
    StudentChangeSchema,
    StudentsAddedSchema,
    StudentsAddSchema,
    valid_student_id,
)
from api.smorest import Blueprint
from api.tokens import derive, server_secret
from grader import Policy
from grader.gradebook import Attempt, grade_book
from problems.sets import Item, student_problem

log = logging.getLogger(__name__)

blp = Blueprint(
    "problem_sets",
    __name__,
    url_prefix="/api/v1/problem-sets",
    description="Problem sets for a class: a variant per student, access tokens, answer key, grades.",
)

IDEMPOTENCY = {"parameters": [idempotency.HEADER_PARAMETER]}
# The grade book is JSON, or CSV with ?format=csv.
GRADES_RESPONSE = {
    "responses": {
        "200": {
            "description": "The grade book.",
            "content": {
                "application/json": {"schema": GradesSchema},
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "student_id,item_1_score,item_1_attempts,…,total; a row per student.",
                    }
                },
            },
        }
    }
}


@blp.before_request
def _instructors_writes() -> None:
    """Every write here is an instructor's: others are refused before their
    body is read. Rosters share the 64 KiB body limit of CONTRACT §10: 5,000
    ids of up to ~10 characters fit in one request; longer ones are added in
    batches with POST …/students."""
    if request.method in WRITE_METHODS:
        authorize_instructor()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _find_set(problem_set_id: uuid.UUID) -> ProblemSetRecord:
    record = db.session().get(ProblemSetRecord, problem_set_id)
    if record is None:
        raise not_found("problem set")
    return record


_SET_COLUMNS = ("id", "title", "seed", "items", "policy", "due_at", "created_at")


def _set_columns(record: ProblemSetRecord) -> dict:
    """The set's own fields as stored, for ProblemSetSchema to dump."""
    return {name: getattr(record, name) for name in _SET_COLUMNS}


def _set_fields(record: ProblemSetRecord) -> dict:
    """The set's own fields, JSON-ready."""
    return {
        **_set_columns(record),
        "id": str(record.id),
        "due_at": _iso(record.due_at),
        "created_at": _iso(record.created_at),
    }


def _json(body: object, status: int = 200) -> Response:
    """Views here build JSON-ready bodies and serialise them once (their
    schemas document them): a roster of thousands is no work for marshmallow."""
    return Response(idempotency.dumps(body), status, mimetype="application/json")


@dataclass
class Issued:
    """Students made for a set, ready to insert: rows and response entries."""

    tokens: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    students: list[dict] = field(default_factory=list)


def _issue(record: ProblemSetRecord, students: list[str], now: datetime) -> Issued:
    """Each student's token and variant of each item, in roster order
    (positions are given in the transaction)."""
    items = [Item(item["template"], item["difficulty"]) for item in record.items]
    secret = server_secret()
    issued = Issued()
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
        refs = []
        for index, item in enumerate(items):
            problem = student_problem(record.seed, student, index, item)
            made = problem.to_json()
            problem_id = uuid.uuid4()
            issued.problems.append(
                {
                    "id": problem_id,
                    "template": problem.template,
                    "seed": problem.seed,
                    "difficulty": problem.difficulty,
                    "params": made["params"],
                    "policy": record.policy,
                    "problem": made,
                    "created_at": now,
                    "problem_set_id": record.id,
                    "student_id": student,
                    "item": index,
                }
            )
            refs.append({"item": index, "problem_id": str(problem_id)})
        issued.students.append({"student_id": student, "access_token": token, "problems": refs})
    return issued


def _insert(session: Session, issued: Issued, first_position: int) -> None:
    for position, row in enumerate(issued.tokens, start=first_position):
        row["position"] = position
    if issued.tokens:
        session.execute(insert(StudentToken), issued.tokens)
    if issued.problems:
        session.execute(insert(ProblemRecord), issued.problems)


def _without_tokens(body: dict) -> dict:
    """What an idempotency key keeps: tokens are stored only as hashes."""
    return {**body, "students": [{**entry, "access_token": None} for entry in body["students"]]}


def _with_tokens(body: dict) -> dict:
    """A replayed body with each student's current token derived again."""
    problem_set_id = uuid.UUID(body["id"])
    rows = db.session().execute(
        select(StudentToken.student_id, StudentToken.generation).where(
            StudentToken.problem_set_id == problem_set_id
        )
    )
    generations = {student: generation for student, generation in rows}
    secret = server_secret()
    for entry in body["students"]:
        entry["access_token"] = derive(
            secret, problem_set_id, entry["student_id"], generations[entry["student_id"]]
        )
    return body


@blp.route("")
class ProblemSets(MethodView):
    @blp.response(200, ProblemSetSchema(many=True))
    @blp.paginate()
    @blp.errors(401, 403)
    def get(self, pagination_parameters):
        """List problem sets

        Instructor key only: every set, newest first, each as its instructor
        view (with its seed and the roster's size). Paginated by ``page``
        and ``page_size`` (at most 100); the totals are in the
        ``X-Pagination`` header."""
        authorize_instructor()
        session = db.session()
        total = session.scalar(select(func.count()).select_from(ProblemSetRecord))
        pagination_parameters.item_count = total
        first = pagination_parameters.first_item
        if first >= total:  # also keeps absurd page numbers out of SQL OFFSET
            return []
        page = (
            select(ProblemSetRecord, _roster_size())
            .order_by(ProblemSetRecord.created_at.desc(), ProblemSetRecord.id.desc())
            .offset(first)
            .limit(pagination_parameters.page_size)
        )
        return [{**_set_columns(record), "student_count": count} for record, count in session.execute(page)]

    @blp.arguments(ProblemSetCreateSchema)
    @blp.response(201, ProblemSetCreatedSchema, headers=LOCATION)
    @blp.doc(**IDEMPOTENCY)
    @blp.errors(400, 401, 403, 413, 415, 429)
    def post(self, body):
        """Make a problem set for a roster

        Instructor key only. Each student gets a variant of each item, from
        the set seed, their id and the item's index alone, and an access
        token; the response lists them in roster order. Without a seed the
        service picks one. Rosters of up to 5,000 students (bodies up to
        1 MiB). Safe to retry with an ``Idempotency-Key``."""
        authorize_instructor()
        policy = Policy.from_json(body["policy"])
        items = [Item(item["template"], item["difficulty"]) for item in body["items"]]
        now = utcnow()
        record = ProblemSetRecord(
            id=uuid.uuid4(),
            title=body["title"],
            seed=body["seed"] if body["seed"] is not None else secrets.randbelow(PICKED_SEEDS),
            items=[{"template": item.template, "difficulty": item.difficulty} for item in items],
            policy=policy.to_json(),
            due_at=body["due_at"].astimezone(UTC) if body["due_at"] is not None else None,
            created_at=now,
        )

        def work(session: Session, issued: Issued) -> Outcome:
            session.add(record)
            session.flush()
            _insert(session, issued, 0)
            return Outcome(
                201,
                {**_set_fields(record), "students": issued.students},
                url_for("problem_sets.ProblemSetById", problem_set_id=record.id),
            )

        return idempotency.run(
            work,
            prepare=lambda: _issue(record, body["students"], now),
            redact=_without_tokens,
            restore=_with_tokens,
        )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _lock_set(session: Session, problem_set_id: uuid.UUID) -> ProblemSetRecord:
    """The set, locked for a change of due dates. Submissions to it read
    their due date under a share lock (PostgreSQL; on SQLite writers queue
    anyway), so none is marked late or on time by a date being replaced."""
    record = session.scalar(
        select(ProblemSetRecord).where(ProblemSetRecord.id == problem_set_id).with_for_update()
    )
    if record is None:
        raise not_found("problem set")
    return record


def _mark_late(session: Session, problem_set_id: uuid.UUID, student_id: str | None = None) -> None:
    """Mark each submission to the set (or to one student's problems in it)
    late exactly when it was made after its student's due date as it now
    stands: their own if they have one, else the set's."""
    due_at = (
        select(due_at_of(ProblemRecord.student_id))
        .select_from(ProblemRecord)
        .join(ProblemSetRecord, ProblemSetRecord.id == ProblemRecord.problem_set_id)
        .where(ProblemRecord.id == SubmissionRecord.problem_id)
        .scalar_subquery()
    )
    # Without any due date the comparison is NULL: on time.
    late = func.coalesce(SubmissionRecord.created_at > due_at, false())
    problems = select(ProblemRecord.id).where(ProblemRecord.problem_set_id == problem_set_id)
    if student_id is not None:
        problems = problems.where(ProblemRecord.student_id == student_id)
    session.execute(
        update(SubmissionRecord).where(SubmissionRecord.problem_id.in_(problems)).values(late=late),
        execution_options={"synchronize_session": False},
    )


def _roster_size():
    """The roster's size of the set in the enclosing query's FROM."""
    return (
        select(func.count(StudentToken.id))
        .where(StudentToken.problem_set_id == ProblemSetRecord.id)
        .scalar_subquery()
    )


def _instructor_view(session: Session, record: ProblemSetRecord) -> Response:
    count = session.scalar(select(_roster_size()).where(ProblemSetRecord.id == record.id))
    return _json({**_set_fields(record), "student_count": count})


@blp.route("/<uuid:problem_set_id>")
class ProblemSetById(MethodView):
    @blp.response(200, ProblemSetSchema)
    @blp.errors(401, 404)
    def get(self, problem_set_id):
        """Read a problem set

        Instructors: the set with its seed and the roster's size. A student
        token of the set: the set without its seed, and that student's own
        problems (never a token, nor anyone else's)."""
        who = authorize_problem_set(problem_set_id)
        record = _find_set(problem_set_id)
        session = db.session()
        if who.kind == "instructor":
            return _instructor_view(session, record)
        view = _set_fields(record)
        del view["seed"]  # with it, anyone could work out everyone's variants
        view["due_at"] = _iso(
            session.scalar(select(due_at_of(who.student_id)).where(ProblemSetRecord.id == record.id))
        )
        problems = session.execute(
            select(ProblemRecord.item, ProblemRecord.id)
            .where(ProblemRecord.problem_set_id == record.id, ProblemRecord.student_id == who.student_id)
            .order_by(ProblemRecord.item)
        )
        refs = [{"item": item, "problem_id": str(problem_id)} for item, problem_id in problems]
        return _json({**view, "student_id": who.student_id, "problems": refs})

    @blp.arguments(ProblemSetChangeSchema)
    @blp.response(200, ProblemSetSchema)
    @blp.errors(400, 401, 403, 404, 413, 415, 429)
    def patch(self, body, problem_set_id):
        """Change a problem set's title or due date

        Instructor key only. A field left out stays as it is; ``due_at:
        null`` removes the due date. A new due date applies to the
        submissions already made too: each is ``late`` exactly when it was
        made after its student's due date (their own, if they have one, else
        the new one), in its own view and in the grade book. Items, seed,
        policy, variants and tokens never change. Answers the instructor
        view of the set; safe to retry (the same body gives the same
        result)."""
        with db.write_transaction() as session:
            record = _lock_set(session, problem_set_id)
            if "title" in body:
                record.title = body["title"]
            if "due_at" in body:
                record.due_at = _utc(body["due_at"])
                session.flush()  # the new date, for _mark_late to read
                _mark_late(session, problem_set_id)
        return _instructor_view(session, record)


def _roster(session: Session, problem_set_id: uuid.UUID, student_id: str | None = None) -> list[StudentToken]:
    query = select(StudentToken).where(StudentToken.problem_set_id == problem_set_id)
    if student_id is not None:
        query = query.where(StudentToken.student_id == student_id)
    return list(session.scalars(query.order_by(StudentToken.position)))


def _problem_refs(session: Session, problem_set_id: uuid.UUID, student_id: str | None = None) -> dict:
    """student id → [{item, problem_id}], in item order."""
    query = select(ProblemRecord.student_id, ProblemRecord.item, ProblemRecord.id).where(
        ProblemRecord.problem_set_id == problem_set_id
    )
    if student_id is not None:
        query = query.where(ProblemRecord.student_id == student_id)
    refs: dict[str, list[dict]] = defaultdict(list)
    for student, item, problem_id in session.execute(query.order_by(ProblemRecord.item)):
        refs[student].append({"item": item, "problem_id": str(problem_id)})
    return refs


def _roster_entries(session: Session, problem_set_id: uuid.UUID, student_id: str | None = None) -> list[dict]:
    """Students with their tokens, derived again and checked against the stored hashes."""
    secret = server_secret()
    refs = _problem_refs(session, problem_set_id, student_id)
    entries = []
    for student in _roster(session, problem_set_id, student_id):
        token = derive(secret, problem_set_id, student.student_id, student.generation)
        if hash_token(token) != student.token_hash:
            log.error(
                "problem set %s: the server secret key is not the one that issued its tokens", problem_set_id
            )
            raise ApiError(
                500,
                "This server's secret key is not the one that issued these tokens: every server "
                "sharing the database must have the same ELBO_GRADER_SECRET_KEY.",
            )
        entries.append(
            {
                "student_id": student.student_id,
                "access_token": token,
                "problems": refs.get(student.student_id, []),
                "revoked": student.revoked_at is not None,
                "revoked_at": _iso(student.revoked_at),
                "due_at": _iso(student.due_at),
            }
        )
    return entries


@blp.route("/<uuid:problem_set_id>/students")
class Students(MethodView):
    @blp.response(200, RosterSchema)
    @blp.errors(401, 403, 404)
    def get(self, problem_set_id):
        """List the roster with access tokens

        Instructor key only: every student in roster order, with their
        access token (derived again; only its hash is stored), whether it is
        revoked, and their problems."""
        authorize_instructor()
        _find_set(problem_set_id)
        entries = _roster_entries(db.session(), problem_set_id)
        return _json({"problem_set_id": str(problem_set_id), "students": entries})

    @blp.arguments(StudentsAddSchema)
    @blp.response(200, StudentsAddedSchema)
    @blp.doc(**IDEMPOTENCY)
    @blp.errors(400, 401, 403, 404, 413, 415, 429)
    def post(self, body, problem_set_id):
        """Add students to a problem set

        Instructor key only. The response has the shape of the set's
        creation and lists only the students added, in request order; ids
        already on the roster are left as they are (variants and tokens
        unchanged) and listed under ``ignored``. Safe to retry with an
        ``Idempotency-Key``."""
        authorize_instructor()
        record = _find_set(problem_set_id)
        requested = body["students"]

        def prepare() -> Issued:
            present = set(db.session().scalars(_roster_ids(problem_set_id)))
            return _issue(record, [s for s in requested if s not in present], utcnow())

        def work(session: Session, issued: Issued) -> Outcome:
            # Roster changes of one set queue here (the set's row lock on
            # PostgreSQL; every writer queues on SQLite).
            session.execute(
                select(ProblemSetRecord.id).where(ProblemSetRecord.id == problem_set_id).with_for_update()
            )
            present = set(session.scalars(_roster_ids(problem_set_id)))
            if present & {entry["student_id"] for entry in issued.students}:  # added meanwhile
                issued = Issued(
                    [row for row in issued.tokens if row["student_id"] not in present],
                    [row for row in issued.problems if row["student_id"] not in present],
                    [entry for entry in issued.students if entry["student_id"] not in present],
                )
            last = session.scalar(
                select(func.max(StudentToken.position)).where(StudentToken.problem_set_id == problem_set_id)
            )
            _insert(session, issued, 0 if last is None else last + 1)
            return Outcome(
                200,
                {
                    **_set_fields(record),
                    "students": issued.students,
                    "ignored": [student for student in requested if student in present],
                },
            )

        return idempotency.run(work, prepare=prepare, redact=_without_tokens, restore=_with_tokens)


def _roster_ids(problem_set_id: uuid.UUID):
    return select(StudentToken.student_id).where(StudentToken.problem_set_id == problem_set_id)


def _student_not_found() -> ApiError:
    return not_found("student on this problem set")


def _check_student_id(student_id: str) -> None:
    """A student id from the path that no roster can hold is a 404 before any SQL."""
    if not valid_student_id(student_id):  # e.g. a NUL, which PostgreSQL cannot even compare
        raise _student_not_found()


def _change_token(problem_set_id: uuid.UUID, student_id: str, reissue: bool) -> Response:
    authorize_instructor()
    _find_set(problem_set_id)
    _check_student_id(student_id)
    with db.write_transaction() as session:
        student = session.scalar(
            select(StudentToken).where(
                StudentToken.problem_set_id == problem_set_id, StudentToken.student_id == student_id
            )
        )
        if student is None:
            raise _student_not_found()
        if reissue:
            generation = student.generation + 1
            token = derive(server_secret(), problem_set_id, student_id, generation)
            values = {"generation": generation, "token_hash": hash_token(token), "revoked_at": None}
        else:
            values = {"revoked_at": student.revoked_at or utcnow()}
        session.execute(update(StudentToken).where(StudentToken.id == student.id).values(**values))
    session.expire_all()
    (entry,) = _roster_entries(db.session(), problem_set_id, student_id)
    return _json(entry)


@blp.route("/<uuid:problem_set_id>/students/<path:student_id>")
class StudentById(MethodView):
    @blp.response(200, RosterEntrySchema)
    @blp.errors(401, 403, 404)
    def get(self, problem_set_id, student_id):
        """Read a student's roster entry

        Instructor key only: their access token, whether it is revoked,
        their own due date and their problems, as in the roster."""
        authorize_instructor()
        _find_set(problem_set_id)
        _check_student_id(student_id)
        entries = _roster_entries(db.session(), problem_set_id, student_id)
        if not entries:
            raise _student_not_found()
        return _json(entries[0])

    @blp.arguments(StudentChangeSchema)
    @blp.response(200, RosterEntrySchema)
    @blp.errors(400, 401, 403, 404, 413, 415, 429)
    def patch(self, body, problem_set_id, student_id):
        """Give a student a due date of their own

        Instructor key only: an extension (or an earlier date) for one
        student, in place of the set's; ``due_at: null`` puts them back on
        the set's. Their submissions already made are marked ``late`` by it
        at once, and so are those to come; a later change of the set's due
        date leaves it in place. Answers their roster entry; safe to retry
        (the same body gives the same result)."""
        _check_student_id(student_id)
        with db.write_transaction() as session:
            _lock_set(session, problem_set_id)
            changed = session.execute(
                update(StudentToken)
                .where(StudentToken.problem_set_id == problem_set_id, StudentToken.student_id == student_id)
                .values(due_at=_utc(body["due_at"]))
            )
            if changed.rowcount == 0:
                raise _student_not_found()
            _mark_late(session, problem_set_id, student_id)
        (entry,) = _roster_entries(db.session(), problem_set_id, student_id)
        return _json(entry)


@blp.route("/<uuid:problem_set_id>/students/<path:student_id>/revoke")
class RevokeToken(MethodView):
    @blp.response(200, RosterEntrySchema)
    @blp.errors(401, 403, 404, 429)
    def post(self, problem_set_id, student_id):
        """Revoke a student's access token

        Instructor key only. From now on the token is a 401 everywhere; the
        student's problems and submissions stay. Revoking twice changes
        nothing."""
        return _change_token(problem_set_id, student_id, reissue=False)


@blp.route("/<uuid:problem_set_id>/students/<path:student_id>/reissue")
class ReissueToken(MethodView):
    @blp.response(200, RosterEntrySchema)
    @blp.errors(401, 403, 404, 429)
    def post(self, problem_set_id, student_id):
        """Give a student a new access token

        Instructor key only. The old token stops working (401) and a
        revoked student is let in again with the new one; problems and
        submissions stay."""
        return _change_token(problem_set_id, student_id, reissue=True)


@blp.route("/<uuid:problem_set_id>/answer-key")
class AnswerKey(MethodView):
    @blp.response(200, AnswerKeySchema)
    @blp.errors(401, 403, 404)
    def get(self, problem_set_id):
        """Read the answer key

        Instructor key only. Per student in roster order, per item: the
        problem, its params and the exact answers (``exact``, ``latex``,
        ``value``) as stored when the problem was made."""
        authorize_instructor()
        _find_set(problem_set_id)
        session = db.session()
        rows = session.execute(
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
        problems: dict[str, list[dict]] = defaultdict(list)
        for student, item, problem_id, template, params, answers in rows:
            problems[student].append(
                {
                    "item": item,
                    "problem_id": str(problem_id),
                    "template": template,
                    "params": params,
                    "answers": answers,
                }
            )
        students = [
            {"student_id": student, "problems": problems.get(student, [])}
            for student in session.scalars(_roster_order(problem_set_id))
        ]
        return _json({"problem_set_id": str(problem_set_id), "students": students})


def _roster_order(problem_set_id: uuid.UUID, *columns):
    """The set's student ids (and ``columns`` of theirs), in roster order."""
    return (
        select(StudentToken.student_id, *columns)
        .where(StudentToken.problem_set_id == problem_set_id)
        .order_by(StudentToken.position)
    )


def _number(value: float) -> str:
    """Up to 4 decimals, no trailing zeros: 1, 0.875, 0.3333."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@blp.route("/<uuid:problem_set_id>/grades")
class Grades(MethodView):
    @blp.arguments(GradesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, GradesSchema)
    @blp.doc(**GRADES_RESPONSE)
    @blp.errors(401, 403, 404)
    def get(self, problem_set_id, format):
        """Read the grade book

        Instructor key only. Per student in roster order, per item: the best
        score that counts (submissions after ``due_at`` count only with
        ``policy.count_late``), the attempts used (late ones included) and
        the last submission's time; and the total, the sum of the best
        scores. ``?format=csv``: ``text/csv`` with a header row
        ``student_id,item_1_score,item_1_attempts,…,total`` (items numbered
        from 1), a row per student, an empty cell where no score counts.
        A student id that a spreadsheet would run as a formula (starting
        with ``=``, ``+``, ``-`` or ``@``) is written with a leading ``'``."""
        authorize_instructor()
        record = _find_set(problem_set_id)
        policy = Policy.from_json(record.policy)
        session = db.session()
        attempts: dict[tuple[str, int], list[Attempt]] = defaultdict(list)
        rows = session.execute(
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
        for student, item, score, submitted_at, late in rows:
            attempts[(student, item)].append(Attempt(score, submitted_at, late))
        item_count = len(record.items)
        roster = session.execute(_roster_order(problem_set_id, StudentToken.due_at)).all()
        book = grade_book([student for student, _ in roster], item_count, attempts, policy.count_late)
        if format == "csv":
            return _csv(problem_set_id, item_count, book)
        due = {student: own_due or record.due_at for student, own_due in roster}
        students = [
            {
                "student_id": row.student_id,
                "due_at": _iso(due[row.student_id]),
                "items": [
                    {
                        "item": grade.item,
                        "best_score": grade.best_score,
                        "attempts": grade.attempts,
                        "last_submitted_at": _iso(grade.last_submitted_at),
                    }
                    for grade in row.items
                ],
                "total": row.total,
            }
            for row in book
        ]
        body = {
            "problem_set_id": str(problem_set_id),
            "item_count": item_count,
            "max_total": float(item_count),
            "count_late": policy.count_late,
            "students": students,
        }
        return _json(body)


# A spreadsheet opening the CSV runs a cell starting with one of these as a
# formula (OWASP "CSV injection"); student ids are the only text cells.
_FORMULA_STARTS = ("=", "+", "-", "@")


def _spreadsheet_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ' when it would start a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv(problem_set_id: uuid.UUID, item_count: int, book) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["student_id"]
    for item in range(1, item_count + 1):
        header += [f"item_{item}_score", f"item_{item}_attempts"]
    writer.writerow([*header, "total"])
    for row in book:
        cells = [_spreadsheet_text(row.student_id)]
        for grade in row.items:
            cells += ["" if grade.best_score is None else _number(grade.best_score), str(grade.attempts)]
        writer.writerow([*cells, _number(row.total)])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="grades-{problem_set_id}.csv"'},
    )
