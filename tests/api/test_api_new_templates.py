"""The templates beyond the page (contract §16) over HTTP: listed, made seeded and authored, their
solutions, and graded submissions with follow-through and their own named mistakes."""

from __future__ import annotations

import math

import pytest
from api_helpers import assert_problem, submit

MODEL = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}
BETA = {**MODEL, "beta": "2"}
IWAE = {**MODEL, "k": 2}
# Worked by hand for the practice page's model and q = 0.6.
RECONSTRUCTION = 0.4 * math.log(0.3) + 0.6 * math.log(0.9)
KL_PRIOR = 0.4 * math.log(0.8) + 0.6 * math.log(1.2)
# β = 2: q_β ∝ 0.5 · p(x | z)^(1/2), so q_β(z = 1) = sqrt(0.9) / (sqrt(0.3) + sqrt(0.9)) = sqrt(3) / (1 + sqrt(3)).
OPTIMAL_Q = math.sqrt(3) / (1 + math.sqrt(3))
MAXIMUM = 2 * math.log(0.5 * math.sqrt(0.3) + 0.5 * math.sqrt(0.9))
# k = 2: w(0) = 0.15 / 0.4, w(1) = 0.45 / 0.6; the draws are (0, 0), one of each, (1, 1).
W0, W1 = 0.375, 0.75
IWAE_2 = 0.16 * math.log(W0) + 0.48 * math.log((W0 + W1) / 2) + 0.36 * math.log(W1)


def _make(client, instructor, template, params):
    response = client.post("/api/v1/problems", json={"template": template, "params": params}, headers=instructor)
    assert response.status_code == 201, response.json
    return response.json


def test_both_are_listed_with_their_keys_and_difficulties(client):
    listed = {template["id"]: template for template in client.get("/api/v1/templates").json}
    assert listed["beta-elbo"]["answer_keys"] == ["reconstruction", "kl_prior", "beta_elbo", "optimal_q",
                                                  "optimal_beta_elbo"]
    assert listed["iwae-bound"]["answer_keys"] == ["weight_z0", "weight_z1", "elbo", "iwae", "log_marginal",
                                                   "iwae_gap"]
    assert all(listed[name]["difficulties"] == ["easy", "standard", "hard"] for name in ("beta-elbo", "iwae-bound"))


# The codes each catalogue must hold, and keys each must apply to (docs/api.md §16).
REQUIRED_MISTAKES = {
    "beta-elbo": {"beta_ignored": ["beta_elbo", "optimal_q", "optimal_beta_elbo"],
                  "beta_on_reconstruction": ["beta_elbo"], "kl_reversed": ["kl_prior"],
                  "log_base": ["reconstruction", "kl_prior"]},
    "iwae-bound": {"k_ignored": ["iwae"], "log_of_mean": ["iwae"], "weight_inverted": ["weight_z0", "weight_z1"],
                   "log_base": ["elbo", "iwae", "log_marginal"]},
}


@pytest.mark.parametrize("template", sorted(REQUIRED_MISTAKES))
def test_each_is_listed_with_its_catalogue_of_named_mistakes(client, template):
    listed = {t["id"]: t for t in client.get("/api/v1/templates").json}[template]
    catalogue = {mistake["code"]: mistake for mistake in listed["mistakes"]}
    for code, keys in REQUIRED_MISTAKES[template].items():
        assert set(keys) <= set(catalogue[code]["keys"])
        assert catalogue[code]["explanation"]
    assert all(set(mistake["keys"]) <= set(listed["answer_keys"]) and mistake["keys"] for mistake in catalogue.values())


@pytest.mark.parametrize("template, extra", [("beta-elbo", "beta"), ("iwae-bound", "k")])
@pytest.mark.parametrize("difficulty", ["easy", "standard", "hard"])
def test_seeded_problems_are_made_the_same_way_twice(client, template, extra, difficulty):
    body = {"template": template, "seed": 31, "difficulty": difficulty}
    first, second = (client.post("/api/v1/problems", json=body) for _ in range(2))
    assert first.status_code == 201, first.json
    assert first.json["params"] == second.json["params"]
    assert set(first.json["params"]) == {*MODEL, extra}
    assert isinstance(first.json["params"][extra], str if extra == "beta" else int)


def test_an_authored_beta_elbo_is_solved_exactly(client, instructor):
    problem = _make(client, instructor, "beta-elbo", BETA)
    assert problem["params"] == BETA
    # The page's q = 0.6 against the prior 0.5: KL(q ‖ p) ≈ 0.0201 and KL(p ‖ q) ≈ 0.0204 cannot be told apart.
    assert problem["undetectable"] == [{"mistake": "kl_reversed", "key": "kl_prior"}]
    assert "posterior collapse" in problem["statement"]
    solution = client.get(f"/api/v1/problems/{problem['id']}/solution", headers=instructor).json
    answers = solution["answers"]
    assert answers["optimal_q"]["exact"] == "1/2*(9/10)**(1/2)/(1/2*(3/10)**(1/2) + 1/2*(9/10)**(1/2))"
    assert answers["optimal_q"]["value"] == pytest.approx(OPTIMAL_Q, rel=1e-15)
    assert answers["optimal_beta_elbo"]["value"] == pytest.approx(MAXIMUM, rel=1e-15)
    assert answers["optimal_beta_elbo"]["latex"].startswith("2 \\ln{\\left(")
    assert set(answers["optimal_q"]) == {"exact", "latex", "value"}


