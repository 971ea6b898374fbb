"""The `beta-elbo` template: the β-ELBO of a given encoder, the encoder that maximises it, and its maximum.

For any q, E_q[ln p(x | z)] - β · KL(q ‖ p(z)) = β · ln Z - β · KL(q ‖ q_β), with
q_β(z | x) = p(z) · p(x | z)^(1/β) / Z and Z = Σ_z p(z) · p(x | z)^(1/β): the maximum is
β · ln Z, at q_β. In log-odds q_β is the prior's plus 1/β times the log-likelihood ratio, so
β = 1 gives the posterior and a larger β moves q_β toward the prior (posterior collapse).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import Any

from . import extended, model, statement
from .binary import as_probability
from .exact import Exact
from .figures import BetaCurve, BetaFigure
from .mistakes import MISTAKES
from .model import Params
from .numbers import parse_rational, rational_text
from .powers import beta_optimum, exponent_text
from .steps import Context, Step, chain, complement_lines, elbo_lines, show, stage
from .template import ExactValue, FollowThrough, Mistake, Quantity, Template

BETA_ELBO = "beta-elbo"
# 1/β an integer up to 10 at most: exact powers of the params stay short.
MIN_BETA, MAX_BETA = Fraction(1, 10), Fraction(10)
LOG_KEYS = frozenset({"reconstruction", "kl_prior", "beta_elbo", "optimal_beta_elbo"})
OPTIMUM_KEYS = frozenset({"beta_elbo", "optimal_q", "optimal_beta_elbo"})
# The figure's curves are drawn through q = k/200 (and the points that matter).
FIGURE_STEPS = 200


@dataclass(frozen=True)
class BetaParams:
    """The binary model with a given encoder, and the weight β of the KL term."""

    model: Params[Fraction]
    beta: Fraction

    def to_json(self) -> dict[str, Any]:
        return {**self.model.to_json(), "beta": rational_text(self.beta)}


def _read_beta(raw: object) -> Fraction:
    if raw is None:
        raise ValueError("is required: a positive rational such as \"2\" or \"1/2\"")
    value = parse_rational(raw)
    if not MIN_BETA <= value <= MAX_BETA:
        raise ValueError(f"must lie between {rational_text(MIN_BETA)} and {rational_text(MAX_BETA)}, got {raw}")
    return value


BETA = extended.Extra(
    "beta", {"oneOf": [{"type": "number"}, {"type": "string"}]}, _read_beta,
    # β = 1 would be the plain ELBO; both sides of it from standard on (β < 1 sharpens past the posterior).
    {"easy": (Fraction(2),), "standard": (Fraction(1, 2), Fraction(2), Fraction(3)),
     "hard": (Fraction(1, 2), Fraction(2), Fraction(3), Fraction(4))},
)


def _tilted(prior: float, likelihoods: tuple[float, float], exponent: float) -> tuple[float, float]:
    """p(z) · p(x | z)^exponent for z = 0 and z = 1: Z's two terms at exponent 1/β."""
    return (1 - prior) * likelihoods[0] ** exponent, prior * likelihoods[1] ** exponent


def _values(params: Params[float], beta: float, ln: Callable[[float], float] = math.log,
            likelihoods: tuple[float, float] | None = None) -> dict[str, float]:
    """Every key in floats; a mistake is often this with one ingredient wrong (log, β, likelihoods)."""
    likelihood_z0, likelihood_z1 = likelihoods or params.likelihoods()
    q = extended.given_q(params)
    reconstruction = model.reconstruction(q, likelihood_z0, likelihood_z1, ln)
    kl_prior = model.kl(q, params.p_z1, ln)
    tilted_z0, tilted_z1 = _tilted(params.p_z1, (likelihood_z0, likelihood_z1), 1 / beta)
    return {"reconstruction": reconstruction, "kl_prior": kl_prior, "beta_elbo": reconstruction - beta * kl_prior,
            "optimal_q": tilted_z1 / (tilted_z0 + tilted_z1), "optimal_beta_elbo": beta * ln(tilted_z0 + tilted_z1)}


def _beta_elbo(floats: Params[float], beta: float, q: float) -> float:
    """The β-ELBO of the encoder q by its definition, which equals β · ln Z at the optimum."""
    likelihood_z0, likelihood_z1 = floats.likelihoods()
    return model.reconstruction(q, likelihood_z0, likelihood_z1, math.log) - beta * model.kl(q, floats.p_z1, math.log)


