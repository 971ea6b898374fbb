"""Named mistakes a policy cannot detect (contract §12): the practice page's
own params, seeded variants (never any), and authored params where each
mistake in turn passes for the right answer, checked against values
computed here from the formulas of §2 and §6."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from grader import Policy
from grader.undetectable import Undetectable, undetectable
from problems import DIFFICULTIES, TEMPLATES, generate_params, make_problem, parse_params

PAGE = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}
LOOSE = {"abs_tol": 1.0, "rel_tol": 1.0}


def _kl(q: float, p: float, ln) -> float:
    return (1 - q) * ln((1 - q) / (1 - p)) + q * ln(q / p)


def _values(p: dict, q: float | None, ln, likelihoods=None) -> dict[str, float]:
    """Every key of §2, with the log `ln`, the encoder q (None: the posterior) and the decoder's
    likelihoods of the observation (by default the right ones)."""
    l0, l1 = likelihoods or _likelihoods(p)
    marginal = (1 - p["p_z1"]) * l0 + p["p_z1"] * l1
    posterior = l1 * p["p_z1"] / marginal
    q = posterior if q is None else q
    reconstruction = (1 - q) * ln(l0) + q * ln(l1)
    kl_prior = _kl(q, p["p_z1"], ln)
    elbo = reconstruction - kl_prior
    return {"marginal": marginal, "log_marginal": ln(marginal), "posterior": posterior,
            "reconstruction": reconstruction, "kl_prior": kl_prior, "elbo": elbo,
            "gap": ln(marginal) - elbo, "kl_posterior": _kl(q, posterior, ln), "q": q}


def _likelihoods(p: dict) -> tuple[float, float]:
    if p["x"] == 1:
        return p["p_x1_given_z0"], p["p_x1_given_z1"]
    return 1 - p["p_x1_given_z0"], 1 - p["p_x1_given_z1"]


def expected_undetectable(template: str, raw: dict, policy: Policy) -> list[dict[str, str]]:
    """The contract's list, from the formulas: each mistake's value for each asked key,
    where it differs from the right one, within the policy's tolerance of it."""
    p = {name: float(Fraction(value)) if name != "x" else value for name, value in raw.items() if value is not None}
    q = None if template == "tight-bound" else p["q_z1"]
    right = _values(p, q, math.log)
    mistaken: dict[str, dict[str, list[float]]] = {}

    def add(code: str, key: str, value: float) -> None:
        mistaken.setdefault(key, {}).setdefault(code, []).append(value)

    for base in (10.0, 2.0):
        logged = _values(p, q, lambda v, base=base: math.log(v, base))
        for key in ("log_marginal", "reconstruction", "kl_prior", "elbo", "gap", "kl_posterior"):
            add("log_base", key, logged[key])
    add("kl_reversed", "kl_prior", _kl(p["p_z1"], right["q"], math.log))
    add("kl_reversed", "kl_posterior", _kl(right["posterior"], right["q"], math.log))
    add("kl_added", "elbo", right["reconstruction"] + right["kl_prior"])
    add("gap_sign", "gap", -right["gap"])
    if p["x"] == 0:
        wrong = _values(p, q, math.log, (p["p_x1_given_z0"], p["p_x1_given_z1"]))
        add("complement_missed", "marginal", wrong["marginal"])
        add("complement_missed", "posterior", wrong["posterior"])
        reconstruction = (1 - right["q"]) * math.log(p["p_x1_given_z0"]) + right["q"] * math.log(p["p_x1_given_z1"])
        add("complement_missed", "reconstruction", reconstruction)
    l0, l1 = _likelihoods(p)
    add("posterior_unnormalized", "posterior", l1 * p["p_z1"])
    add("posterior_wrong_state", "posterior", 1 - right["posterior"])
    add("prior_ignored", "marginal", (l0 + l1) / 2)
    add("not_log", "log_marginal", right["marginal"])
    add("percent", "marginal", 100 * right["marginal"])
    add("percent", "posterior", 100 * right["posterior"])

    found = []
    for key in TEMPLATES[template].answer_keys:
        e = right[key]
        for code, values in mistaken.get(key, {}).items():
            # A mistake that changes nothing is no mistake (a uniform prior ignored, say).
            applies = [v for v in values if abs(v - e) > 1e-12 * max(1.0, abs(v), abs(e))]
            if any(abs(v - e) <= policy.abs_tol + policy.rel_tol * abs(e) for v in applies):
                found.append({"mistake": code, "key": key})
    return found


