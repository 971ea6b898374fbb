"""The bound at any q, at 50 digits: what the plot's floats are checked against."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath

from problems import model

_CONTEXT = mpmath.MPContext()
_CONTEXT.prec = 170  # about 50 digits


def _mp(value: Fraction) -> Any:
    return _CONTEXT.mpf(value.numerator) / value.denominator


def exact_bound(params_json: dict[str, Any], q: Fraction) -> dict[str, float]:
    """ELBO(q), ln p(x), the gap and KL(q ‖ posterior) for the params of a problem view."""
    exact = model.Params.from_json(params_json)
    params = model.Params(_mp(exact.p_z1), _mp(exact.p_x1_given_z0), _mp(exact.p_x1_given_z1), exact.x, None)
    values = model.evaluate(params, lambda posterior: _mp(q), _CONTEXT.log)
    return {name: float(values[name]) for name in ("elbo", "log_marginal", "gap", "kl_posterior", "posterior")}
