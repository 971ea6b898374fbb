"""The binary latent-variable model: its parameters and its formulas.

Shared by every template of the model. The formulas are written once and
serve every kind of number: exact answers (rationals and `Exact` logs), float
mistake values and the grader's follow-through values, by passing the
logarithm to use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Generic, TypeVar

from .numbers import rational_text

Log = Callable[[Any], Any]

# Exact params (Fraction) or their float copy, for fast approximate values.
N = TypeVar("N", Fraction, float)


@dataclass(frozen=True)
class Params(Generic[N]):
    """One variant of the model (contract §1): prior, decoder, observation and (maybe) encoder."""

    p_z1: N
    p_x1_given_z0: N
    p_x1_given_z1: N
    x: int
    q_z1: N | None

    def likelihoods(self) -> tuple[N, N]:
        """p(x | z = 0) and p(x | z = 1) for the observed x."""
        return likelihoods(self.p_x1_given_z0, self.p_x1_given_z1, self.x)

    def as_floats(self) -> Params[float]:
        """The same variant in floats, for fast approximate values."""
        return Params(float(self.p_z1), float(self.p_x1_given_z0), float(self.p_x1_given_z1), self.x,
                      None if self.q_z1 is None else float(self.q_z1))

    def to_json(self: Params[Fraction]) -> dict[str, Any]:
        """Probabilities as exact strings, `x` as an integer (contract §1)."""
        return {
            "p_z1": rational_text(self.p_z1),
            "p_x1_given_z0": rational_text(self.p_x1_given_z0),
            "p_x1_given_z1": rational_text(self.p_x1_given_z1),
            "x": self.x,
            "q_z1": None if self.q_z1 is None else rational_text(self.q_z1),
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Params[Fraction]:
        """The inverse of `to_json`, for values this engine wrote."""
        return Params(
            p_z1=Fraction(data["p_z1"]),
            p_x1_given_z0=Fraction(data["p_x1_given_z0"]),
            p_x1_given_z1=Fraction(data["p_x1_given_z1"]),
            x=int(data["x"]),
            q_z1=None if data["q_z1"] is None else Fraction(data["q_z1"]),
        )


def likelihoods(p_x1_given_z0: Any, p_x1_given_z1: Any, x: int) -> tuple[Any, Any]:
    """The decoder's probability of the observed x under z = 0 and z = 1."""
    if x == 1:
        return p_x1_given_z0, p_x1_given_z1
    return 1 - p_x1_given_z0, 1 - p_x1_given_z1


def marginal(p_z1: Any, likelihood_z0: Any, likelihood_z1: Any) -> Any:
    """p(x) = p(z = 0) p(x | z = 0) + p(z = 1) p(x | z = 1)."""
    return (1 - p_z1) * likelihood_z0 + p_z1 * likelihood_z1


def posterior(p_z1: Any, likelihood_z1: Any, marginal_value: Any) -> Any:
    """Bayes' rule: p(z = 1 | x) = p(x | z = 1) p(z = 1) / p(x)."""
    return likelihood_z1 * p_z1 / marginal_value


def reconstruction(q_z1: Any, likelihood_z0: Any, likelihood_z1: Any, ln: Log) -> Any:
    """E_q[ln p(x | z)] = q(z = 0) ln p(x | z = 0) + q(z = 1) ln p(x | z = 1)."""
    return (1 - q_z1) * ln(likelihood_z0) + q_z1 * ln(likelihood_z1)


def kl(a_z1: Any, b_z1: Any, ln: Log) -> Any:
    """KL(a ‖ b) between two distributions on z, given by their mass at z = 1."""
    return (1 - a_z1) * ln((1 - a_z1) / (1 - b_z1)) + a_z1 * ln(a_z1 / b_z1)


def elbo(reconstruction_value: Any, kl_prior_value: Any) -> Any:
    """ELBO = reconstruction − KL(q ‖ prior)."""
    return reconstruction_value - kl_prior_value


def gap(log_marginal_value: Any, elbo_value: Any) -> Any:
    """The bound's gap: ln p(x) − ELBO."""
    return log_marginal_value - elbo_value


def evaluate(params: Params[Any], encoder: Callable[[Any], Any], ln: Log) -> dict[str, Any]:
    """Every quantity of the model for one variant, with the given logarithm.

    `encoder` gives q(z = 1 | x) from the posterior: each template says where its q comes from.
    """
    likelihood_z0, likelihood_z1 = params.likelihoods()
    p_x = marginal(params.p_z1, likelihood_z0, likelihood_z1)
    p_z1_given_x = posterior(params.p_z1, likelihood_z1, p_x)
    q_z1 = encoder(p_z1_given_x)
    log_marginal = ln(p_x)
    recon = reconstruction(q_z1, likelihood_z0, likelihood_z1, ln)
    kl_prior = kl(q_z1, params.p_z1, ln)
    lower_bound = elbo(recon, kl_prior)
    return {
        "marginal": p_x,
        "log_marginal": log_marginal,
        "posterior": p_z1_given_x,
        "reconstruction": recon,
        "kl_prior": kl_prior,
        "elbo": lower_bound,
        "gap": gap(log_marginal, lower_bound),
        "kl_posterior": kl(q_z1, p_z1_given_x, ln),
    }