def _beta_elbo_at(params: BetaParams, given: Mapping[str, float]) -> float:
    # The β-ELBO at the student's own optimal q.
    return _beta_elbo(params.model.as_floats(), float(params.beta), as_probability(given["optimal_q"]))


MISTAKES_OF_BETA: dict[str, Mistake] = {
    mistake.code: mistake
    for mistake in (
        replace(MISTAKES["log_base"], keys=LOG_KEYS),
        replace(MISTAKES["kl_reversed"], keys=frozenset({"kl_prior"})),
        Mistake("kl_added", frozenset({"beta_elbo"}),
                "The KL term was added. The β-ELBO is the reconstruction term minus β times KL(q ‖ p(z))."),
        replace(MISTAKES["complement_missed"], keys=frozenset({"reconstruction", "optimal_q", "optimal_beta_elbo"})),
        Mistake("beta_ignored", OPTIMUM_KEYS,
                "This is the value for β = 1: the plain ELBO, the posterior or ln p(x). "
                "Here the KL term is weighted by β, and the optimum uses p(x | z)^(1/β)."),
        Mistake("beta_on_reconstruction", frozenset({"beta_elbo"}),
                "Here β multiplies the reconstruction term. It weights the KL term: "
                "reconstruction - β · KL(q ‖ p(z))."),
        Mistake("beta_divides_kl", frozenset({"beta_elbo"}),
                "Here the KL term is divided by β. The β-ELBO multiplies it by β: reconstruction - β · KL(q ‖ p(z))."),
        Mistake("power_inverted", frozenset({"optimal_q", "optimal_beta_elbo"}),
                "This uses p(x | z)^β. The optimum raises the likelihood to the power 1/β: "
                "q_β(z | x) is proportional to p(z) · p(x | z)^(1/β)."),
        Mistake("optimum_unnormalized", frozenset({"optimal_q"}),
                "This is p(z = 1) · p(x | z = 1)^(1/β), not divided by Z, the sum of that term over both states of z."),
        Mistake("optimum_wrong_state", frozenset({"optimal_q"}),
                "This is q_β(z = 0 | x), the optimal encoder's mass on the other state; the question asks for z = 1."),
        Mistake("beta_factor_missed", frozenset({"optimal_beta_elbo"}),
                "This is ln Z without the factor β. The maximum of the β-ELBO is β · ln Z."),
    )
}


