"""What every template of the binary model shares: the five contract params
(drawn, authored, as JSON and as a JSON schema), the model's values, the
mistake catalogue, the follow-through formulas and how keys are written.

A template of the model subclasses `BinaryTemplate` and says where its
encoder q(z = 1 | x) comes from, what it asks and how its worked solution
runs.
"""

from __future__ import annotations

import math
import random
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import replace
from fractions import Fraction
from functools import cache
from typing import Any

from . import mistakes, model
from .errors import InvalidParams
from .exact import Exact
from .figures import ElboFigure
from .model import Params
from .numbers import parse_probability
from .template import FollowThrough, Quantity, Template

TENTHS = tuple(Fraction(k, 10) for k in range(1, 10))
# Two-decimal values that are not also one-decimal values.
HUNDREDTHS = tuple(Fraction(k, 100) for k in range(1, 100) if k % 10)
HALF = Fraction(1, 2)

PROBABILITIES = ("p_z1", "p_x1_given_z0", "p_x1_given_z1")
PARAM_NAMES = (*PROBABILITIES, "x", "q_z1")

_NUMBER_OR_STRING = {"oneOf": [{"type": "number"}, {"type": "string"}]}
# The params as authored (numbers or strings) and as `Params.to_json` writes them (strings).
PARAMS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "p_z1": _NUMBER_OR_STRING,
        "p_x1_given_z0": _NUMBER_OR_STRING,
        "p_x1_given_z1": _NUMBER_OR_STRING,
        "x": {"type": "integer", "enum": [0, 1]},
        "q_z1": {**_NUMBER_OR_STRING, "nullable": True, "default": None},
    },
    "required": ["p_x1_given_z0", "p_x1_given_z1", "p_z1", "x"],
    "additionalProperties": False,
}

# How feedback names each key, for the observation x.
QUANTITIES = {
    "marginal": Quantity("p(x = {x})"),
    "log_marginal": Quantity("ln p(x = {x})"),
    "posterior": Quantity("p(z = 1 | x = {x})"),
    "reconstruction": Quantity("E_q[ln p(x = {x} | z)]", "reconstruction term"),
    "kl_prior": Quantity("KL(q ‖ p(z))"),
    "elbo": Quantity(noun="ELBO"),
    "gap": Quantity("ln p(x = {x}) - ELBO", "gap"),
    "kl_posterior": Quantity("KL(q ‖ p(z | x = {x}))"),
}


def _observation(raw: object) -> int:
    if isinstance(raw, bool) or raw not in (0, 1):
        raise ValueError("must be the integer 0 or 1")
    return 1 if raw == 1 else 0


# The student's inputs may leave a formula undefined: refuse those, not crash.
def as_probability(value: float) -> float:
    """The value if it is a probability strictly between 0 and 1, else ValueError."""
    if not 0 < value < 1:
        raise ValueError("not a probability")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("not positive")
    return value


def _posterior(params: Params[Fraction], given: Mapping[str, float]) -> float:
    _, likelihood_z1 = params.likelihoods()
    return model.posterior(float(params.p_z1), float(likelihood_z1), _positive(given["marginal"]))


# Contract §2: how the keys every template of the model asks follow from their inputs.
FOLLOW_THROUGH: Mapping[str, FollowThrough[Params[Fraction]]] = {
    "log_marginal": FollowThrough(("marginal",), lambda params, given: math.log(_positive(given["marginal"]))),
    "posterior": FollowThrough(("marginal",), _posterior),
    "elbo": FollowThrough(("reconstruction", "kl_prior"),
                          lambda params, given: model.elbo(given["reconstruction"], given["kl_prior"])),
    "gap": FollowThrough(("log_marginal", "elbo"),
                         lambda params, given: model.gap(given["log_marginal"], given["elbo"])),
}


