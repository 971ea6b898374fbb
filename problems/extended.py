"""What templates beyond the page share: the binary model's params with a given
encoder (an `elbo-gap` variant) plus one param of their own.

The binary part is drawn, read and checked by `elbo-gap` itself, so its
messages and rules stay the same in every template; the extra param is drawn
last, from the difficulty's choices, so a seed gives the same model in each.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Generic, TypeVar

from . import model
from .binary import PARAM_NAMES, PARAMS_SCHEMA
from .elbo_gap import TEMPLATE as GIVEN_ENCODER
from .errors import InvalidParams
from .mistakes import log_in_base, same_value
from .model import Params
from .template import Quantity

V = TypeVar("V")


@dataclass(frozen=True)
class Extra(Generic[V]):
    """The param a template adds: its name, its JSON schema, how it is read and drawn."""

    name: str
    schema: Mapping[str, Any]
    read: Callable[[object], V]  # authored; ValueError says what is allowed
    choices: Mapping[str, tuple[V, ...]]  # by difficulty

    @property
    def params_schema(self) -> Mapping[str, Any]:
        """The binary params (q_z1 required: the encoder is given) and this one."""
        properties = {**PARAMS_SCHEMA["properties"], "q_z1": PARAMS_SCHEMA["properties"]["p_z1"],
                      self.name: self.schema}
        return {**PARAMS_SCHEMA, "properties": properties,
                "required": sorted([*PARAMS_SCHEMA["required"], "q_z1", self.name])}

    def draw(self, rng: random.Random, difficulty: str) -> tuple[Params[Fraction], V]:
        return GIVEN_ENCODER.draw(rng, difficulty), rng.choice(self.choices[difficulty])

    def parse(self, raw: Mapping[str, object]) -> tuple[Params[Fraction], V]:
        """The authored binary params and this one; InvalidParams with one message per bad param."""
        names = (*PARAM_NAMES, self.name)
        errors = {name: f"is not a param; the params are {', '.join(names[:-1])} and {names[-1]}"
                  for name in sorted(set(raw) - set(names))}
        binary: Params[Fraction] | None = None
        try:
            binary = GIVEN_ENCODER.parse_params({name: raw[name] for name in PARAM_NAMES if name in raw})
        except InvalidParams as error:
            errors.update(error.errors)
        try:
            extra = self.read(raw.get(self.name))
        except ValueError as error:
            errors[self.name] = str(error)
        if errors or binary is None:
            raise InvalidParams(errors)
        return binary, extra


def valid(params: Params[Fraction]) -> bool:
    """Decoder values that differ and an encoder other than the posterior, as in `elbo-gap`."""
    return GIVEN_ENCODER.valid(params)


def quantity(key: str, params: Params[Fraction]) -> Quantity:
    """How feedback names a key of the binary model, as every template of it does."""
    return GIVEN_ENCODER.quantity(key, params)


def evaluate(params: Params[Fraction]) -> dict[str, Any]:
    """Every quantity of the binary model with float logs (marginal and posterior stay exact), for the steps."""
    return GIVEN_ENCODER.evaluate(params, math.log)


def posterior(params: Params[Any]) -> Any:
    """p(z = 1 | x), exact or float like the params."""
    likelihood_z0, likelihood_z1 = params.likelihoods()
    return model.posterior(params.p_z1, likelihood_z1, model.marginal(params.p_z1, likelihood_z0, likelihood_z1))


def given_q(params: Params[Any]) -> Any:
    """The variant's q(z = 1 | x): these templates always give one."""
    if params.q_z1 is None:
        raise ValueError("the encoder q_z1 is given")
    return params.q_z1


# (mistake code, key, the value the mistake gives for it)
Produced = tuple[str, str, float]


def log_base_values(evaluate: Callable[[Callable[[float], float]], Mapping[str, float]],
                    keys: Iterable[str]) -> Iterator[Produced]:
    """log_base for each of `keys`: the template's own formulas evaluated with log10 and log2."""
    for base in (10.0, 2.0):
        values = evaluate(log_in_base(base))
        yield from (("log_base", key, values[key]) for key in keys)


def mistake_table(right: Mapping[str, float], produced: Iterable[Produced]) -> dict[str, dict[str, tuple[float, ...]]]:
    """Key → code → values, for every key of `right`; a mistake applies only where it changes the value
    (β = 1 ignores nothing, a weight of 1 is its own inverse)."""
    table: dict[str, dict[str, list[float]]] = {key: {} for key in right}
    for code, key, value in produced:
        if not same_value(value, right[key]):
            table[key].setdefault(code, []).append(value)
    return {key: {code: tuple(values) for code, values in codes.items()} for key, codes in table.items()}
