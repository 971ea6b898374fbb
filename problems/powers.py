"""Exact values with rational powers: the β-optimal encoder and the β-ELBO at it.

With r = 1/β, the β-ELBO is maximised by q*(z) = p(z)·ℓ_z^r / Z, where
ℓ_z = p(x | z) and Z = p(z = 0)·ℓ₀^r + p(z = 1)·ℓ₁^r, and its maximum is
β·ln Z. When r is an integer every ℓ_z^r is rational, so q* is a rational
and β·ln Z an `Exact`. Otherwise ℓ^r is irrational and these two small types
keep the formula itself: each form (sympy syntax, LaTeX, the student's
notation) is written from the same terms, and the value is computed from
them at 40 digits, as `Exact` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from mpmath import libmp

from .exact import _PRECISION, _ROUND, Exact, _latex_rational, _mp_ln, _mp_rational, _text_coefficient


def exponent_text(exponent: Fraction) -> str:
    """An exponent as a student writes it: `2`, or a fraction in parentheses, `(1/2)` (never `0.5`)."""
    if exponent.denominator == 1:
        return str(exponent.numerator)
    return f"({exponent.numerator}/{exponent.denominator})"


@dataclass(frozen=True)
class PowerSum:
    """`Σ weight · base^exponent` over two terms, weights and bases positive rationals."""

    terms: tuple[tuple[Fraction, Fraction], ...]  # (weight, base)
    exponent: Fraction

    def term(self, index: int, notation: str) -> str:
        """One term, `weight · base^exponent`, in one notation ("sympy", "latex" or "text")."""
        weight, base = self.terms[index]
        r = self.exponent
        if notation == "sympy":
            return f"{weight}*({base})**({r})"
        if notation == "latex":
            return (f"{_latex_rational(weight)} \\left({_latex_rational(base)}\\right)"
                    f"^{{{_latex_rational(r)}}}")
        # A fraction is bracketed as a coefficient and as a base: (1/3) · (3/7)^(1/2).
        return f"{_text_coefficient(weight)} · {_text_coefficient(base)}^{exponent_text(r)}"

    def form(self, notation: str) -> str:
        """The sum in one notation ("sympy", "latex" or "text")."""
        return " + ".join(self.term(index, notation) for index in range(len(self.terms)))

    def term_value(self, index: int) -> tuple:
        """weight · base^exponent as a raw mpmath value, computed as exp(exponent · ln base)."""
        weight, base = self.terms[index]
        power = libmp.mpf_exp(libmp.mpf_mul(_mp_rational(self.exponent), _mp_ln(base), _PRECISION, _ROUND),
                              _PRECISION, _ROUND)
        return libmp.mpf_mul(_mp_rational(weight), power, _PRECISION, _ROUND)

    def total(self) -> tuple:
        """The sum as a raw mpmath value."""
        total = libmp.fzero
        for index in range(len(self.terms)):
            total = libmp.mpf_add(total, self.term_value(index), _PRECISION, _ROUND)
        return total


@dataclass(frozen=True)
class PowerShare:
    """One term of a `PowerSum` over the whole sum: `term / (term + …)`."""

    powers: PowerSum
    index: int

    def __str__(self) -> str:
        return f"{self.powers.term(self.index, 'sympy')}/({self.powers.form('sympy')})"

    def latex(self) -> str:
        return f"\\frac{{{self.powers.term(self.index, 'latex')}}}{{{self.powers.form('latex')}}}"

    def text(self) -> str:
        return f"{self.powers.term(self.index, 'text')} / ({self.powers.form('text')})"

    def value(self) -> float:
        return self._value

    @cached_property
    def _value(self) -> float:
        share = libmp.mpf_div(self.powers.term_value(self.index), self.powers.total(), _PRECISION, _ROUND)
        return libmp.to_float(share, rnd=_ROUND)


@dataclass(frozen=True)
class LogPowerSum:
    """`coefficient · ln(Σ weight · base^exponent)`."""

    coefficient: Fraction
    powers: PowerSum

    def __str__(self) -> str:
        return f"{self.coefficient}*log({self.powers.form('sympy')})"

    def latex(self) -> str:
        return f"{_latex_rational(self.coefficient)} \\ln{{\\left({self.powers.form('latex')} \\right)}}"

    def text(self) -> str:
        return f"{_text_coefficient(self.coefficient)} · ln({self.powers.form('text')})"

    def value(self) -> float:
        return self._value

    @cached_property
    def _value(self) -> float:
        log = libmp.mpf_log(self.powers.total(), _PRECISION, _ROUND)
        return libmp.to_float(libmp.mpf_mul(_mp_rational(self.coefficient), log, _PRECISION, _ROUND), rnd=_ROUND)


def beta_optimum(p_z1: Fraction, likelihood_z0: Fraction, likelihood_z1: Fraction,
                 beta: Fraction) -> tuple[Exact | PowerShare, Exact | LogPowerSum]:
    """q*(z = 1 | x) and β·ln Z exactly: an `Exact` where 1/β is an integer, the power forms otherwise."""
    exponent = 1 / beta
    if exponent.denominator == 1:
        weight_z0 = (1 - p_z1) * likelihood_z0 ** exponent.numerator
        weight_z1 = p_z1 * likelihood_z1 ** exponent.numerator
        normaliser = weight_z0 + weight_z1
        return Exact.of(weight_z1 / normaliser), (Exact.ln(normaliser) * beta).simplified()
    powers = PowerSum(((1 - p_z1, likelihood_z0), (p_z1, likelihood_z1)), exponent)
    return PowerShare(powers, 1), LogPowerSum(beta, powers)
