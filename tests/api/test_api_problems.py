"""Templates, problems and solutions over HTTP (docs/api.md §3, §4)."""

from __future__ import annotations

import pytest
from api_helpers import DEFAULT_POLICY, MISSING_ID, PART_1, assert_problem

from problems import TEMPLATES


def test_templates_lists_every_template_in_order(client):
    response = client.get("/api/v1/templates")
    assert response.status_code == 200
    assert [t["id"] for t in response.json] == ["elbo-gap", "tight-bound", "beta-elbo", "iwae-bound"]
    for listed in response.json:
        template = TEMPLATES[listed["id"]]
        assert listed == {
            "id": template.id,
            "title": template.title,
            "description": template.description,
            "answer_keys": list(template.answer_keys),
            "difficulties": ["easy", "standard", "hard"],
            # The catalogue: each mistake with the asked keys it can affect, in the asked order.
            "mistakes": [
                {"code": code, "keys": [key for key in template.answer_keys if key in mistake.keys],
                 "explanation": mistake.explanation}
                for code, mistake in template.mistakes.items()
                if set(template.answer_keys) & mistake.keys
            ],
        }


def test_seeded_problem_is_created_with_location_and_the_contract_view(client):
    response = client.post(
        "/api/v1/problems", json={"template": "elbo-gap", "seed": 12345, "difficulty": "standard"}
    )
    assert response.status_code == 201
    problem = response.json
    assert response.headers["Location"] == f"/api/v1/problems/{problem['id']}"
    assert set(problem) == {
        "id",
        "template",
        "seed",
        "difficulty",
        "params",
        "statement",
        "parts",
        "policy",
        "created_at",
    }
    assert (problem["template"], problem["seed"], problem["difficulty"]) == ("elbo-gap", 12345, "standard")
    assert [part["key"] for part in problem["parts"]] == list(TEMPLATES["elbo-gap"].answer_keys)
    assert problem["policy"] == DEFAULT_POLICY
    assert set(problem["params"]) == {"p_z1", "p_x1_given_z0", "p_x1_given_z1", "x", "q_z1"}
    assert client.get(response.headers["Location"]).json == problem


def test_same_seed_gives_same_params(client):
    body = {"template": "tight-bound", "seed": 7, "difficulty": "hard"}
    first, second = (client.post("/api/v1/problems", json=body).json for _ in range(2))
    assert first["id"] != second["id"]
    assert first["params"] == second["params"]
    assert first["params"]["q_z1"] is None


def test_without_seed_the_service_picks_one_and_returns_it(client):
    picked = client.post("/api/v1/problems", json={"template": "elbo-gap"}).json
    assert isinstance(picked["seed"], int) and 0 <= picked["seed"] < 2**53
    assert picked["difficulty"] == "standard"
    again = client.post("/api/v1/problems", json={"template": "elbo-gap", "seed": picked["seed"]}).json
    assert again["params"] == picked["params"]


def test_authored_params_need_an_instructor_and_have_no_seed(client, instructor):
    body = {"template": "elbo-gap", "params": PART_1}
    assert_problem(client.post("/api/v1/problems", json=body), 401)
    response = client.post("/api/v1/problems", json=body, headers=instructor)
    assert response.status_code == 201
    assert response.json["params"] == PART_1
    assert (response.json["seed"], response.json["difficulty"]) == (None, None)


def test_authored_params_may_be_numbers_read_as_decimals(client, instructor):
    params = {**PART_1, "p_z1": 0.5, "p_x1_given_z0": 0.3, "q_z1": "3/5"}
    response = client.post(
        "/api/v1/problems", json={"template": "elbo-gap", "params": params}, headers=instructor
    )
    assert response.json["params"] == PART_1


@pytest.mark.parametrize(
    "params, field",
    [
        ({**PART_1, "p_z1": "1.5"}, "p_z1"),
        ({**PART_1, "q_z1": None}, "q_z1"),
        ({**PART_1, "p_x1_given_z1": "abc"}, "p_x1_given_z1"),
        ({**PART_1, "x": 2}, "x"),
        ({**PART_1, "x": True}, "x"),
        ({**PART_1, "surprise": 1}, "surprise"),
        ({k: v for k, v in PART_1.items() if k != "p_z1"}, "p_z1"),
    ],
)
def test_invalid_params_are_422_per_param(client, instructor, params, field):
    response = client.post(
        "/api/v1/problems", json={"template": "elbo-gap", "params": params}, headers=instructor
    )
    assert field in assert_problem(response, 422)["errors"]["params"]