def test_a_beta_elbo_submission_with_follow_through_and_named_mistakes(client, instructor):
    problem = _make(client, instructor, "beta-elbo", BETA)
    answers = {"reconstruction": f"{RECONSTRUCTION:.4f}", "kl_prior": "0.05",
               "beta_elbo": f"{RECONSTRUCTION - 2 * 0.05:.4f}",
               "optimal_q": "0.75",  # the posterior: β ignored
               "optimal_beta_elbo": f"{math.log(0.6):.4f}"}  # ln p(x): β ignored again
    parts = {part["key"]: part for part in submit(client, problem, answers).json["parts"]}
    assert parts["reconstruction"]["status"] == "correct"
    assert parts["beta_elbo"]["status"] == "follow_through"
    assert "your KL(q ‖ p(z)) = 0.05, which is wrong" in parts["beta_elbo"]["feedback"]
    assert parts["optimal_q"]["misconceptions"] == ["beta_ignored"]
    assert parts["optimal_beta_elbo"]["misconceptions"] == ["beta_ignored"]
    assert "value for β = 1" in parts["optimal_q"]["feedback"]
    right = {"reconstruction": RECONSTRUCTION, "kl_prior": KL_PRIOR, "beta_elbo": RECONSTRUCTION - 2 * KL_PRIOR,
             "optimal_q": OPTIMAL_Q, "optimal_beta_elbo": MAXIMUM}
    graded = submit(client, problem, {key: f"{value:.4f}" for key, value in right.items()}).json
    assert graded["score"] == 1.0
    assert graded["parts"][3]["feedback"].startswith("Correct: the optimal encoder q_β(z = 1 | x = 1) ≈ 0.6340")


def test_an_authored_iwae_bound_is_graded(client, instructor):
    problem = _make(client, instructor, "iwae-bound", IWAE)
    solution = client.get(f"/api/v1/problems/{problem['id']}/solution", headers=instructor).json
    assert solution["answers"]["weight_z0"]["exact"] == "3/8"
    assert solution["answers"]["iwae"]["value"] == pytest.approx(IWAE_2, rel=1e-14)
    assert [step["keys"] for step in solution["steps"]] == [["weight_z0", "weight_z1"], ["elbo"], ["iwae"],
                                                            ["log_marginal", "iwae_gap"]]
    elbo = 0.4 * math.log(W0) + 0.6 * math.log(W1)
    answers = {"weight_z0": "0.375", "weight_z1": "0.75", "elbo": f"{elbo:.4f}",
               "iwae": f"{elbo:.4f}",  # the one-sample bound: k ignored
               "log_marginal": "ln(0.6)", "iwae_gap": f"{math.log(0.6) - elbo:.4f}"}
    parts = {part["key"]: part for part in submit(client, problem, answers).json["parts"]}
    assert parts["iwae"]["misconceptions"] == ["k_ignored"]
    assert "one-sample bound" in parts["iwae"]["feedback"]
    # The gap follows from the student's own ln p(x) and bound, and names its own mistake too.
    assert parts["iwae_gap"]["status"] == "follow_through"
    log_of_mean = submit(client, problem, {"iwae": "ln(0.6)"}).json["parts"][3]
    assert log_of_mean["misconceptions"] == ["log_of_mean"]


def test_an_authored_variant_reports_its_undetectable_mistakes(client, instructor):
    # q next to the posterior 0.75: every bound is within the tolerance of ln p(x).
    problem = _make(client, instructor, "iwae-bound", {**IWAE, "q_z1": "0.74"})
    assert {"mistake": "log_of_mean", "key": "iwae"} in problem["undetectable"]


@pytest.mark.parametrize("template, params, field, words", [
    ("beta-elbo", {**BETA, "beta": "0"}, "beta", "must lie between 0.1 and 10, got 0"),
    ("beta-elbo", MODEL, "beta", "Missing data for required field."),
    ("iwae-bound", {**IWAE, "k": 7}, "k", "must be an integer from 1 to 6, the number of draws"),
    ("iwae-bound", {**IWAE, "k": "2"}, "k", "Not a valid integer."),
    ("iwae-bound", {**IWAE, "q_z1": None}, "q_z1", "Field may not be null."),
])
def test_invalid_params_are_422_per_param(client, instructor, template, params, field, words):
    response = client.post("/api/v1/problems", json={"template": template, "params": params}, headers=instructor)
    assert assert_problem(response, 422)["errors"]["params"] == {field: [words]}
