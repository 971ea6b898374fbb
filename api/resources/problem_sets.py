"""Problem sets: made for a roster, read, changed (docs/api.md §8, §9; issue 5).

Views build JSON-ready bodies and serialise them once (their schemas
document them): a roster of thousands is no work for marshmallow.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from api import db, idempotency
from api.auth import BEARER, access, authorize_problem_set, instructor_only
from api.idempotency import Keyed, Outcome
from api.resources.paging import paginated
from api.resources.problems import LOCATION
from api.schemas import ProblemSetChangeSchema, ProblemSetCreatedSchema, ProblemSetCreateSchema, ProblemSetSchema
from api.services import making, problem_sets, rosters
from api.services.issuing import IssuedStudent, ProblemRef
from api.services.problem_sets import InstructorView, ProblemSet, StudentView
from api.services.progress import ItemProgress
from api.smorest import Blueprint

blp = Blueprint(
    "problem_sets",
    __name__,
    url_prefix="/api/v1/problem-sets",
    description="Problem sets for a class: a variant per student and an access token each.",
)

IDEMPOTENCY = {"parameters": [idempotency.HEADER_PARAMETER]}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_response(body: object, status: int = 200) -> Response:
    return Response(idempotency.dumps(body), status, mimetype="application/json")


def set_json(problem_set: ProblemSet) -> dict[str, Any]:
    """The set's own fields, JSON-ready, as instructors see them."""
    return {
        "id": str(problem_set.id),
        "title": problem_set.title,
        "seed": problem_set.seed,
        "items": [item.to_json() for item in problem_set.items],
        "policy": problem_set.policy.to_json(),
        "due_at": iso(problem_set.due_at),
        "created_at": iso(problem_set.created_at),
    }


def refs_json(refs: Iterable[ProblemRef]) -> list[dict[str, Any]]:
    return [{"item": ref.item, "problem_id": str(ref.problem_id)} for ref in refs]


def issued_json(students: Iterable[IssuedStudent]) -> list[dict[str, Any]]:
    return [
        {
            "student_id": student.student_id,
            "access_token": student.access_token,
            "problems": refs_json(student.problems),
        }
        for student in students
    ]


def without_tokens(body: Any) -> Any:
    """What an idempotency key keeps of a body issuing students: tokens are stored only as hashes."""
    return {**body, "students": [{**entry, "access_token": None} for entry in body["students"]]}


def with_tokens(body: Any) -> Any:
    """A replayed body with each student's current token derived again."""
    tokens = rosters.current_tokens(db.session(), uuid.UUID(body["id"]))
    for entry in body["students"]:
        entry["access_token"] = tokens[entry["student_id"]]
    return body


def making_json(making: bool) -> dict[str, str]:
    """``status: "making"`` while a big roster's problems are made in the
    background; absent once they are, so bodies keep the contract's shape."""
    return {"status": "making"} if making else {}


def progress_json(progress: ItemProgress) -> dict[str, Any]:
    return {"item": progress.item, "problem_id": str(progress.problem_id), "best_score": progress.best_score,
            "attempts": progress.attempts, "attempts_left": progress.attempts_left,
            "solution_open": progress.solution_open}


def view_json(view: InstructorView | StudentView) -> dict[str, Any]:
    if isinstance(view, InstructorView):
        progress = {"students_ready": view.students_ready} if view.making else {}
        return {**set_json(view.problem_set), "student_count": view.student_count,
                **making_json(view.making), **progress}
    body = set_json(view.problem_set)
    # Neither the seed nor what the policy cannot detect is a student's business.
    del body["seed"]
    for item in body["items"]:
        del item["undetectable"]
    return {**body, "student_id": view.student_id, "problems": [progress_json(p) for p in view.problems]}


def started(response: Response) -> Response:
    """A 202 (a big roster stored) sets its problems being made, once it has committed."""
    if response.status_code == 202 and response.json is not None:
        making.start(uuid.UUID(response.json["id"]))
    return response


def create(body: dict[str, Any], keyed: Keyed | None = None) -> Response:
    """Make a set from a loaded ``ProblemSetCreateSchema`` body, once per
    idempotency key (the header's, or a page form's ``keyed``): 201, or 202
    with its problems being made."""

    def work(session, new: problem_sets.NewSet) -> Outcome:
        created = problem_sets.create_set(session, new)
        answer = {**set_json(created.problem_set), **making_json(created.making),
                  "students": issued_json(created.students)}
        location = url_for("problem_sets.ProblemSetById", problem_set_id=created.problem_set.id)
        return Outcome(202 if created.making else 201, answer, location)

    def prepare() -> problem_sets.NewSet:
        return problem_sets.prepare_set(body["title"], body["items"], body["students"], seed=body["seed"],
                                        policy=body["policy"], due_at=body["due_at"])

    return started(idempotency.run(work, prepare=prepare, redact=without_tokens, restore=with_tokens, keyed=keyed))


@blp.route("")
class ProblemSets(MethodView):
    @blp.response(200, ProblemSetSchema(many=True))
    @blp.paginate()
    @blp.errors(401, 403)
    @instructor_only
    def get(self, pagination_parameters):
        """List problem sets

        Instructor key only: every set, newest first, each as its instructor
        view (with its seed and the roster's size). Paginated by ``page``
        and ``page_size`` (at most 100); the totals are in the
        ``X-Pagination`` header."""
        views = paginated(pagination_parameters, lambda window: problem_sets.list_sets(db.session(), window))
        return json_response([view_json(view) for view in views])

    @instructor_only
    @blp.arguments(ProblemSetCreateSchema)
    @blp.response(201, ProblemSetCreatedSchema, headers=LOCATION)
    @blp.alt_response(202, schema=ProblemSetCreatedSchema, headers=LOCATION,
                      description="Stored; the problems of this big roster are being made (status \"making\").")
    @blp.doc(**IDEMPOTENCY)
    @blp.errors(400, 401, 403, 413, 415, 429)
    def post(self, body):
        """Make a problem set for a roster

        Instructor key only. Each student gets a variant of each item, from
        the set seed, their id and the item's index alone, and an access
        token; the response lists them in roster order. Without a seed the
        service picks one. Rosters of up to 5,000 students (the body within
        64 KiB). A roster needing more problems than the server makes at once
        (2,000 by default) is answered ``202`` at once, with ``status:
        "making"`` and each student's token but no problems yet: they are
        made in the background (the set's view counts ``students_ready``), a
        student's own at once when they first read the set. Safe to retry
        with an ``Idempotency-Key``."""
        return create(body)


@blp.route("/<uuid:problem_set_id>")
class ProblemSetById(MethodView):
    @blp.response(200, ProblemSetSchema)
    @blp.errors(401, 404)
    @access(BEARER)
    def get(self, problem_set_id):
        """Read a problem set

        Instructors: the set with its seed, the roster's size and each
        item's undetectable mistakes. A student token of the set: the set
        without those, and that student's own problems with their progress
        on each (best score, attempts used and left, whether the solution is
        open to them) and due date (never a token, nor anyone else's)."""
        who = authorize_problem_set(problem_set_id)
        return json_response(view_json(problem_sets.read_set(db.session(), problem_set_id, who)))

    @instructor_only
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
        return json_response(view_json(problem_sets.change_set(problem_set_id, **body)))