class BetaElbo(Template[BetaParams]):
    """The β-ELBO for a given encoder, then the encoder that maximises it and the maximum."""

    id = BETA_ELBO
    title = "The β-ELBO and posterior collapse"
    description = (
        "Weight the KL term of the ELBO by β, as a β-VAE does: find the reconstruction term, the KL divergence "
        "to the prior and the β-ELBO for a given encoder, then the encoder that maximises the β-ELBO and its "
        "value there. As β grows the optimal encoder moves from the posterior toward the prior: posterior "
        "collapse."
    )
    answer_keys = ("reconstruction", "kl_prior", "beta_elbo", "optimal_q", "optimal_beta_elbo")
    mistakes = MISTAKES_OF_BETA
    follow_through = {
        "beta_elbo": FollowThrough(("reconstruction", "kl_prior"), lambda params, given: model.elbo(
            given["reconstruction"], float(params.beta) * given["kl_prior"])),
        "optimal_beta_elbo": FollowThrough(("optimal_q",), _beta_elbo_at),
    }
    params_schema = BETA.params_schema

    def draw(self, rng: random.Random, difficulty: str) -> BetaParams:
        return BetaParams(*BETA.draw(rng, difficulty))

    def valid(self, params: BetaParams) -> bool:
        return extended.valid(params.model)

    def parse_params(self, raw: Mapping[str, object]) -> BetaParams:
        return BetaParams(*BETA.parse(raw))

    def params_from_json(self, data: Mapping[str, Any]) -> BetaParams:
        return BetaParams(Params.from_json(dict(data)), Fraction(data["beta"]))

    def solve(self, params: BetaParams) -> dict[str, ExactValue]:
        return dict(_solve(params))  # a copy: the cache must not change

    def approximate(self, params: BetaParams) -> dict[str, float]:
        return _values(params.model.as_floats(), float(params.beta))

    def statement(self, params: BetaParams) -> str:
        x, beta = params.model.x, rational_text(params.beta)
        return statement.statement(params.model, (
            f"An encoder proposes $q(z = 1 \\mid x = {x}) = {rational_text(extended.given_q(params.model))}$. "
            f"A β-VAE weights the KL term by $\\beta = {beta}$: the β-ELBO is "
            f"$\\mathbb{{E}}_q[\\ln p(x = {x} \\mid z)] - \\beta \\, \\mathrm{{KL}}(q \\,\\|\\, p(z))$. Find the "
            "reconstruction term, the KL divergence to the prior and the β-ELBO for this encoder; then the "
            "encoder $q_\\beta(z = 1 \\mid x = " f"{x})$ that maximises the β-ELBO, and the β-ELBO there.\n\n"
            "At $\\beta = 1$ this is the ELBO, maximised by the posterior, where it equals $\\ln p(x)$. A larger "
            "β charges more for moving q away from the prior, so the optimal encoder gives up some of what the "
            "observation says about z: as β grows it moves from the posterior toward the prior. This is "
            "posterior collapse, the price of the KL weight in a β-VAE."
        ))

    def prompts(self, params: BetaParams) -> dict[str, str]:
        x = params.model.x
        shared = statement.prompts(params.model, "the given encoder")
        return {
            "reconstruction": shared["reconstruction"],
            "kl_prior": shared["kl_prior"],
            "beta_elbo": "The β-ELBO of the given encoder: the reconstruction term minus β times the KL divergence.",
            "optimal_q": f"The encoder that maximises the β-ELBO, $q_\\beta(z = 1 \\mid x = {x})$.",
            "optimal_beta_elbo": "The β-ELBO at that optimal encoder, its maximum.",
        }

    def steps(self, params: BetaParams) -> tuple[Step, ...]:
        return _steps(params)

    def mistake_values(self, params: BetaParams) -> dict[str, dict[str, tuple[float, ...]]]:
        floats, beta = params.model.as_floats(), float(params.beta)
        return extended.mistake_table(_values(floats, beta), _mistakes(floats, beta))

    def figure(self, params: BetaParams) -> BetaFigure:
        floats, own = params.model.as_floats(), float(params.beta)
        # β from 1/4 to 8 in steps of √2 (so β = 1 and the seeded 1/2, 2 and 4 are among them), and the variant's.
        betas = sorted({2 ** (j / 2) for j in range(-4, 7)} | {own})
        optima = [_values(floats, beta) for beta in betas]
        given = extended.given_q(floats)
        # The grid holds the prior, the variant's q and every maximiser, so those values are the answers' own.
        grid = tuple(sorted({k / FIGURE_STEPS for k in range(1, FIGURE_STEPS)} | {given, floats.p_z1}
                            | {optimum["optimal_q"] for optimum in optima}))
        curves = tuple(
            BetaCurve(beta, tuple(_beta_elbo(floats, beta, q) for q in grid), optimum["optimal_q"],
                      optimum["optimal_beta_elbo"], optimum["beta_elbo"])
            for beta, optimum in zip(betas, optima, strict=True))
        return BetaFigure(floats.p_z1, extended.posterior(floats), given, grid, curves, betas.index(own))

    def quantity(self, key: str, params: BetaParams) -> Quantity:
        x = params.model.x
        own = {
            "beta_elbo": Quantity(noun="β-ELBO"),
            "optimal_q": Quantity(f"q_β(z = 1 | x = {x})", "optimal encoder"),
            "optimal_beta_elbo": Quantity("β-ELBO(q_β)", "maximum"),
        }
        return own[key] if key in own else extended.quantity(key, params.model)


