"""The `iwae-bound` template: importance weights, the one-sample bound, the k-sample bound, ln p(x) and the gap.

With w(z) = p(x, z) / q(z | x) and z₁…z_k drawn from q, the k-sample bound is
E[ln((w(z₁) + … + w(z_k)) / k)]. Only how many draws are 1 matters, so it is
the finite sum Σ_j C(k, j) q^j (1 - q)^(k - j) ln((j·w(1) + (k - j)·w(0)) / k):
rational weights, logs of rationals, an `Exact` like the model's own answers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from math import comb
from typing import Any

from . import extended, model, statement
from .exact import Exact
from .figures import BoundFigure
from .mistakes import MISTAKES
from .model import Params
from .steps import Context, Step, chain, complement_lines, show, stage
from .template import FollowThrough, Mistake, Quantity, Template

IWAE_BOUND = "iwae-bound"
MAX_K = 6
# The figure shows k up to 10: beyond the variants' k, the bound still rising.
FIGURE_MAX_K = 10
WEIGHT_KEYS = frozenset({"weight_z0", "weight_z1"})
LOG_KEYS = frozenset({"elbo", "iwae", "log_marginal", "iwae_gap"})


@dataclass(frozen=True)
class IwaeParams:
    """The binary model with a given encoder, and the number of draws k."""

    model: Params[Fraction]
    k: int

    def to_json(self) -> dict[str, Any]:
        return {**self.model.to_json(), "k": self.k}


def _read_k(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_K:
        raise ValueError(f"must be an integer from 1 to {MAX_K}, the number of draws")
    return raw


K = extended.Extra(
    "k", {"type": "integer", "minimum": 1, "maximum": MAX_K}, _read_k,
    # k = 1 is the ELBO itself: seeded variants take k ≥ 2, so the bound has something to gain.
    {"easy": (2,), "standard": (2, 3, 4), "hard": (3, 4, 5, 6)},
)


def weights(params: Params[Any], likelihoods: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
    """w(0) and w(1): p(z) · p(x | z) / q(z | x), exact or float like the params."""
    likelihood_z0, likelihood_z1 = likelihoods or params.likelihoods()
    q = extended.given_q(params)
    return (1 - params.p_z1) * likelihood_z0 / (1 - q), params.p_z1 * likelihood_z1 / q


def bound(weight_z0: Any, weight_z1: Any, q: Any, k: int, ln: model.Log,
          coefficient: Callable[[int, int], int] = comb) -> Any:
    """E[ln mean of k weights]: j of the k draws are z = 1 with probability C(k, j) q^j (1 - q)^(k - j).

    `coefficient` is C(k, j); a mistake may drop it.
    """
    return sum(coefficient(k, j) * q ** j * (1 - q) ** (k - j) * ln((j * weight_z1 + (k - j) * weight_z0) / k)
               for j in range(k + 1))


def _values(params: Params[Any], k: int, ln: model.Log,
            likelihoods: tuple[Any, Any] | None = None) -> dict[str, Any]:
    """Every key, exact (`Exact.ln`, Fraction params) or float (`math.log`, float params)."""
    weight_z0, weight_z1 = weights(params, likelihoods)
    q = extended.given_q(params)
    # p(x) = E_q[w(z)]: the weights' mean under q is the marginal, written as the model writes it.
    likelihood_z0, likelihood_z1 = likelihoods or params.likelihoods()
    log_marginal = ln(model.marginal(params.p_z1, likelihood_z0, likelihood_z1))
    iwae = bound(weight_z0, weight_z1, q, k, ln)
    # The ELBO is the bound of one draw.
    return {"weight_z0": weight_z0, "weight_z1": weight_z1, "elbo": bound(weight_z0, weight_z1, q, 1, ln),
            "iwae": iwae, "log_marginal": log_marginal, "iwae_gap": log_marginal - iwae}


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("not positive")
    return value


def _given_weights(given: Mapping[str, float]) -> tuple[float, float]:
    # The student's own weights: a log of a weight that is not positive is undefined.
    return _positive(given["weight_z0"]), _positive(given["weight_z1"])


def _q(params: IwaeParams) -> float:
    return float(extended.given_q(params.model))


def _bound_from(params: IwaeParams, given: Mapping[str, float], k: int) -> float:
    """The k-sample bound of the student's own weights; k = 1 is the ELBO."""
    return bound(*_given_weights(given), _q(params), k, math.log)


