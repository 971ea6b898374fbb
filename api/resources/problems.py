"""Problems and their solutions (docs/api.md §4)."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from api import db
from api.auth import PRACTICE, Caller, access, authorize_create, authorize_problem
from api.problemstore import StoredProblem
from api.schemas import ProblemCreateSchema, ProblemSchema, SolutionSchema
from api.services import problems
from api.smorest import Blueprint

blp = Blueprint(
    "problems",
    __name__,
    url_prefix="/api/v1/problems",
    description="Seeded practice problems and instructor-authored variants, with their solutions.",
)

LOCATION = {"Location": {"description": "The new resource's URL.", "schema": {"type": "string"}}}


def problem_view(stored: StoredProblem, who: Caller) -> dict:
    view = {
        "id": stored.id,
        "template": stored.template,
        "seed": stored.seed,
        "difficulty": stored.difficulty,
        "params": stored.params,
        "statement": stored.problem.statement,
        "parts": stored.problem.parts,
        "policy": stored.policy.to_json(),
        "created_at": stored.created_at,
    }
    if who.kind == "instructor":
        view["undetectable"] = [mistake.to_json() for mistake in stored.undetectable]
    return view


@blp.route("")
class Problems(MethodView):
    @blp.arguments(ProblemCreateSchema)
    @blp.response(201, ProblemSchema, headers=LOCATION)
    @blp.errors(400, 401, 403, 413, 415, 429)
    @access(PRACTICE)
    def post(self, body):
        """Make a problem

        Seeded (practice; anyone while practice is on) or from authored
        params (instructor key). Without a seed the service picks one.
        Instructors are shown the named mistakes the policy cannot detect."""
        who = authorize_create(authored=body["params"] is not None)
        stored = problems.create_problem(
            body["template"], params=body["params"], seed=body["seed"], difficulty=body["difficulty"],
            policy=body["policy"],
        )
        return problem_view(stored, who), {"Location": url_for("problems.ProblemById", problem_id=stored.id)}


@blp.route("/<uuid:problem_id>")
class ProblemById(MethodView):
    @blp.response(200, ProblemSchema)
    @blp.errors(401, 404)
    @access(PRACTICE)
    def get(self, problem_id):
        """Read a problem"""
        stored = problems.find_problem(problem_id)
        return problem_view(stored, authorize_problem(stored))


@blp.route("/<uuid:problem_id>/solution")
class Solution(MethodView):
    @blp.response(200, SolutionSchema)
    @blp.errors(401, 403, 404)
    @access(PRACTICE)
    def get(self, problem_id):
        """Read a problem's solution

        The exact values and the worked steps: instructors always, anyone
        for a practice problem, a student token on its own problem once the
        policy's ``solution`` rule opens it (403 before)."""
        stored = problems.find_problem(problem_id)
        return problems.solution(db.session(), stored, authorize_problem(stored))
