"""Every named mistake of contract §6 is diagnosed, on many variants.

The mistaken values are computed here from the model's definitions with
Python's math, independently of the engine's catalogue.
"""

from __future__ import annotations

import math

import pytest

from grader import INCORRECT, grade
from problems import generate_params, make_problem


def _model(params, template):
    """The correct quantities, written out from the definitions."""
    prior1 = float(params.p_z1)
    a, b = float(params.p_x1_given_z0), float(params.p_x1_given_z1)
    l0, l1 = (a, b) if params.x == 1 else (1 - a, 1 - b)
    px = (1 - prior1) * l0 + prior1 * l1
    post = l1 * prior1 / px
    q = post if template == "tight-bound" else float(params.q_z1)
    rec = (1 - q) * math.log(l0) + q * math.log(l1)
    kl_prior = (1 - q) * math.log((1 - q) / (1 - prior1)) + q * math.log(q / prior1)
    kl_post = (1 - q) * math.log((1 - q) / (1 - post)) + q * math.log(q / post)
    return dict(prior1=prior1, a=a, b=b, l0=l0, l1=l1, px=px, post=post, q=q, rec=rec, kl_prior=kl_prior,
                kl_post=kl_post, elbo=rec - kl_prior, gap=math.log(px) - (rec - kl_prior))


def _log_base_10(m, key):
    values = {"log_marginal": math.log(m["px"]), "reconstruction": m["rec"], "kl_prior": m["kl_prior"],
              "elbo": m["elbo"], "gap": m["gap"], "kl_posterior": m["kl_post"]}
    return values[key] / math.log(10)


def _complement_missed(m, key):
    px1 = (1 - m["prior1"]) * m["a"] + m["prior1"] * m["b"]
    return {"marginal": px1, "posterior": m["b"] * m["prior1"] / px1,
            "reconstruction": (1 - m["q"]) * math.log(m["a"]) + m["q"] * math.log(m["b"])}[key]


MISTAKEN = {
    "log_base": _log_base_10,
    "kl_reversed": lambda m, key: (
        (1 - m["prior1"]) * math.log((1 - m["prior1"]) / (1 - m["q"])) + m["prior1"] * math.log(m["prior1"] / m["q"])
        if key == "kl_prior" else
        (1 - m["post"]) * math.log((1 - m["post"]) / (1 - m["q"])) + m["post"] * math.log(m["post"] / m["q"])),
    "kl_added": lambda m, key: m["rec"] + m["kl_prior"],
    "gap_sign": lambda m, key: -m["gap"],
    "complement_missed": _complement_missed,
    "posterior_unnormalized": lambda m, key: m["l1"] * m["prior1"],
    "posterior_wrong_state": lambda m, key: 1 - m["post"],
    "prior_ignored": lambda m, key: (m["l0"] + m["l1"]) / 2,
    "not_log": lambda m, key: m["px"],
    "percent": lambda m, key: 100 * (m["px"] if key == "marginal" else m["post"]),
}

KEYS = {
    "log_base": ["log_marginal", "reconstruction", "kl_prior", "elbo", "gap", "kl_posterior"],
    "kl_reversed": ["kl_prior", "kl_posterior"],
    "kl_added": ["elbo"],
    "gap_sign": ["gap"],
    "complement_missed": ["marginal", "posterior", "reconstruction"],
    "posterior_unnormalized": ["posterior"],
    "posterior_wrong_state": ["posterior"],
    "prior_ignored": ["marginal"],
    "not_log": ["log_marginal"],
    "percent": ["marginal", "posterior"],
}

CASES = [(code, key, template, x)
         for code, keys in KEYS.items() for key in keys
         for template in ("elbo-gap", "tight-bound")
         for x in (0, 1)
         if key in make_problem(template, generate_params(template, 0)).answer_keys
         and not (code == "complement_missed" and x == 1)
         # The tight gap is 0: a sign or a log base changes nothing there.
         and not (template == "tight-bound" and key == "gap")]


def _correct(m, key):
    return {"marginal": m["px"], "log_marginal": math.log(m["px"]), "posterior": m["post"], "reconstruction": m["rec"],
            "kl_prior": m["kl_prior"], "elbo": m["elbo"], "gap": m["gap"], "kl_posterior": m["kl_post"]}[key]


def _applies(code, key, m):
    """A mistake applies where it changes the value (no prior to ignore under a uniform prior, say)."""
    return abs(MISTAKEN[code](m, key) - _correct(m, key)) > 1e-9


@pytest.mark.parametrize(("code", "key", "template", "x"), CASES)
def test_mistaken_value_is_diagnosed(code, key, template, x):
    checked = 0
    for difficulty in ("standard", "hard"):
        for seed in range(400):
            params = generate_params(template, seed, difficulty)
            if params.x != x:
                continue
            m = _model(params, template)
            if not _applies(code, key, m):
                continue
            value = round(MISTAKEN[code](m, key), 4)
            part = next(p for p in grade(make_problem(template, params), {key: value}).parts if p.key == key)
            assert part.status == INCORRECT, (seed, difficulty)
            assert code in part.misconceptions, (seed, difficulty, part.misconceptions)
            checked += 1
    assert checked >= 100


def test_a_correct_part_lists_no_mistake_even_when_one_is_close():
    # The page's own variant: KL reversed (0.0204) lies within tolerance of KL (0.0201).
    from problems import parse_params
    problem = make_problem("elbo-gap", parse_params("elbo-gap", {
        "p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}))
    part = grade(problem, {"kl_prior": 0.0204}).parts[4]
    assert part.status == "correct" and part.misconceptions == ()
