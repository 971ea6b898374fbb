"""Exact answers: a rational plus a rational combination of logs of rationals.

Every quantity of the model has this form, so one small type gives exact
arithmetic, an exact zero test, sympy, LaTeX and student forms and a
high-precision value without handing the work to a computer-algebra system
each time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache

from mpmath import libmp

from .numbers import rational_text

# Raw mpmath values at a fixed precision passed to every call: no shared,
# mutable context, and a third of the time of mpmath's number objects.
_PRECISION = 136  # bits, just over 40 digits
_ROUND = libmp.round_nearest

Rational = Fraction | int


@dataclass(frozen=True)
class Exact:
    """`rational + Σ coefficient · ln(argument)`, arguments positive and distinct."""

    rational: Fraction = Fraction(0)
    logs: tuple[tuple[Fraction, Fraction], ...] = ()

    @classmethod
    def of(cls, value: Exact | Rational) -> Exact:
        """A rational lifted to an Exact; an Exact unchanged."""
        return value if isinstance(value, Exact) else cls(Fraction(value))

    @classmethod
    def ln(cls, argument: Rational) -> Exact:
        """The natural log of a positive rational."""
        argument = Fraction(argument)
        if argument <= 0:
            raise ValueError(f"ln of {argument} is undefined")
        if argument == 1:
            return cls()
        return cls(Fraction(0), ((Fraction(1), argument),))

    def __add__(self, other: Exact | Rational) -> Exact:
        other = Exact.of(other)
        # Dicts keep insertion order, so terms stay in the order of the formula.
        logs = {argument: coefficient for coefficient, argument in self.logs}
        for coefficient, argument in other.logs:
            logs[argument] = logs.get(argument, Fraction(0)) + coefficient
        terms = tuple((coefficient, argument) for argument, coefficient in logs.items() if coefficient != 0)
        return Exact(self.rational + other.rational, terms)

    __radd__ = __add__

    def __neg__(self) -> Exact:
        return self * -1

    def __sub__(self, other: Exact | Rational) -> Exact:
        return self + -Exact.of(other)

    def __rsub__(self, other: Rational) -> Exact:
        return Exact.of(other) - self

    def __mul__(self, factor: Rational) -> Exact:
        if isinstance(factor, Exact):
            if factor.logs:
                raise TypeError("a product of logs is outside the model's answers")
            factor = factor.rational
        factor = Fraction(factor)
        if factor == 0:
            return Exact()
        return Exact(self.rational * factor, tuple((c * factor, a) for c, a in self.logs))

    __rmul__ = __mul__

    def __truediv__(self, divisor: Rational) -> Exact:
        return self * (1 / Fraction(divisor))

    def is_zero(self) -> bool:
        """Exactly zero, logs expanded over primes (ln 6 − ln 2 − ln 3 is zero)."""
        if self.rational != 0:
            return False
        if abs(self.value()) > 1e-9:
            return False  # far from zero: no need to factor anything
        total: dict[int, Fraction] = {}
        for coefficient, argument in self.logs:
            for prime, power in _factor(argument.numerator).items():
                total[prime] = total.get(prime, Fraction(0)) + coefficient * power
            for prime, power in _factor(argument.denominator).items():
                total[prime] = total.get(prime, Fraction(0)) - coefficient * power
        return all(value == 0 for value in total.values())

    def simplified(self) -> Exact:
        """Zero written as 0; anything else as it stands."""
        return Exact() if self.is_zero() else self

    def value(self) -> float:
        """The float nearest the exact value (summed at 40 digits)."""
        return self._value

    @cached_property
    def _value(self) -> float:
        total = _mp_rational(self.rational)
        for coefficient, argument in self.logs:
            term = libmp.mpf_mul(_mp_rational(coefficient), _mp_ln(argument), _PRECISION, _ROUND)
            total = libmp.mpf_add(total, term, _PRECISION, _ROUND)
        return libmp.to_float(total, rnd=_ROUND)

    @classmethod
    def parse(cls, text: str) -> Exact:
        """The inverse of `str`: the value a stored answer's sympy syntax stands for."""
        return _parse(text)

    def __str__(self) -> str:
        """Sympy's input syntax, for programs, e.g. `2/5*log(3/10) + 3/5*log(9/10)`."""
        return _render(self, _SYMPY)

    def latex(self) -> str:
        """LaTeX with natural logs, e.g. `\\frac{2}{5} \\ln{\\left(\\frac{3}{10} \\right)}`."""
        return _render(self, _LATEX)

    def text(self) -> str:
        """As a student reads it, the practice page's notation: `0.4 · ln(0.3) + 0.6 · ln(0.9)`."""
        return self._text

    @cached_property
    def _text(self) -> str:
        # Feedback asks for it on every graded part: worked out once per value.
        return _render(self, _TEXT)

    def to_sympy(self):  # -> sympy.Expr; sympy is imported only where asked for
        """The same value as a sympy expression of rationals and logs."""
        import sympy

        total = sympy.Rational(self.rational.numerator, self.rational.denominator)
        for coefficient, argument in self.logs:
            total += sympy.Rational(coefficient.numerator, coefficient.denominator) * sympy.log(
                sympy.Rational(argument.numerator, argument.denominator)
            )
        return total


