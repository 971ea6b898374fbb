"""Follow-through: the value a part should have, given the student's own inputs.

The values come from the model's own formulas (problems.model), applied to
the student's answers in place of the exact ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from problems import model
from problems.model import Params

_Carry = Callable[[Params, Mapping[str, float]], float]


# The student's inputs may leave a formula undefined: refuse those, not crash.
def _probability(value: float) -> float:
    if not 0 < value < 1:
        raise ValueError("not a probability")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("not positive")
    return value


def _posterior(params: Params, given: Mapping[str, float]) -> float:
    _, likelihood_z1 = params.likelihoods()
    return model.posterior(float(params.p_z1), float(likelihood_z1), _positive(given["marginal"]))


def _reconstruction(params: Params, given: Mapping[str, float]) -> float:
    likelihood_z0, likelihood_z1 = params.likelihoods()
    return model.reconstruction(_probability(given["posterior"]), likelihood_z0, likelihood_z1, math.log)


def _kl_prior(params: Params, given: Mapping[str, float]) -> float:
    return model.kl(_probability(given["posterior"]), float(params.p_z1), math.log)


def _kl_posterior(params: Params, given: Mapping[str, float]) -> float:
    return model.kl(float(params.q_z1), _probability(given["posterior"]), math.log)


CARRIES: dict[str, _Carry] = {
    "log_marginal": lambda params, given: math.log(_positive(given["marginal"])),
    "posterior": _posterior,
    "reconstruction": _reconstruction,
    "kl_prior": _kl_prior,
    "elbo": lambda params, given: model.elbo(given["reconstruction"], given["kl_prior"]),
    "gap": lambda params, given: model.gap(given["log_marginal"], given["elbo"]),
    "kl_posterior": _kl_posterior,
}


def carried_value(key: str, inputs: tuple[str, ...], params: Params, given: Mapping[str, float]) -> float | None:
    """The key's value computed from the student's answers to its inputs.

    None when an input is unanswered or the student's inputs leave the
    formula undefined (a log of a negative marginal, say).
    """
    if not inputs or any(name not in given for name in inputs):
        return None
    try:
        return float(CARRIES[key](params, given))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