def _log_marginal_from(params: IwaeParams, given: Mapping[str, float]) -> float:
    weight_z0, weight_z1 = _given_weights(given)
    return math.log((1 - _q(params)) * weight_z0 + _q(params) * weight_z1)


MISTAKES_OF_IWAE: dict[str, Mistake] = {
    mistake.code: mistake
    for mistake in (
        replace(MISTAKES["log_base"], keys=LOG_KEYS),
        Mistake("weight_inverted", WEIGHT_KEYS,
                "This is q(z | x) / p(x, z), the weight upside down. The importance weight is p(x, z) / q(z | x): "
                "how much more the joint gives z than the encoder does."),
        Mistake("weight_prior_missed", WEIGHT_KEYS,
                "This is p(x | z) / q(z | x): the prior is missing. The weight divides the joint "
                "p(x, z) = p(z) · p(x | z) by q(z | x)."),
        replace(MISTAKES["complement_missed"], keys=WEIGHT_KEYS | {"log_marginal"}),
        replace(MISTAKES["not_log"], keys=frozenset({"log_marginal"})),
        Mistake("k_ignored", frozenset({"iwae"}),
                "This is the one-sample bound, the ELBO. With k draws the log is taken of the mean of k weights, "
                "averaged over every way the k draws can fall."),
        Mistake("log_of_mean", frozenset({"elbo", "iwae"}),
                "This is ln E[w] = ln p(x): the log was taken after the average. The bound averages the log, "
                "E[ln w] for one draw, E[ln of the mean weight] for k, which is below ln p(x) because ln is "
                "concave."),
        Mistake("binomial_missed", frozenset({"iwae"}),
                "The binomial coefficients C(k, j) are missing. Exactly j of the k draws can be z = 1 in C(k, j) "
                "ways, each with probability q^j · (1 - q)^(k - j)."),
        Mistake("sum_not_mean", frozenset({"iwae"}),
                "This takes the log of the sum of the k weights, not their mean: it is off by ln k. "
                "The bound divides the sum by k."),
        Mistake("gap_sign", frozenset({"iwae_gap"}),
                "The sign is flipped: this is the bound minus ln p(x). The gap is ln p(x) minus the bound, "
                "never negative."),
        Mistake("gap_of_elbo", frozenset({"iwae_gap"}),
                "This is ln p(x) - ELBO, the gap of the one-sample bound. The question asks for the gap left by "
                "the k-sample bound."),
    )
}