def _mistakes(floats: Params[float], beta: float) -> Iterator[extended.Produced]:
    right = _values(floats, beta)
    yield from extended.log_base_values(lambda ln: _values(floats, beta, ln), LOG_KEYS)
    q, prior = extended.given_q(floats), floats.p_z1
    yield "kl_reversed", "kl_prior", model.kl(prior, q, math.log)
    yield "kl_added", "beta_elbo", right["reconstruction"] + beta * right["kl_prior"]
    if floats.x == 0:
        wrong = _values(floats, beta, likelihoods=(floats.p_x1_given_z0, floats.p_x1_given_z1))
        yield from (("complement_missed", key, wrong[key]) for key in MISTAKES_OF_BETA["complement_missed"].keys)
    plain = _values(floats, 1.0)
    yield from (("beta_ignored", key, plain[key]) for key in OPTIMUM_KEYS)
    yield "beta_on_reconstruction", "beta_elbo", beta * right["reconstruction"] - right["kl_prior"]
    yield "beta_divides_kl", "beta_elbo", right["reconstruction"] - right["kl_prior"] / beta
    powered_z0, powered_z1 = _tilted(prior, floats.likelihoods(), beta)
    yield "power_inverted", "optimal_q", powered_z1 / (powered_z0 + powered_z1)
    yield "power_inverted", "optimal_beta_elbo", beta * math.log(powered_z0 + powered_z1)
    tilted_z0, tilted_z1 = _tilted(prior, floats.likelihoods(), 1 / beta)
    yield "optimum_unnormalized", "optimal_q", tilted_z1
    yield "optimum_wrong_state", "optimal_q", 1 - right["optimal_q"]
    yield "beta_factor_missed", "optimal_beta_elbo", math.log(tilted_z0 + tilted_z1)


@lru_cache(maxsize=4096)  # the same few variants recur across a class's problems
def _solve(params: BetaParams) -> dict[str, ExactValue]:
    binary, beta = params.model, params.beta
    likelihood_z0, likelihood_z1 = binary.likelihoods()
    q = extended.given_q(binary)
    reconstruction = model.reconstruction(q, likelihood_z0, likelihood_z1, Exact.ln)
    kl_prior = model.kl(q, binary.p_z1, Exact.ln)
    optimal_q, optimal_beta_elbo = beta_optimum(binary.p_z1, likelihood_z0, likelihood_z1, beta)
    return {"reconstruction": reconstruction, "kl_prior": kl_prior,
            "beta_elbo": model.elbo(reconstruction, kl_prior * beta),
            "optimal_q": optimal_q, "optimal_beta_elbo": optimal_beta_elbo}


def _power(base: Fraction, exponent: Fraction) -> Fraction | float:
    """base^exponent, exact where the exponent is an integer (β = 1/n)."""
    return base ** exponent.numerator if exponent.denominator == 1 else float(base) ** float(exponent)


# Z's two terms p(z = 0) · p(x | z = 0)^(1/β) and p(z = 1) · p(x | z = 1)^(1/β).
Tilted = tuple[Fraction | float, Fraction | float]


def _exact_tilted(params: BetaParams) -> Tilted:
    """Z's two terms for the steps, worked out once: exact where 1/β is an integer."""
    binary, exponent = params.model, 1 / params.beta
    likelihood_z0, likelihood_z1 = binary.likelihoods()
    return (1 - binary.p_z1) * _power(likelihood_z0, exponent), binary.p_z1 * _power(likelihood_z1, exponent)


def _optimum_lines(params: BetaParams, tilted: Tilted) -> tuple[list[str], list[str]]:
    binary, beta = params.model, params.beta
    x, prior, exponent = binary.x, binary.p_z1, 1 / params.beta
    power = exponent_text(exponent)
    likelihoods = binary.likelihoods()
    normaliser = tilted[0] + tilted[1]
    optimal_q = tilted[1] / normaliser
    posterior = extended.posterior(binary)
    derivation = (
        f"For any q: β-ELBO(q) = E_q[ln p(x = {x} | z)] - β · KL(q ‖ p(z)) = β · ln Z - β · KL(q ‖ q_β), where "
        f"q_β(z | x = {x}) = p(z) · p(x = {x} | z)^(1/β) / Z and Z = p(z = 0) · p(x = {x} | z = 0)^(1/β) "
        f"+ p(z = 1) · p(x = {x} | z = 1)^(1/β). A KL divergence is never negative and is 0 only when the two "
        "distributions agree, so q_β maximises the β-ELBO and the maximum is β · ln Z."
    )
    terms = " and ".join(
        chain(f"p(z = {z}) · p(x = {x} | z = {z})^{power}", stage(f"{{}} · {{}}^{power}", show(weight),
                                                                   show(likelihood)), stage("{}", show(value)))
        for z, weight, likelihood, value in zip((0, 1), (1 - prior, prior), likelihoods, tilted, strict=True))
    numbers = [
        f"With β = {rational_text(beta)}, 1/β = {rational_text(exponent)}: {terms}.",
        chain("Z", stage("{} + {}", show(tilted[0]), show(tilted[1])), stage("{}", show(normaliser))),
        chain(f"q_β(z = 1 | x = {x}) = p(z = 1) · p(x = {x} | z = 1)^{power} / Z",
              stage("{} / {}", show(tilted[1]), show(normaliser)), stage("{}", show(optimal_q))),
    ]
    odds = ("In log-odds, ln(q_β(z = 1 | x) / q_β(z = 0 | x)) = ln(p(z = 1) / p(z = 0)) "
            "+ (1/β) · ln(p(x | z = 1) / p(x | z = 0)): the prior's log-odds plus 1/β times the evidence. "
            "At β = 1 that is Bayes' rule, so q_β is the posterior")
    if beta > 1:
        where = (f"with β = {rational_text(beta)} > 1 the evidence counts less, so q_β lies between the posterior "
                 f"p(z = 1 | x = {x}) = {show(posterior).text} and the prior p(z = 1) = {show(prior).text}, "
                 "and the larger β, the closer to the prior: posterior collapse.")
    elif beta < 1:
        where = (f"with β = {rational_text(beta)} < 1 the evidence counts more, so q_β lies beyond the posterior "
                 f"p(z = 1 | x = {x}) = {show(posterior).text}, further from the prior p(z = 1) = "
                 f"{show(prior).text}.")
    else:
        where = f"here β = 1, and q_β is the posterior p(z = 1 | x = {x}) = {show(posterior).text}."
    symbolic = [
        derivation,
        f"q_β(z = 1 | x = {x}) = p(z = 1) · p(x = {x} | z = 1)^(1/β) / Z",
        f"{odds}; as β grows, q_β moves from the posterior toward the prior (posterior collapse).",
    ]
    return [derivation, *numbers, f"{odds}; {where}"], symbolic