@dataclass(frozen=True)
class _Notation:
    """How one form writes a rational, a coefficient, a log and the product of the two."""

    rational: Callable[[Fraction], str]
    coefficient: Callable[[Fraction], str]
    log: Callable[[Fraction], str]
    times: str


def _render(value: Exact, notation: _Notation) -> str:
    pieces: list[tuple[bool, str]] = []
    if value.rational != 0 or not value.logs:
        pieces.append((value.rational < 0, notation.rational(abs(value.rational))))
    for coefficient, argument in value.logs:
        magnitude = abs(coefficient)
        log = notation.log(argument)
        term = log if magnitude == 1 else f"{notation.coefficient(magnitude)}{notation.times}{log}"
        pieces.append((coefficient < 0, term))
    negative, first = pieces[0]
    text = ("-" if negative else "") + first
    for negative, term in pieces[1:]:
        text += (" - " if negative else " + ") + term
    return text


def _latex_rational(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _text_coefficient(value: Fraction) -> str:
    # (1/3) · ln(2): a bare 1/3 · ln(2) leaves the reader to settle the precedence.
    text = rational_text(value)
    return f"({text})" if "/" in text else text


_SYMPY = _Notation(str, str, lambda argument: f"log({argument})", "*")
_LATEX = _Notation(_latex_rational, _latex_rational,
                   lambda argument: f"\\ln{{\\left({_latex_rational(argument)} \\right)}}", " ")
_TEXT = _Notation(rational_text, _text_coefficient, lambda argument: f"ln({rational_text(argument)})", " · ")

_RATIONAL = r"\d+(?:/\d+)?"
_TERM = re.compile(rf"(?:({_RATIONAL})\*)?log\(({_RATIONAL})\)|({_RATIONAL})")


@lru_cache(maxsize=4096)
def _parse(text: str) -> Exact:
    """Sympy syntax as `str` writes it; the few answers of a stored problem recur at every grading."""
    # Terms at even places, the signs between them at odd ones: "a - b + c" → [a, "-", b, "+", c].
    pieces = re.split(r" ([+-]) ", text[1:] if text.startswith("-") else text)
    signs = ["-" if text.startswith("-") else "+", *pieces[1::2]]
    total = Exact()
    for sign, piece in zip(signs, pieces[::2], strict=True):
        match = _TERM.fullmatch(piece)
        if match is None:
            raise ValueError(f"{text!r} is not an exact answer as written by Exact")
        coefficient, argument, rational = match.groups()
        term = Exact.of(Fraction(rational)) if rational else Exact.ln(Fraction(argument)) * Fraction(coefficient or 1)
        total += -term if sign == "-" else term
    return total


def _mp_rational(value: Fraction) -> tuple:
    return libmp.from_rational(value.numerator, value.denominator, _PRECISION, _ROUND)


@lru_cache(maxsize=4096)
def _mp_ln(argument: Fraction) -> tuple:
    """ln at just over 40 digits; the same few arguments recur across variants."""
    return libmp.mpf_log(_mp_rational(argument), _PRECISION, _ROUND)


@lru_cache(maxsize=4096)
def _factor(number: int) -> dict[int, int]:
    """Prime powers of a positive integer by trial division (authored params bound its size)."""
    factors: dict[int, int] = {}
    divisor = 2
    while divisor * divisor <= number:
        while number % divisor == 0:
            factors[divisor] = factors.get(divisor, 0) + 1
            number //= divisor
        divisor += 1 if divisor == 2 else 2
    if number > 1:
        factors[number] = factors.get(number, 0) + 1
    return factors