class IwaeBound(Template[IwaeParams]):
    """Importance weights, the ELBO and the k-sample importance-weighted bound against ln p(x)."""

    id = IWAE_BOUND
    title = "The importance-weighted bound"
    description = (
        "Find the importance weights p(x, z) / q(z | x) of a given encoder, the one-sample bound (the ELBO), "
        "the bound of k importance-weighted samples exactly, ln p(x) and the gap that remains. The bound rises "
        "with k toward ln p(x)."
    )
    answer_keys = ("weight_z0", "weight_z1", "elbo", "iwae", "log_marginal", "iwae_gap")
    mistakes = MISTAKES_OF_IWAE
    follow_through = {
        "elbo": FollowThrough(("weight_z0", "weight_z1"), lambda params, given: _bound_from(params, given, 1)),
        "iwae": FollowThrough(("weight_z0", "weight_z1"),
                              lambda params, given: _bound_from(params, given, params.k)),
        "log_marginal": FollowThrough(("weight_z0", "weight_z1"), _log_marginal_from),
        "iwae_gap": FollowThrough(("log_marginal", "iwae"),
                                  lambda params, given: model.gap(given["log_marginal"], given["iwae"])),
    }
    params_schema = K.params_schema

    def draw(self, rng: random.Random, difficulty: str) -> IwaeParams:
        return IwaeParams(*K.draw(rng, difficulty))

    def valid(self, params: IwaeParams) -> bool:
        # An encoder equal to the posterior makes both weights p(x): every bound is ln p(x).
        return extended.valid(params.model)

    def parse_params(self, raw: Mapping[str, object]) -> IwaeParams:
        return IwaeParams(*K.parse(raw))

    def params_from_json(self, data: Mapping[str, Any]) -> IwaeParams:
        return IwaeParams(Params.from_json(dict(data)), int(data["k"]))

    def solve(self, params: IwaeParams) -> dict[str, Exact]:
        return dict(_solve(params))  # a copy: the cache must not change

    def approximate(self, params: IwaeParams) -> dict[str, float]:
        return _values(params.model.as_floats(), params.k, math.log)

    def figure(self, params: IwaeParams) -> BoundFigure:
        floats = params.model.as_floats()
        values = _values(floats, 1, math.log)
        bounds = tuple(bound(values["weight_z0"], values["weight_z1"], extended.given_q(floats), k, math.log)
                       for k in range(1, FIGURE_MAX_K + 1))
        return BoundFigure(bounds, values["log_marginal"], params.k)

    def statement(self, params: IwaeParams) -> str:
        x, k = params.model.x, params.k
        q = show(extended.given_q(params.model)).text
        return statement.statement(params.model, (
            f"An encoder proposes $q(z = 1 \\mid x = {x}) = {q}$. Its importance weights are "
            f"$w(z) = p(x = {x}, z) / q(z \\mid x = {x})$. Find $w(0)$ and $w(1)$, the one-sample bound "
            f"(the ELBO) $\\mathbb{{E}}_q[\\ln w(z)]$, the bound of $k = {k}$ independent draws "
            f"$z_1, \\dots, z_{k}$ from q, $\\mathbb{{E}}[\\ln \\frac{{1}}{{{k}}}\\sum_i w(z_i)]$, exactly, then "
            f"$\\ln p(x = {x})$ and the gap $\\ln p(x = {x})$ minus the {k}-sample bound.\n\n"
            "Why the bound rises with k toward $\\ln p(x)$: the mean of the k weights is an unbiased estimate of "
            "$p(x) = \\mathbb{E}_q[w(z)]$, and ln is concave, so the expected log of the mean lies below "
            "$\\ln p(x)$ (Jensen). The mean of k + 1 weights is the average of its k + 1 leave-one-out means "
            "of k, so by the same concavity its expected log is at least the k-sample bound; and as k grows the "
            "mean concentrates on p(x), so the gap closes."
        ))

    def prompts(self, params: IwaeParams) -> dict[str, str]:
        x, k = params.model.x, params.k
        return {
            "weight_z0": f"The importance weight $w(0) = p(x = {x}, z = 0) / q(z = 0 \\mid x = {x})$.",
            "weight_z1": f"The importance weight $w(1) = p(x = {x}, z = 1) / q(z = 1 \\mid x = {x})$.",
            "elbo": "The one-sample bound, the ELBO $\\mathbb{E}_q[\\ln w(z)]$.",
            "iwae": (f"The {k}-sample bound $\\mathbb{{E}}[\\ln \\frac{{1}}{{{k}}}\\sum_{{i=1}}^{{{k}}} w(z_i)]$, "
                     "exactly."),
            "log_marginal": f"The log marginal likelihood $\\ln p(x = {x})$.",
            "iwae_gap": f"The gap $\\ln p(x = {x})$ minus the {k}-sample bound.",
        }

    def steps(self, params: IwaeParams) -> tuple[Step, ...]:
        return _steps(params)

    def mistake_values(self, params: IwaeParams) -> dict[str, dict[str, tuple[float, ...]]]:
        floats, k = params.model.as_floats(), params.k
        return extended.mistake_table(_values(floats, k, math.log), _mistakes(floats, k))

    def quantity(self, key: str, params: IwaeParams) -> Quantity:
        x, k = params.model.x, params.k
        own = {
            "weight_z0": Quantity("w(0)", "importance weight"),
            "weight_z1": Quantity("w(1)", "importance weight"),
            "elbo": Quantity("E_q[ln w(z)]", "ELBO"),
            "iwae": Quantity(f"IWAE_{k}", f"{k}-sample bound"),
            "iwae_gap": Quantity(f"ln p(x = {x}) - IWAE_{k}", "gap"),
        }
        return own[key] if key in own else extended.quantity(key, params.model)


