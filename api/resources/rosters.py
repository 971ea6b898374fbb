"""A set's roster: students with their access tokens, added, given their own
due dates, revoked and reissued (docs/api.md §8, §9). Instructors only."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from werkzeug.routing import PathConverter

from api import db, idempotency
from api.auth import instructor_only
from api.idempotency import Keyed, Outcome
from api.resources.problem_sets import (
    IDEMPOTENCY,
    iso,
    issued_json,
    json_response,
    making_json,
    refs_json,
    set_json,
    started,
    with_tokens,
    without_tokens,
)
from api.schemas import RosterEntrySchema, RosterSchema, StudentChangeSchema, StudentsAddedSchema, StudentsAddSchema
from api.services import problem_sets, rosters
from api.services.issuing import Issued
from api.services.rosters import RosterEntry
from api.smorest import Blueprint

blp = Blueprint(
    "rosters",
    __name__,
    url_prefix="/api/v1/problem-sets",
    description="A problem set's roster: access tokens, students added, extensions, revocations.",
)


def entry_json(entry: RosterEntry) -> dict[str, Any]:
    return {
        "student_id": entry.student_id,
        "access_token": entry.access_token,
        "problems": refs_json(entry.problems),
        "revoked": entry.revoked,
        "revoked_at": iso(entry.revoked_at),
        "due_at": iso(entry.due_at),
    }


class StudentPath(PathConverter):
    """A student id in a path, slashes allowed (LMS ids have them), except one
    ending in ``/revoke`` or ``/reissue``: those URLs are the actions', for
    every method, so a PATCH there is a 405, not a change to a student
    named "alice/revoke"."""

    regex = r"[^/].*?(?<!/revoke)(?<!/reissue)"


def add(problem_set_id: uuid.UUID, students: list[str], keyed: Keyed | None = None) -> Response:
    """Add students (a loaded roster) to a set, once per idempotency key (the
    header's, or a page form's ``keyed``): 200, or 202 with their problems being made."""
    record = problem_sets.find_set(db.session(), problem_set_id)

    def work(session, issued: Issued) -> Outcome:
        added = rosters.add_students(session, record, students, issued)
        answer = {**set_json(added.problem_set), **making_json(added.making), "students": issued_json(added.students),
                  "ignored": list(added.ignored)}
        return Outcome(202 if added.making else 200, answer)

    return started(idempotency.run(
        work,
        prepare=lambda: rosters.new_students(db.session(), record, students),
        redact=without_tokens,
        restore=with_tokens,
        keyed=keyed,
    ))


@blp.route("/<uuid:problem_set_id>/students")
class Students(MethodView):
    @blp.response(200, RosterSchema)
    @blp.errors(401, 403, 404)
    @instructor_only
    def get(self, problem_set_id):
        """List the roster with access tokens

        Instructor key only: every student in roster order, with their
        access token (derived again; only its hash is stored), whether it is
        revoked, and their problems."""
        entries = rosters.list_roster(db.session(), problem_set_id)
        return json_response({"problem_set_id": str(problem_set_id), "students": [entry_json(e) for e in entries]})

    @instructor_only
    @blp.arguments(StudentsAddSchema)
    @blp.response(200, StudentsAddedSchema)
    @blp.alt_response(202, schema=StudentsAddedSchema,
                      description="Added; their problems are being made in the background (status \"making\").")
    @blp.doc(**IDEMPOTENCY)
    @blp.errors(400, 401, 403, 404, 413, 415, 429)
    def post(self, body, problem_set_id):
        """Add students to a problem set

        Instructor key only. The response has the shape of the set's
        creation and lists only the students added, in request order; ids
        already on the roster are left as they are (variants and tokens
        unchanged) and listed under ``ignored``. Students whose problems are
        made in the background (many of them, or a set still being made)
        are answered ``202``, as a set's creation is. Safe to retry with an
        ``Idempotency-Key``."""
        return add(problem_set_id, body["students"])


@blp.route("/<uuid:problem_set_id>/students/<student_path:student_id>")
class StudentById(MethodView):
    @blp.response(200, RosterEntrySchema)
    @blp.errors(401, 403, 404)
    @instructor_only
    def get(self, problem_set_id, student_id):
        """Read a student's roster entry

        Instructor key only: their access token, whether it is revoked,
        their own due date and their problems, as in the roster."""
        return json_response(entry_json(rosters.roster_entry(db.session(), problem_set_id, student_id)))

    @instructor_only
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
        return json_response(entry_json(rosters.set_student_due(problem_set_id, student_id, body["due_at"])))


@blp.route("/<uuid:problem_set_id>/students/<path:student_id>/revoke")
class RevokeToken(MethodView):
    @instructor_only
    @blp.response(200, RosterEntrySchema)
    @blp.errors(401, 403, 404, 429)
    def post(self, problem_set_id, student_id):
        """Revoke a student's access token

        Instructor key only. From now on the token is a 401 everywhere; the
        student's problems and submissions stay. Revoking twice changes
        nothing."""
        return json_response(entry_json(rosters.change_token(problem_set_id, student_id, reissue=False)))


@blp.route("/<uuid:problem_set_id>/students/<path:student_id>/reissue")
class ReissueToken(MethodView):
    @instructor_only
    @blp.response(200, RosterEntrySchema)
    @blp.errors(401, 403, 404, 429)
    def post(self, problem_set_id, student_id):
        """Give a student a new access token

        Instructor key only. The old token stops working (401) and a
        revoked student is let in again with the new one; problems and
        submissions stay."""
        return json_response(entry_json(rosters.change_token(problem_set_id, student_id, reissue=True)))
