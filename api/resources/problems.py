"""Problems and their solutions (CONTRACT §4)."""

from __future__ import annotations

import secrets

from flask import url_for
from flask.views import MethodView

from api import db
from api.auth import authorize_create, authorize_problem, authorize_solution
from api.models import ProblemRecord
from api.problemstore import StoredProblem, store
from api.schemas import ProblemCreateSchema, ProblemSchema, SolutionSchema
from api.smorest import Blueprint
from grader import Policy
from problems import DEFAULT_DIFFICULTY, Problem, generate_params, make_problem, parse_params

blp = Blueprint(
    "problems",
    __name__,
    url_prefix="/api/v1/problems",
    description="Seeded practice problems and instructor-authored variants, with their solutions.",
)

LOCATION = {"Location": {"description": "The new resource's URL.", "schema": {"type": "string"}}}
# Seeds the service picks stay below 2**53 so JavaScript clients read them exactly.
PICKED_SEEDS = 2**53


def _make(body: dict) -> Problem:
    template = body["template"]
    if body["params"] is not None:
        return make_problem(template, parse_params(template, body["params"]))
    seed = body["seed"] if body["seed"] is not None else secrets.randbelow(PICKED_SEEDS)
    difficulty = body["difficulty"] or DEFAULT_DIFFICULTY
    return make_problem(template, generate_params(template, seed, difficulty), seed, difficulty)


def problem_view(stored: StoredProblem) -> dict:
    return {
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


@blp.route("")
class Problems(MethodView):
    @blp.arguments(ProblemCreateSchema)
    @blp.response(201, ProblemSchema, headers=LOCATION)
    @blp.errors(400, 401, 403, 413, 415, 429)
    def post(self, body):
        """Make a problem

        Seeded (practice; anyone while practice is on) or from authored
        params (instructor key). Without a seed the service picks one."""
        authorize_create(authored=body["params"] is not None)
        policy = Policy.from_json(body["policy"])
        problem = _make(body)
        record = ProblemRecord(
            template=problem.template,
            seed=problem.seed,
            difficulty=problem.difficulty,
            params=problem.params.to_json(),
            policy=policy.to_json(),
            problem=problem.to_json(),
        )
        with db.write_transaction() as session:
            session.add(record)
        stored = store().put(StoredProblem.of(record, problem))
        return problem_view(stored), {"Location": url_for("problems.ProblemById", problem_id=stored.id)}


@blp.route("/<uuid:problem_id>")
class ProblemById(MethodView):
    @blp.response(200, ProblemSchema)
    @blp.errors(401, 404)
    def get(self, problem_id):
        """Read a problem"""
        stored = store().find(problem_id)
        authorize_problem(stored)
        return problem_view(stored)


@blp.route("/<uuid:problem_id>/solution")
class Solution(MethodView):
    @blp.response(200, SolutionSchema)
    @blp.errors(401, 403, 404)
    def get(self, problem_id):
        """Read a problem's solution

        The exact values and the worked steps: instructors always, anyone
        for a practice problem."""
        stored = store().find(problem_id)
        authorize_solution(stored)
        return {"answers": stored.problem.answers, "steps": stored.problem.steps}