def _mistakes(floats: Params[float], k: int) -> Iterator[extended.Produced]:
    q = extended.given_q(floats)
    right = _values(floats, k, math.log)
    yield from extended.log_base_values(lambda ln: _values(floats, k, ln), LOG_KEYS)
    likelihood_z0, likelihood_z1 = floats.likelihoods()
    for key, likelihood, encoder in (("weight_z0", likelihood_z0, 1 - q), ("weight_z1", likelihood_z1, q)):
        yield "weight_inverted", key, 1 / right[key]
        yield "weight_prior_missed", key, likelihood / encoder
    if floats.x == 0:
        wrong = _values(floats, k, math.log, (floats.p_x1_given_z0, floats.p_x1_given_z1))
        yield from (("complement_missed", key, wrong[key]) for key in MISTAKES_OF_IWAE["complement_missed"].keys)
    yield "not_log", "log_marginal", math.exp(right["log_marginal"])
    yield "k_ignored", "iwae", right["elbo"]
    yield "log_of_mean", "elbo", right["log_marginal"]
    yield "log_of_mean", "iwae", right["log_marginal"]
    yield "binomial_missed", "iwae", bound(right["weight_z0"], right["weight_z1"], q, k, math.log,
                                          coefficient=lambda n, j: 1)
    yield "sum_not_mean", "iwae", right["iwae"] + math.log(k)
    yield "gap_sign", "iwae_gap", -right["iwae_gap"]
    yield "gap_of_elbo", "iwae_gap", right["log_marginal"] - right["elbo"]


@lru_cache(maxsize=4096)  # the same few variants recur across a class's problems
def _solve(params: IwaeParams) -> dict[str, Exact]:
    return {key: Exact.of(value).simplified() for key, value in _values(params.model, params.k, Exact.ln).items()}