class BinaryTemplate(Template[Params[Fraction]]):
    """A template of the binary model; subclasses set what it asks and where q comes from."""

    mistakes = mistakes.MISTAKES
    params_schema = PARAMS_SCHEMA

    def figure(self, params: Params[Fraction]) -> ElboFigure:
        """ELBO(q) under ln p(x): the marginal and the posterior exact, then floats for drawing."""
        likelihood_z0, likelihood_z1 = params.likelihoods()
        marginal = model.marginal(params.p_z1, likelihood_z0, likelihood_z1)
        posterior = model.posterior(params.p_z1, likelihood_z1, marginal)
        return ElboFigure(float(params.p_z1), float(likelihood_z0), float(likelihood_z1), math.log(marginal),
                          float(posterior), float(Fraction(self.encoder(params, posterior))))

    @abstractmethod
    def encoder(self, params: Params[Any], posterior: Any) -> Any:
        """q(z = 1 | x) for this variant, given its posterior (exact or float, like the params)."""

    @abstractmethod
    def draw_encoder(self, rng: random.Random, values: tuple[Fraction, ...]) -> Fraction | None:
        """The variant's q_z1, drawn last from `rng` among the difficulty's values (or None)."""

    @abstractmethod
    def parse_encoder(self, raw: object) -> Fraction | None:
        """The authored q_z1 (None if absent or null); ValueError says what is allowed."""

    def draw(self, rng: random.Random, difficulty: str) -> Params[Fraction]:
        values = HUNDREDTHS if difficulty == "hard" else TENTHS
        easy = difficulty == "easy"
        p_z1 = HALF if easy else rng.choice(values)
        p_x1_given_z0 = rng.choice(values)
        p_x1_given_z1 = rng.choice(values)
        x = 1 if easy else rng.choice((0, 1))
        return Params(p_z1, p_x1_given_z0, p_x1_given_z1, x, self.draw_encoder(rng, values))

    def valid(self, params: Params[Fraction]) -> bool:
        # Equal decoder values make the observation say nothing about z.
        return params.p_x1_given_z0 != params.p_x1_given_z1

    def parse_params(self, raw: Mapping[str, object]) -> Params[Fraction]:
        errors = {name: f"is not a param; the params are {', '.join(PROBABILITIES)}, x and q_z1"
                  for name in sorted(set(raw) - set(PARAM_NAMES))}
        readers: dict[str, Callable[[object], Any]] = {
            **dict.fromkeys(PROBABILITIES, parse_probability), "q_z1": self.parse_encoder, "x": _observation,
        }
        parsed: dict[str, Any] = {}
        for name, read in readers.items():
            try:
                parsed[name] = read(raw.get(name))
            except ValueError as error:
                errors[name] = str(error)
        if errors:
            raise InvalidParams(errors)
        return Params(**parsed)

    def params_from_json(self, data: Mapping[str, Any]) -> Params[Fraction]:
        return Params.from_json(dict(data))

    def evaluate(self, params: Params[Any], ln: model.Log) -> dict[str, Any]:
        """Every quantity of the model for this variant, with the given logarithm."""
        return model.evaluate(params, lambda posterior: self.encoder(params, posterior), ln)

    def solve(self, params: Params[Fraction]) -> dict[str, Exact]:
        # A value that is exactly zero (the gap of the tight bound) is written 0.
        values = self.evaluate(params, Exact.ln)
        return {key: Exact.of(values[key]).simplified() for key in self.answer_keys}

    def approximate(self, params: Params[Fraction]) -> dict[str, float]:
        values = self.evaluate(params.as_floats(), math.log)
        return {key: values[key] for key in self.answer_keys}

    def mistake_values(self, params: Params[Fraction]) -> dict[str, dict[str, tuple[float, ...]]]:
        return mistakes.mistake_values(params, self.encoder, self.answer_keys)

    def quantity(self, key: str, params: Params[Fraction]) -> Quantity:
        return _quantity(key, params.x)


@cache  # 16 values at most; asked for every graded part and its inputs
def _quantity(key: str, x: int) -> Quantity:
    named = QUANTITIES[key]
    return replace(named, symbol=named.symbol.format(x=x))