def _maximum_lines(params: BetaParams, values: Mapping[str, float],
                   tilted: Tilted) -> tuple[list[str], list[str]]:
    binary, beta = params.model, params.beta
    x = binary.x
    normaliser = tilted[0] + tilted[1]
    maximum = chain("β-ELBO(q_β) = β · ln Z", stage("{} · ln({})", show(beta), show(normaliser)),
                    stage("{} · {}", show(beta), show(math.log(normaliser))),
                    stage("{}", show(values["optimal_beta_elbo"])))
    marginal = model.marginal(binary.p_z1, *binary.likelihoods())
    compare = (f"It is at least the β-ELBO of the given encoder, {show(values['beta_elbo']).text}, as a maximum "
               f"must be. At β = 1 it would be ln p(x = {x}) = ln({show(marginal).text}) ≈ "
               f"{show(math.log(marginal)).text}: the tight ELBO.")
    symbolic = [
        "β-ELBO(q_β) = β · ln Z",
        "No encoder has a larger β-ELBO; at β = 1 the maximum is ln p(x), the tight ELBO.",
    ]
    return [maximum, compare], symbolic


@lru_cache(maxsize=1024)
def _steps(params: BetaParams) -> tuple[Step, ...]:
    binary, beta = params.model, params.beta
    values = _values(binary.as_floats(), float(beta))
    ctx = Context(binary, extended.evaluate(binary), extended.given_q(binary))
    complement, complement_symbolic = complement_lines(ctx)
    elbo, elbo_symbolic = elbo_lines(ctx)
    beta_line = chain("β-ELBO = reconstruction - β · KL",
                      stage("{} - {} · {}", show(values["reconstruction"]), show(beta), show(values["kl_prior"])),
                      stage("{}", show(values["beta_elbo"])))
    tilted = _exact_tilted(params)
    optimum, optimum_symbolic = _optimum_lines(params, tilted)
    maximum, maximum_symbolic = _maximum_lines(params, values, tilted)
    return (
        Step("β-ELBO for the given encoder", "β-ELBO = reconstruction - β · KL to the prior",
             ("reconstruction", "kl_prior", "beta_elbo"), (*complement, *elbo[:3], beta_line),
             (*complement_symbolic, *elbo_symbolic[:3], "β-ELBO = reconstruction - β · KL(q ‖ p(z))")),
        Step("The encoder that maximises the β-ELBO", "β-ELBO = β · ln Z - β · KL(q ‖ q_β)", ("optimal_q",),
             tuple(optimum), tuple(optimum_symbolic)),
        Step("The maximum β-ELBO", "maximum = β · ln Z", ("optimal_beta_elbo",), tuple(maximum),
             tuple(maximum_symbolic)),
    )


TEMPLATE = BetaElbo()
