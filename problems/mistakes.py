"""The named mistakes of the binary model (contract §6) and the values they produce.

The grader diagnoses a wrong part by matching it against these values, and the
variant generator uses them to make sure every mistake stays detectable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from fractions import Fraction
from typing import Any

from . import model
from .model import Params
from .template import Mistake

# Keys whose value is a log (in nats): the ones a wrong log base changes.
LOG_KEYS = frozenset({"log_marginal", "reconstruction", "kl_prior", "elbo", "gap", "kl_posterior"})

MISTAKES: dict[str, Mistake] = {
    mistake.code: mistake
    for mistake in (
        Mistake("log_base", LOG_KEYS,
                "This is the value with log base 10 or 2. Every log here is natural (ln), in nats."),
        Mistake("kl_reversed", frozenset({"kl_prior", "kl_posterior"}),
                "This is KL(p ‖ q): the divergence is weighted by the other distribution. "
                "KL(q ‖ p) averages ln(q/p) under q, the encoder."),
        Mistake("kl_added", frozenset({"elbo"}),
                "The KL term was added. The ELBO is the reconstruction term minus KL(q ‖ p(z))."),
        Mistake("gap_sign", frozenset({"gap"}),
                "The sign is flipped: this is ELBO - ln p(x). The gap is ln p(x) - ELBO, never negative."),
        Mistake("complement_missed", frozenset({"marginal", "posterior", "reconstruction"}),
                "The decoder's p(x = 1 | z) was used, but the observation is x = 0: "
                "use p(x = 0 | z) = 1 - p(x = 1 | z)."),
        Mistake("posterior_unnormalized", frozenset({"posterior"}),
                "This is p(x | z = 1) · p(z = 1), the joint. Divide it by p(x) to get the posterior."),
        Mistake("posterior_wrong_state", frozenset({"posterior"}),
                "This is p(z = 0 | x), the posterior of the other state; the question asks for z = 1."),
        Mistake("prior_ignored", frozenset({"marginal"}),
                "This is the plain average of the two decoder values. Weight each by its prior probability."),
        Mistake("not_log", frozenset({"log_marginal"}),
                "This is p(x) itself; the question asks for its natural log."),
        Mistake("percent", frozenset({"marginal", "posterior"}),
                "This is a percentage. Give the probability as a number between 0 and 1."),
    )
}

def log_in_base(base: float) -> Callable[[float], float]:
    """The logarithm in ``base``: what a student who used the wrong log computes."""
    return lambda value: math.log(value, base)


def mistake_values(params: Params[Fraction], encoder: Callable[[Params[Any], Any], Any],
                   answer_keys: Collection[str]) -> dict[str, dict[str, tuple[float, ...]]]:
    """For each answer key, the value(s) each applicable mistake gives for it.

    `encoder` gives q(z = 1 | x) from the params and the posterior, as the
    template does. A mistake applies only where its value differs from the
    correct one (the prior being ignored changes nothing under a uniform prior).
    """
    floats = params.as_floats()

    def evaluate(ln: Callable[[float], float]) -> dict[str, float]:
        return model.evaluate(floats, lambda posterior: encoder(floats, posterior), ln)

    right = evaluate(math.log)
    produced: dict[str, dict[str, list[float]]] = {key: {} for key in answer_keys}

    def add(code: str, key: str, value: float) -> None:
        if key in produced and not same_value(value, right[key]):
            produced[key].setdefault(code, []).append(value)

    for base in (10.0, 2.0):
        for key, value in evaluate(log_in_base(base)).items():
            if key in LOG_KEYS:
                add("log_base", key, value)

    likelihood_z0, likelihood_z1 = floats.likelihoods()
    q_z1 = encoder(floats, right["posterior"])
    add("kl_reversed", "kl_prior", model.kl(floats.p_z1, q_z1, math.log))
    add("kl_reversed", "kl_posterior", model.kl(right["posterior"], q_z1, math.log))
    add("kl_added", "elbo", right["reconstruction"] + right["kl_prior"])
    add("gap_sign", "gap", -right["gap"])
    if floats.x == 0:
        wrong_z0, wrong_z1 = floats.p_x1_given_z0, floats.p_x1_given_z1
        wrong_marginal = model.marginal(floats.p_z1, wrong_z0, wrong_z1)
        add("complement_missed", "marginal", wrong_marginal)
        add("complement_missed", "posterior", model.posterior(floats.p_z1, wrong_z1, wrong_marginal))
        add("complement_missed", "reconstruction", model.reconstruction(q_z1, wrong_z0, wrong_z1, math.log))
    add("posterior_unnormalized", "posterior", likelihood_z1 * floats.p_z1)
    add("posterior_wrong_state", "posterior", 1 - right["posterior"])
    add("prior_ignored", "marginal", (likelihood_z0 + likelihood_z1) / 2)
    add("not_log", "log_marginal", right["marginal"])
    add("percent", "marginal", 100 * right["marginal"])
    add("percent", "posterior", 100 * right["posterior"])
    return {key: {code: tuple(values) for code, values in codes.items()} for key, codes in produced.items()}


def same_value(a: float, b: float) -> bool:
    """Equal up to float noise."""
    # Float noise only: a mistake that changes nothing exactly does not apply.
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))
