"""Exact probabilities: reading them from requests and writing them for people."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

# Authored params are short: this bounds the cost of every later computation.
MAX_TEXT = 32
MAX_DENOMINATOR = 10**9

_DECIMAL = re.compile(r"(?:\d+\.?\d*|\.\d+)")
_FRACTION = re.compile(r"(\d{1,12})/(\d{1,12})")


def parse_rational(raw: object) -> Fraction:
    """A JSON number or a string ("0.3", "1/3") as an exact rational.

    A float is read as the decimal it prints as, so 0.1 is 1/10.
    Raises ValueError with a message that says what is allowed.
    """
    if isinstance(raw, bool) or raw is None:
        raise ValueError("must be a number such as 0.3 or a string such as \"1/3\"")
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, Decimal):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ValueError("must be a number such as 0.3 or a string such as \"1/3\"")
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"is longer than {MAX_TEXT} characters")
    if _DECIMAL.fullmatch(text):
        value = Fraction(Decimal(text))
    elif match := _FRACTION.fullmatch(text):
        numerator, denominator = (int(group) for group in match.groups())
        if denominator == 0:
            raise ValueError("has a zero denominator")
        value = Fraction(numerator, denominator)
    else:
        raise ValueError(f"{text!r} is not a decimal such as 0.3 or a fraction such as 1/3")
    if value.denominator > MAX_DENOMINATOR:
        raise ValueError(f"needs a denominator above {MAX_DENOMINATOR}")
    return value


def parse_probability(raw: object) -> Fraction:
    """An authored probability (see `parse_rational`), strictly between 0 and 1.

    None (absent or null) is refused too; ValueError says what is allowed.
    """
    if raw is None:
        raise ValueError("is required: a probability strictly between 0 and 1, such as \"0.3\" or \"1/3\"")
    value = parse_rational(raw)
    if not 0 < value < 1:
        raise ValueError(f"must lie strictly between 0 and 1, got {raw}")
    return value


def _twos_and_fives(denominator: int) -> tuple[int, int, int]:
    """Powers of 2 and 5 in a denominator, and what is left of it."""
    twos = (denominator & -denominator).bit_length() - 1
    denominator >>= twos
    fives = 0
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return twos, fives, denominator


def terminates(value: Fraction) -> bool:
    """Whether the rational has a finite decimal expansion."""
    return _twos_and_fives(value.denominator)[2] == 1


def decimal_places(value: Fraction) -> int:
    """Digits after the point of a terminating rational."""
    twos, fives, _ = _twos_and_fives(value.denominator)
    return max(twos, fives)


def rational_text(value: Fraction) -> str:
    """A terminating decimal where one exists ("0.3"), else a fraction ("1/3")."""
    if not terminates(value):
        return f"{value.numerator}/{value.denominator}"
    places = decimal_places(value)
    digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"