def test_tight_bound_refuses_an_encoder(client, instructor):
    response = client.post(
        "/api/v1/problems", json={"template": "tight-bound", "params": PART_1}, headers=instructor
    )
    assert "q_z1" in assert_problem(response, 422)["errors"]["params"]


def test_authored_params_with_seed_or_difficulty_are_422(client, instructor):
    body = {"template": "elbo-gap", "params": PART_1, "seed": 1, "difficulty": "easy"}
    errors = assert_problem(client.post("/api/v1/problems", json=body, headers=instructor), 422)["errors"]
    assert set(errors) == {"seed", "difficulty"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "template"),
        ({"template": "nope"}, "template"),
        ({"template": "elbo-gap", "difficulty": "brutal"}, "difficulty"),
        ({"template": "elbo-gap", "seed": -1}, "seed"),
        ({"template": "elbo-gap", "seed": 2**63}, "seed"),
        ({"template": "elbo-gap", "seed": 1.5}, "seed"),
        ({"template": "elbo-gap", "seed": "1"}, "seed"),
        ({"template": "elbo-gap", "colour": "red"}, "colour"),
    ],
)
def test_invalid_problem_fields_are_422(client, body, field):
    assert field in assert_problem(client.post("/api/v1/problems", json=body), 422)["errors"]


def test_a_body_that_is_not_an_object_is_422(client):
    assert_problem(client.post("/api/v1/problems", json=["elbo-gap"]), 422)


@pytest.mark.parametrize(
    "policy, field",
    [
        ({"abs_tol": -0.1}, "abs_tol"),
        ({"rel_tol": -1}, "rel_tol"),
        ({"follow_through_credit": 1.5}, "follow_through_credit"),
        ({"follow_through_credit": -0.5}, "follow_through_credit"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 2.5}, "max_attempts"),
        ({"attempt_penalty": 2}, "attempt_penalty"),
        ({"feedback": "none"}, "feedback"),
        ({"abs_tol": "0.1"}, "abs_tol"),
        ({"bonus": 1}, "bonus"),
    ],
)
def test_invalid_policy_is_422_per_field(client, policy, field):
    response = client.post("/api/v1/problems", json={"template": "elbo-gap", "policy": policy})
    assert field in assert_problem(response, 422)["errors"]["policy"]


def test_policy_is_stored_with_defaults_filled(client):
    policy = {"max_attempts": 3, "attempt_penalty": 0.25, "feedback": "hints"}
    problem = client.post("/api/v1/problems", json={"template": "elbo-gap", "policy": policy}).json
    assert problem["policy"] == {**DEFAULT_POLICY, **policy}


def test_solution_gives_exact_values_and_steps_in_key_order(client):
    problem = client.post("/api/v1/problems", json={"template": "elbo-gap", "seed": 3}).json
    response = client.get(f"/api/v1/problems/{problem['id']}/solution")
    assert response.status_code == 200
    solution = response.json
    assert list(solution["answers"]) == list(TEMPLATES["elbo-gap"].answer_keys)
    for answer in solution["answers"].values():
        assert set(answer) == {"exact", "latex", "value"}
        assert isinstance(answer["value"], float)
    assert solution["steps"] and all(set(step) == {"title", "keys", "lines"} for step in solution["steps"])


def test_practice_page_part_1_solution(client, make_problem, practice_cases):
    problem = make_problem(params=PART_1)
    answers = client.get(f"/api/v1/problems/{problem['id']}/solution").json["answers"]
    assert answers["marginal"]["exact"] == "3/5"
    assert answers["log_marginal"]["exact"] == "log(3/5)"
    for key, value in practice_cases["exact"]["part 1"].items():
        if isinstance(value, float):
            assert answers[key]["value"] == pytest.approx(value, abs=1e-9)


def test_solution_is_readable_in_hints_mode(client):
    problem = client.post(
        "/api/v1/problems", json={"template": "elbo-gap", "policy": {"feedback": "hints"}}
    ).json
    assert client.get(f"/api/v1/problems/{problem['id']}/solution").status_code == 200


@pytest.mark.parametrize("path", ["", "/solution"])
def test_unknown_problem_is_404(client, path):
    assert_problem(client.get(f"/api/v1/problems/{MISSING_ID}{path}"), 404)
