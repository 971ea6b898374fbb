"""The `elbo-gap` template: the ELBO and its gap for a given encoder (the practice page's part 1)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from . import model, statement
from .binary import FOLLOW_THROUGH, BinaryTemplate, as_probability
from .model import N, Params
from .numbers import parse_probability, rational_text
from .steps import (
    Context,
    Step,
    chain,
    complement_lines,
    elbo_lines,
    kl_stages,
    log_marginal_line,
    marginal_lines,
    posterior_line,
    show,
    stage,
)
from .template import FollowThrough

ELBO_GAP = "elbo-gap"


def _given_q(params: Params[N]) -> N:
    """The variant's q(z = 1 | x): every elbo-gap variant gives one."""
    if params.q_z1 is None:
        raise ValueError("an elbo-gap variant gives q_z1")
    return params.q_z1


def _kl_posterior(params: Params[Fraction], given: Mapping[str, float]) -> float:
    # The given q against the student's own posterior.
    return model.kl(float(_given_q(params)), as_probability(given["posterior"]), math.log)


def _gap_lines(ctx: Context) -> tuple[list[str], list[str]]:
    x, q, v = ctx.x, ctx.q_z1, ctx.values
    posterior = v["posterior"]
    gap = chain(f"Gap: ln p(x = {x}) - ELBO",
                stage("{} - {}", show(v["log_marginal"]), show(v["elbo"])), stage("{}", show(v["gap"])))
    kl_posterior = chain(f"KL(q ‖ p(z | x = {x}))",
                         *kl_stages((1 - q, q), (1 - posterior, posterior), v["kl_posterior"]))
    check = (f"The two agree: ln p(x) - ELBO = KL(q ‖ p(z | x)), the gap identity, "
             f"so the bound falls short of ln p(x = {x}) by exactly how far q is from the true posterior.")
    symbolic = [
        f"Gap: ln p(x = {x}) - ELBO",
        f"KL(q ‖ p(z | x = {x})) = q(z = 0 | x = {x}) · ln(q(z = 0 | x = {x}) / p(z = 0 | x = {x})) "
        f"+ q(z = 1 | x = {x}) · ln(q(z = 1 | x = {x}) / p(z = 1 | x = {x}))",
        "The gap identity: ln p(x) - ELBO = KL(q ‖ p(z | x)), so the two answers must agree.",
    ]
    return [gap, kl_posterior, check], symbolic


class ElboGap(BinaryTemplate):
    """All eight keys of the model, for an encoder q that the variant gives."""

    id = ELBO_GAP
    title = "ELBO and gap for a given encoder"
    description = (
        "From a prior and a decoder over a binary latent, find the marginal likelihood of the "
        "observation and its log, the posterior by Bayes' rule, then, for a given encoder q, the "
        "reconstruction term, the KL divergence to the prior and the ELBO; finally check that "
        "ln p(x) − ELBO equals KL(q ‖ posterior)."
    )
    answer_keys: tuple[str, ...] = (
        "marginal", "log_marginal", "posterior", "reconstruction",
        "kl_prior", "elbo", "gap", "kl_posterior",
    )
    identities = frozenset({frozenset({"gap", "kl_posterior"})})
    follow_through = {**FOLLOW_THROUGH, "kl_posterior": FollowThrough(("posterior",), _kl_posterior)}

    def encoder(self, params: Params[Any], posterior: Any) -> Any:
        return _given_q(params)

    def draw_encoder(self, rng: random.Random, values: tuple[Fraction, ...]) -> Fraction:
        return rng.choice(values)

    def parse_encoder(self, raw: object) -> Fraction:
        return parse_probability(raw)

    def valid(self, params: Params[Fraction]) -> bool:
        # With q equal to the posterior the gap and KL(q ‖ posterior) are both 0: nothing to find.
        likelihood_z0, likelihood_z1 = params.likelihoods()
        posterior = model.posterior(params.p_z1, likelihood_z1,
                                    model.marginal(params.p_z1, likelihood_z0, likelihood_z1))
        return super().valid(params) and params.q_z1 != posterior

    def statement(self, params: Params[Fraction]) -> str:
        x = params.x
        return statement.statement(params, (
            f"An encoder proposes $q(z = 1 \\mid x = {x}) = {rational_text(_given_q(params))}$. Find the marginal "
            "likelihood and its log, the posterior by Bayes' rule, the reconstruction term, the KL "
            f"divergence to the prior and the ELBO; then the gap $\\ln p(x = {x}) - \\mathrm{{ELBO}}$ and "
            f"$\\mathrm{{KL}}(q \\,\\|\\, p(z \\mid x = {x}))$, which should agree."
        ))

    def prompts(self, params: Params[Fraction]) -> dict[str, str]:
        # The log is asked right after the marginal, so it may point back to it.
        return {**statement.prompts(params, "the given encoder"),
                "log_marginal": f"Its natural log, $\\ln p(x = {params.x})$."}

    def steps(self, params: Params[Fraction]) -> tuple[Step, ...]:
        # With float logs the marginal and the posterior stay exact rationals.
        ctx = Context(params, self.evaluate(params, math.log), _given_q(params))
        complement, complement_symbolic = complement_lines(ctx)
        marginal, marginal_symbolic = marginal_lines(ctx)
        log_line, log_symbolic = log_marginal_line(ctx)
        posterior, posterior_symbolic = posterior_line(ctx)
        elbo, elbo_symbolic = elbo_lines(ctx)
        gap, gap_symbolic = _gap_lines(ctx)
        return (
            Step("Marginal likelihood and its log", "sum rule", ("marginal", "log_marginal"),
                 tuple(complement + marginal + [log_line]),
                 tuple(complement_symbolic + marginal_symbolic + [log_symbolic])),
            Step("Posterior by Bayes' rule", "Bayes' rule", ("posterior",), (posterior,), (posterior_symbolic,)),
            Step("ELBO for the given encoder", "ELBO = reconstruction - KL to the prior",
                 ("reconstruction", "kl_prior", "elbo"), tuple(elbo), tuple(elbo_symbolic)),
            Step("The gap and the identity check", "gap identity", ("gap", "kl_posterior"),
                 tuple(gap), tuple(gap_symbolic)),
        )


TEMPLATE = ElboGap()