def _weight_lines(params: IwaeParams, values: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    binary = params.model
    x, q = binary.x, extended.given_q(binary)
    lines = [
        chain(f"w({z}) = p(z = {z}) · p(x = {x} | z = {z}) / q(z = {z} | x = {x})",
              stage("{} · {} / {}", show(prior), show(likelihood), show(encoder)),
              stage("{} / {}", show(prior * likelihood), show(encoder)), stage("{}", show(values[key])))
        for z, key, prior, likelihood, encoder in zip(
            (0, 1), ("weight_z0", "weight_z1"), (1 - binary.p_z1, binary.p_z1), binary.likelihoods(), (1 - q, q),
            strict=True)
    ]
    symbolic = [f"w(z) = p(x = {x}, z) / q(z | x = {x}) = p(z) · p(x = {x} | z) / q(z | x = {x}), "
                "for z = 0 and z = 1."]
    return lines, symbolic


def _elbo_lines(params: IwaeParams, values: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    x, q = params.model.x, extended.given_q(params.model)
    w0, w1 = values["weight_z0"], values["weight_z1"]
    line = chain(f"ELBO = E_q[ln w(z)] = q(z = 0 | x = {x}) · ln w(0) + q(z = 1 | x = {x}) · ln w(1)",
                 stage("{} · ln({}) + {} · ln({})", show(1 - q), show(w0), show(q), show(w1)),
                 stage("{} · {} + {} · {}", show(1 - q), show(math.log(w0)), show(q), show(math.log(w1))),
                 stage("{}", show(values["elbo"])))
    note = "The same as reconstruction - KL(q ‖ p(z)): ln w(z) = ln p(x | z) - ln(q(z | x) / p(z))."
    symbolic = [f"ELBO = E_q[ln w(z)] = q(z = 0 | x = {x}) · ln w(0) + q(z = 1 | x = {x}) · ln w(1)", note]
    return [line, note], symbolic


def _iwae_lines(params: IwaeParams, values: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    k, q = params.k, extended.given_q(params.model)
    w0, w1 = values["weight_z0"], values["weight_z1"]
    intro = (f"Of k = {k} independent draws from q, j are z = 1 with probability C({k}, j) · q^j · (1 - q)^({k} - j), "
             f"and then the mean weight is (j · w(1) + ({k} - j) · w(0)) / {k}. For j = 0 to {k}:")
    terms = []
    for j in range(k + 1):
        chance = comb(k, j) * q ** j * (1 - q) ** (k - j)
        mean = (j * w1 + (k - j) * w0) / k
        terms.append(chain(f"j = {j}: C({k}, {j}) · {show(q).wrapped}^{j} · {show(1 - q).wrapped}^{k - j}",
                           stage("{}", show(chance)))
                     + "; " + chain("mean weight", stage(f"({j} · {{}} + {k - j} · {{}}) / {k}", show(w1), show(w0)),
                                    stage("{}", show(mean)))
                     + "; " + chain("ln", stage("{}", show(math.log(mean)))))
    total = chain(f"IWAE_{k} = Σ_j probability · ln(mean weight)", stage("{}", show(values["iwae"])))
    compare = (f"It lies above the ELBO, {show(values['elbo']).text}: averaging {k} weights before the log "
               "loses less to the log's concavity than one weight does.")
    symbolic = [
        f"IWAE_{k} = Σ_j C({k}, j) · q(z = 1 | x)^j · q(z = 0 | x)^({k} - j) "
        f"· ln((j · w(1) + ({k} - j) · w(0)) / {k}), for j = 0 to {k}",
        "The k-sample bound is never below the ELBO and rises with k.",
    ]
    return [intro, *terms, total, compare], symbolic


def _gap_lines(params: IwaeParams, values: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    binary, k = params.model, params.k
    x, q = binary.x, extended.given_q(binary)
    marginal = model.marginal(binary.p_z1, *binary.likelihoods())
    lines = [
        chain(f"p(x = {x}) = E_q[w(z)] = q(z = 0 | x = {x}) · w(0) + q(z = 1 | x = {x}) · w(1)",
              stage("{} · {} + {} · {}", show(1 - q), show(values["weight_z0"]), show(q), show(values["weight_z1"])),
              stage("{}", show(marginal))),
        chain(f"ln p(x = {x})", stage("ln({})", show(marginal)), stage("{}", show(values["log_marginal"]))),
        chain(f"Gap: ln p(x = {x}) - IWAE_{k}", stage("{} - {}", show(values["log_marginal"]), show(values["iwae"])),
              stage("{}", show(values["iwae_gap"]))),
        (f"The bound stays below ln p(x = {x}), as Jensen's inequality requires, and the gap shrinks as k grows: "
         f"with one draw it is ln p(x = {x}) - ELBO ≈ {show(values['log_marginal'] - values['elbo']).text}."),
    ]
    symbolic = [
        f"p(x = {x}) = E_q[w(z)] = q(z = 0 | x = {x}) · w(0) + q(z = 1 | x = {x}) · w(1): the weights' mean is p(x).",
        f"ln p(x = {x}) is the natural log of that mean; the gap is ln p(x = {x}) - IWAE_{k}.",
        "Jensen's inequality: E[ln of the mean weight] ≤ ln E[mean weight] = ln p(x).",
    ]
    return lines, symbolic


@lru_cache(maxsize=1024)
def _steps(params: IwaeParams) -> tuple[Step, ...]:
    binary = params.model
    # Exact rationals for the weights (and the marginal), float logs for the rest.
    values = _values(binary, params.k, math.log)
    complement, complement_symbolic = complement_lines(Context(binary, values, extended.given_q(binary)))
    weight, weight_symbolic = _weight_lines(params, values)
    elbo, elbo_symbolic = _elbo_lines(params, values)
    iwae, iwae_symbolic = _iwae_lines(params, values)
    gap, gap_symbolic = _gap_lines(params, values)
    return (
        Step("Importance weights", "w(z) = p(x, z) / q(z | x)", ("weight_z0", "weight_z1"),
             (*complement, *weight), (*complement_symbolic, *weight_symbolic)),
        Step("The one-sample bound", "ELBO = E_q[ln w(z)]", ("elbo",), tuple(elbo), tuple(elbo_symbolic)),
        Step(f"The {params.k}-sample bound", "IWAE_k = E[ln of the mean of k weights]", ("iwae",),
             tuple(iwae), tuple(iwae_symbolic)),
        Step("ln p(x) and the remaining gap", "p(x) = E_q[w(z)]", ("log_marginal", "iwae_gap"),
             tuple(gap), tuple(gap_symbolic)),
    )


TEMPLATE = IwaeBound()
