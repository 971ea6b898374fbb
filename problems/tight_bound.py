"""The `tight-bound` template: the encoder set to the true posterior closes the gap (part 2 of the page)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from . import model, statement
from .binary import FOLLOW_THROUGH, BinaryTemplate, as_probability
from .model import Params
from .steps import (
    Context,
    Step,
    complement_lines,
    elbo_lines,
    log_marginal_line,
    marginal_lines,
    posterior_line,
    show,
)
from .template import FollowThrough

TIGHT_BOUND = "tight-bound"


# q is the student's own posterior, so the ELBO's terms follow from it.
def _reconstruction(params: Params[Fraction], given: Mapping[str, float]) -> float:
    likelihood_z0, likelihood_z1 = params.likelihoods()
    return model.reconstruction(as_probability(given["posterior"]), likelihood_z0, likelihood_z1, math.log)


def _kl_prior(params: Params[Fraction], given: Mapping[str, float]) -> float:
    return model.kl(as_probability(given["posterior"]), float(params.p_z1), math.log)


def _tight_lines(ctx: Context) -> tuple[list[str], list[str]]:
    x = ctx.x
    log_line, log_symbolic = log_marginal_line(ctx)
    gap = (f"Gap: ln p(x = {x}) - ELBO = 0 exactly. With q equal to the posterior, KL(q ‖ p(z | x = {x})) = 0, "
           f"so the ELBO equals ln p(x = {x}): the bound is tight.")
    symbolic = f"Gap: ln p(x = {x}) - ELBO = KL(q ‖ p(z | x = {x})), which is 0 when q is the posterior."
    return [log_line, gap], [log_symbolic, symbolic]


class TightBound(BinaryTemplate):
    """The ELBO recomputed with q set to the posterior: it equals ln p(x)."""

    id = TIGHT_BOUND
    title = "The tight bound: encoder equal to the posterior"
    description = (
        "Set the encoder to the true posterior, recompute the reconstruction term, the KL "
        "divergence to the prior and the ELBO, and confirm that the ELBO now equals ln p(x): "
        "the gap closes."
    )
    answer_keys: tuple[str, ...] = ("posterior", "reconstruction", "kl_prior", "elbo", "log_marginal", "gap")
    identities = frozenset({frozenset({"elbo", "log_marginal"})})
    follow_through = {
        **FOLLOW_THROUGH,
        "reconstruction": FollowThrough(("posterior",), _reconstruction),
        "kl_prior": FollowThrough(("posterior",), _kl_prior),
    }

    def encoder(self, params: Params[Any], posterior: Any) -> Any:
        return posterior

    def draw_encoder(self, rng: random.Random, values: tuple[Fraction, ...]) -> None:
        return None

    def parse_encoder(self, raw: object) -> None:
        if raw is not None:
            raise ValueError(f"must be null in {TIGHT_BOUND}: the encoder is set to the true posterior")
        return None

    def statement(self, params: Params[Fraction]) -> str:
        x = params.x
        return statement.statement(params, (
            f"Take the encoder to be the true posterior, $q(z \\mid x = {x}) = p(z \\mid x = {x})$. "
            "Find that posterior, then the reconstruction term, the KL divergence to the prior and the "
            f"ELBO, and compare the ELBO with $\\ln p(x = {x})$: how large is the gap?"
        ))

    def prompts(self, params: Params[Fraction]) -> dict[str, str]:
        return statement.prompts(params, "the encoder set to the posterior")

    def follow_through_note(self, key: str, params: Params[Fraction], hints: bool) -> str | None:
        # A gap that follows from the student's own ln p(x) and ELBO but is not 0 still shows a mistake.
        if key != "gap":
            return None
        if hints:
            return (f"With q equal to the posterior, the ELBO must equal ln p(x = {params.x}), "
                    "so this gap comes from an earlier mistake")
        return "With q equal to the posterior, the gap must be 0, so a gap other than 0 comes from an earlier mistake"

    def steps(self, params: Params[Fraction]) -> tuple[Step, ...]:
        # With float logs the marginal and the posterior stay exact rationals.
        values = self.evaluate(params, math.log)
        ctx = Context(params, values, values["posterior"])
        x = ctx.x
        complement, complement_symbolic = complement_lines(ctx)
        marginal, marginal_symbolic = marginal_lines(ctx)
        posterior, posterior_symbolic = posterior_line(ctx)
        elbo, elbo_symbolic = elbo_lines(ctx)
        tight, tight_symbolic = _tight_lines(ctx)
        encoder = f"Set the encoder to it: q(z = 1 | x = {x}) = {show(ctx.q_z1).text}."
        return (
            Step("Set the encoder to the true posterior", "Bayes' rule", ("posterior",),
                 tuple(complement + marginal + [posterior, encoder]),
                 tuple(complement_symbolic + marginal_symbolic
                       + [posterior_symbolic, f"q(z | x = {x}) = p(z | x = {x})"])),
            Step("Recompute the ELBO", "ELBO = reconstruction - KL to the prior",
                 ("reconstruction", "kl_prior", "elbo"), tuple(elbo), tuple(elbo_symbolic)),
            Step("The bound is tight", "gap identity", ("log_marginal", "gap"), tuple(tight), tuple(tight_symbolic)),
        )


TEMPLATE = TightBound()
