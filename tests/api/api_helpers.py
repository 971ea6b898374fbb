"""Helpers shared by the API tests (fixtures live in conftest.py)."""

from __future__ import annotations

MISSING_ID = "00000000-0000-4000-8000-000000000000"
PART_1 = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}
# The practice page's part-1 answers, to 4 decimals.
PART_1_ANSWERS = {
    "marginal": 0.6,
    "log_marginal": -0.5108,
    "posterior": 0.75,
    "reconstruction": -0.5448,
    "kl_prior": 0.0201,
    "elbo": -0.5649,
    "gap": 0.0541,
    "kl_posterior": 0.0541,
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int) -> dict:
    """The response is a problem+json error of this status; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def submit(client, problem, answers, headers=None, **fields):
    return client.post(
        f"/api/v1/problems/{problem['id']}/submissions",
        json={"answers": answers, **fields},
        headers=headers or {},
    )


def listing(client, problem, headers=None, **query):
    return client.get(
        f"/api/v1/problems/{problem['id']}/submissions", query_string=query, headers=headers or {}
    )


def set_path(problem_set_id: str, suffix: str = "") -> str:
    return f"/api/v1/problem-sets/{problem_set_id}{suffix}"


def exact_answers(client, instructor, problem_id: str) -> dict:
    """The problem's exact values as JSON numbers: a submission scoring 1."""
    solution = client.get(f"/api/v1/problems/{problem_id}/solution", headers=instructor).json
    return {key: answer["value"] for key, answer in solution["answers"].items()}


# Contract §4: the policy a problem gets when none is given.
DEFAULT_POLICY = {
    "abs_tol": 0.0005,
    "rel_tol": 0.001,
    "follow_through_credit": 1.0,
    "max_attempts": None,
    "attempt_penalty": 0.0,
    "feedback": "full",
    # Practice problems stay readable by anyone (contract §12).
    "solution": "always",
}