def _found(template: str, raw: dict, policy: Policy) -> list[dict[str, str]]:
    problem = make_problem(template, parse_params(template, raw))
    return [mistake.to_json() for mistake in undetectable(problem, policy)]


def test_the_practice_pages_params_hide_the_reversed_kl():
    assert _found("elbo-gap", PAGE, Policy()) == [{"mistake": "kl_reversed", "key": "kl_prior"}]
    assert expected_undetectable("elbo-gap", PAGE, Policy()) == [{"mistake": "kl_reversed", "key": "kl_prior"}]


def test_a_tighter_policy_detects_it():
    assert _found("elbo-gap", PAGE, Policy(abs_tol=0.0001, rel_tol=0.0)) == []


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_seeded_variants_hide_no_mistake(template, difficulty):
    # Seeded variants are drawn gradeable under the default tolerance (§3).
    for seed in range(250):
        problem = make_problem(template, generate_params(template, seed, difficulty), seed, difficulty)
        assert undetectable(problem, Policy()) == (), (template, difficulty, seed)


# Authored params where each mistake in turn passes for the right answer
# (with its policy); the expected lists are computed above, not by the engine.
AUTHORED = [
    ("log_base", "elbo-gap", {"p_z1": "0.5", "p_x1_given_z0": "0.999", "p_x1_given_z1": "0.998", "x": 1,
                              "q_z1": "0.501"}, {}),
    ("kl_reversed", "elbo-gap", PAGE, {}),
    ("kl_added", "elbo-gap", {"p_z1": "0.3", "p_x1_given_z0": "0.2", "p_x1_given_z1": "0.7", "x": 1,
                              "q_z1": "0.301"}, {}),
    ("gap_sign", "elbo-gap", {"p_z1": "0.5", "p_x1_given_z0": "0.5", "p_x1_given_z1": "0.51", "x": 1,
                              "q_z1": "0.5"}, {}),
    ("complement_missed", "elbo-gap", {"p_z1": "0.3", "p_x1_given_z0": "0.5", "p_x1_given_z1": "0.5001", "x": 0,
                                       "q_z1": "0.6"}, {}),
    ("posterior_unnormalized", "tight-bound", {"p_z1": "0.4", "p_x1_given_z0": "0.9999", "p_x1_given_z1": "0.99999",
                                               "x": 1}, {}),
    ("posterior_wrong_state", "tight-bound", {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.3001",
                                              "x": 1}, {}),
    ("prior_ignored", "elbo-gap", {"p_z1": "0.51", "p_x1_given_z0": "0.5", "p_x1_given_z1": "0.52", "x": 1,
                                   "q_z1": "0.9"}, {}),
    ("not_log", "elbo-gap", PAGE, LOOSE),
    ("percent", "elbo-gap", {"p_z1": "0.5", "p_x1_given_z0": "0.000001", "p_x1_given_z1": "0.000002", "x": 1,
                             "q_z1": "0.6"}, {}),
]


@pytest.mark.parametrize("code, template, raw, policy", AUTHORED, ids=[row[0] for row in AUTHORED])
def test_each_mistake_in_turn_is_reported_when_it_passes_for_the_right_answer(code, template, raw, policy):
    policy = Policy(**policy)
    expected = expected_undetectable(template, raw, policy)
    assert code in {entry["mistake"] for entry in expected}
    assert _found(template, raw, policy) == expected


def test_the_table_covers_every_named_mistake():
    assert {row[0] for row in AUTHORED} == set(TEMPLATES["elbo-gap"].mistakes)


def test_an_undetectable_mistake_reads_back_from_json():
    mistake = Undetectable("kl_reversed", "kl_prior")
    assert Undetectable.from_json(mistake.to_json()) == mistake
