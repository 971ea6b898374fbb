"""Reading a student's answer: a JSON number or a small arithmetic expression (contract §7).

The text goes through a whitelist tokenizer and a precedence parser that
evaluates as it goes; it is never handed to eval, compile or sympy. Every
input costs bounded work: at most 200 characters, 20 levels of nesting and
100 operators, decimal exponents within ±300, powers within ±1000, and every
value within ±1e100.

Arithmetic runs on raw mpmath values (``mpmath.libmp``) at a fixed precision
passed explicitly to every call, so no shared precision is ever changed and
reading is safe from several threads at once.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import mpmath
from mpmath import libmp

from grader.errors import AnswerError

PRECISION_BITS = 128
"""Binary precision of every value read (about 38 significant digits)."""

CONTEXT = mpmath.MPContext()
"""The mpmath context of the values read; its precision is never changed."""
CONTEXT.prec = PRECISION_BITS

MAX_LENGTH = 200
"""The longest answer text accepted, in characters."""

_MAX_DEPTH = 20
_MAX_OPERATORS = 100
_MAX_DECIMAL_EXPONENT = 300
_MAX_EXP_ARGUMENT = 230  # e^230 < 1e100 < e^231

_PREC = PRECISION_BITS
_WORK = PRECISION_BITS + 20  # guard bits for the two-step log10 and log2
_RND = libmp.round_nearest
_ZERO = libmp.fzero
_LIMIT = libmp.from_int(10**100)
_LIMIT_BITS = 332  # 2^332 < 1e100: anything with fewer bits is surely within the limit
_LN_LIMIT = libmp.from_int(231)  # just above ln(1e100), for the cheap power estimate
_POWER_LIMIT = libmp.from_int(1000)
_EXP_LIMIT = libmp.from_int(_MAX_EXP_ARGUMENT)
_LN2 = libmp.mpf_ln2(_WORK, _RND)
_LN10 = libmp.mpf_ln10(_WORK, _RND)

_CONSTANTS = {"e": libmp.mpf_e(_PREC, _RND), "pi": libmp.mpf_pi(_PREC, _RND)}
_FUNCTIONS = frozenset({"ln", "log", "log10", "log2", "exp", "sqrt"})
_LOGARITHMS = frozenset({"ln", "log", "log10", "log2"})
_NAMES_HINT = "use ln, log, log10, log2, exp, sqrt, e or pi"
_NOT_AN_ANSWER = "an answer must be a number or an expression"

# Typographic signs students paste from notes read as their ASCII operators.
_OPERATORS = {
    "+": "+", "-": "-", "\u2212": "-", "\u2013": "-",
    "*": "*", "\u00b7": "*", "\u00d7": "*", "\u22c5": "*",
    "/": "/", "^": "^", "**": "^", "(": "(", ")": ")", ",": ",",
}
_BINARY = frozenset("+-*/^")
_OPERAND_START = frozenset({"num", "const", "func", "("})

# Explicit ASCII classes: \d and str.isdigit would let full-width and other digits in.
_TOKEN = re.compile(
    r"[ \t]*(?:"
    r"(?P<num>(?:(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]*))?|\.(?P<frac2>[0-9]+))(?:[eE](?P<exp>[+-]?[0-9]+))?)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9]*)"
    r"|(?P<op>\*\*|[-+*/^(),\u2212\u2013\u00b7\u00d7\u22c5])"
    r")?"
)

# Every group of the pattern is optional, so it matches at every position (never None).
_match_token = cast(Callable[[str, int], re.Match[str]], _TOKEN.match)


@dataclass(frozen=True)
class Reading:
    """A student's answer as read: the text as they gave it and its value."""

    text: str
    """The expression text, or for a JSON number the decimal it prints as."""
    value: mpmath.mpf
    """The value, an mpf of CONTEXT (PRECISION_BITS bits)."""


def read_answer(raw: object) -> Reading:
    """Read one answer: an expression string, an int, a float or a Decimal.

    A float is taken as the decimal it prints as (0.1 is exactly 1/10).
    Raises AnswerError, and nothing else, for anything that cannot be read.
    """
    if isinstance(raw, str):
        return Reading(raw, CONTEXT.make_mpf(_evaluate(raw)))
    text = _number_text(raw)
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"the number is too long: {len(text)} characters, at most {MAX_LENGTH}")
    try:
        value = _evaluate(text)
    except AnswerError:
        # The text's own messages would point at columns of a text the student never typed.
        raise AnswerError(
            f"the number {text} is out of range: at most 1e100 in size, "
            f"with an exponent within ±{_MAX_DECIMAL_EXPONENT}"
        ) from None
    return Reading(text, CONTEXT.make_mpf(value))


def _number_text(raw: object) -> str:
    """The decimal a JSON number prints as; refuses everything else."""
    if isinstance(raw, bool):
        raise AnswerError(_NOT_AN_ANSWER)
    if isinstance(raw, int):
        if abs(raw) > 10**100:  # before str(), which is slow and capped for huge ints
            raise AnswerError("the number is too large: at most 1e100 in size")
        return str(int(raw))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise AnswerError("an answer must be a finite number")
        return repr(float(raw))
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise AnswerError("an answer must be a finite number")
        return str(raw)
    raise AnswerError(_NOT_AN_ANSWER)


def _evaluate(text: str) -> tuple:
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"the answer is too long: {len(text)} characters, at most {MAX_LENGTH}")
    if not text.strip(" \t"):
        raise AnswerError("the answer is empty")
    try:
        return _Parser(text, _tokenize(text)).parse()
    except (ArithmeticError, ValueError) as exc:
        # Unreachable by design (every operation is checked first); kept so no
        # library error can ever reach the caller as anything but an AnswerError.
        raise AnswerError("the answer could not be computed") from exc


def _tokenize(text: str) -> list[tuple]:
    """Split text into (kind, index, source, value) tokens, ending with an "end" token."""
    tokens: list[tuple[str, int, str, Any]] = []
    depth = operators = 0
    pos, size = 0, len(text)
    match = _match_token
    while True:
        m = match(text, pos)
        kind = m.lastgroup
        pos = m.end()
        if kind is None:
            if pos == size:
                break
            raise _unexpected_character(text[pos], pos + 1)
        start = m.start(kind)
        source = m.group(kind)
        if kind == "num":
            if pos < size and text[pos] == ".":
                raise AnswerError(f"unexpected '.' at {pos + 1}", pos + 1)
            tokens.append(("num", start, source, _number(m, start + 1)))
        elif kind == "name":
            if source in _FUNCTIONS:
                operators += 1
                tokens.append(("func", start, source, source))
            elif source in _CONSTANTS:
                tokens.append(("const", start, source, _CONSTANTS[source]))
            else:
                raise _unknown_name(source, start + 1)
        else:
            kind = _OPERATORS[source]
            if kind == "(":
                depth += 1
                if depth > _MAX_DEPTH:
                    raise AnswerError(
                        f"too deeply nested at {start + 1}: at most {_MAX_DEPTH} levels of parentheses",
                        start + 1,
                    )
            elif kind == ")":
                depth = max(depth - 1, 0)
            elif kind in _BINARY:
                operators += 1
            tokens.append((kind, start, source, None))
        if operators > _MAX_OPERATORS:
            raise AnswerError(
                f"too many operators at {start + 1}: at most {_MAX_OPERATORS} operators and functions",
                start + 1,
            )
    tokens.append(("end", size, "", None))
    return tokens


def _number(m: re.Match, column: int) -> tuple:
    """The exact decimal of a number token, rounded once to the working precision."""
    digits = m.group("int")
    fraction = m.group("frac") if digits is not None else m.group("frac2")
    fraction = fraction or ""
    exponent = int(m.group("exp") or 0)
    if abs(exponent) > _MAX_DECIMAL_EXPONENT:
        raise AnswerError(
            f"the exponent of the number at {column} is out of range (at most ±{_MAX_DECIMAL_EXPONENT})",
            column,
        )
    mantissa = int((digits or "") + fraction)
    scale = exponent - len(fraction)
    if scale >= 0:
        value = libmp.from_int(mantissa * 10**scale, _PREC, _RND)
    else:
        value = libmp.from_rational(mantissa, 10**-scale, _PREC, _RND)
    return _checked(value, column)


class _Parser:
    """Precedence parser over the tokens, evaluating as it goes.

    expr := term (('+'|'-') term)*        term := factor (('*'|'/') factor)*
    factor := sign* primary ('^' sign* primary)*   (the powers right-associative,
    binding tighter than the signs on their left: -2^2 = -4)
    primary := number | constant | function '(' expr ')' | '(' expr ')'

    Signs and power chains are loops, so Python recursion only follows
    parentheses, at most 20 deep.
    """

    __slots__ = ("text", "tokens", "i", "depth")

    def __init__(self, text: str, tokens: list[tuple]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def parse(self) -> tuple:
        value = self.expr()
        kind, start, _, _ = self.tokens[self.i]
        if kind == ")":
            raise AnswerError(f"')' at {start + 1} has no matching '('", start + 1)
        if kind == ",":
            raise _decimal_comma(start + 1)
        return value  # every other token is consumed or refused by expr

    def expr(self) -> tuple:
        value = self.term()
        tokens = self.tokens
        while True:
            kind, start, _, _ = tokens[self.i]
            if kind == "+":
                self.i += 1
                value = _checked(libmp.mpf_add(value, self.term(), _PREC, _RND), start + 1)
            elif kind == "-":
                self.i += 1
                value = _checked(libmp.mpf_sub(value, self.term(), _PREC, _RND), start + 1)
            else:
                return value

    def term(self) -> tuple:
        value = self.factor()
        tokens = self.tokens
        while True:
            kind, start, _, _ = tokens[self.i]
            if kind == "*":
                self.i += 1
                value = _checked(libmp.mpf_mul(value, self.factor(), _PREC, _RND), start + 1)
            elif kind == "/":
                self.i += 1
                divisor = self.factor()
                if divisor == _ZERO:
                    raise AnswerError(f"division by zero at {start + 1}", start + 1)
                value = _checked(libmp.mpf_div(value, divisor, _PREC, _RND), start + 1)
            elif kind in _OPERAND_START:
                column = start + 1
                raise AnswerError(
                    f"implicit multiplication at {column}: write {self.text[:start]}*{self.text[start:]}",
                    column,
                )
            else:
                return value

    def factor(self) -> tuple:
        negative = self.signs()
        operands = [self.primary()]
        powers = []  # (column of '^', sign of its exponent)
        while self.tokens[self.i][0] == "^":
            column = self.tokens[self.i][1] + 1
            self.i += 1
            powers.append((column, self.signs()))
            operands.append(self.primary())
        # Right-associative: evaluate the tower from the top, each step checked before the next.
        value = operands[-1]
        for k in range(len(powers) - 1, -1, -1):
            column, exponent_negative = powers[k]
            if exponent_negative:
                value = libmp.mpf_neg(value)
            value = _power(operands[k], value, column)
        return libmp.mpf_neg(value) if negative else value

    def signs(self) -> bool:
        """Skip unary signs; True when they make a minus."""
        negative = False
        tokens = self.tokens
        while True:
            kind = tokens[self.i][0]
            if kind == "-":
                negative = not negative
            elif kind != "+":
                return negative
            self.i += 1

    def primary(self) -> tuple:
        token = self.tokens[self.i]
        kind, start, source, value = token
        if kind == "num" or kind == "const":
            self.i += 1
            return value
        if kind == "func":
            self.i += 1
            opening = self.tokens[self.i]
            if opening[0] != "(":
                raise AnswerError(
                    f"the function {source} at {start + 1} needs parentheses, as in {source}(0.6)", start + 1
                )
            self.i += 1
            argument = self.inside(opening, source)
            return _apply(source, argument, start + 1)
        if kind == "(":
            self.i += 1
            return self.inside(token, None)
        raise self.missing_operand(token)

    def inside(self, opening: tuple, function: str | None) -> tuple:
        """The expression after an opening parenthesis, up to its closing one."""
        self.depth += 1
        value = self.expr()
        kind, start, _, _ = self.tokens[self.i]
        if kind == ")":
            self.i += 1
            self.depth -= 1
            return value
        column = start + 1
        if kind == "," and function is None:
            raise _decimal_comma(column)
        if kind == ",":
            hint = "; for a base b write ln(x)/ln(b), or use log10 or log2" if function in _LOGARITHMS else ""
            raise AnswerError(f"{function} takes one argument: unexpected ',' at {column}{hint}", column)
        # Only the end of the text can stop expr here.
        raise AnswerError(f"missing ')' for the '(' at {opening[1] + 1}", opening[1] + 1)

    def missing_operand(self, token: tuple) -> AnswerError:
        kind, start, source, _ = token
        if kind == "end":
            _, before, previous, _ = self.tokens[self.i - 1]  # an empty text never gets here
            return AnswerError(
                f"unexpected end of the answer: an operand is missing after '{previous}' at {before + 1}",
                before + 1,
            )
        if kind == ")" and self.depth == 0:
            return AnswerError(f"')' at {start + 1} has no matching '('", start + 1)
        if kind == ",":
            return _decimal_comma(start + 1)
        return AnswerError(f"an operand is missing before '{source}' at {start + 1}", start + 1)


def _checked(value: tuple, column: int) -> tuple:
    # Most values have far fewer than 332 bits of magnitude; only those need the exact comparison.
    if value[2] + value[3] > _LIMIT_BITS and libmp.mpf_cmp(libmp.mpf_abs(value), _LIMIT) > 0:
        raise AnswerError(f"value too large at {column} (the limit is 1e100)", column)
    return value


def _power(base: tuple, exponent: tuple, column: int) -> tuple:
    if libmp.mpf_cmp(libmp.mpf_abs(exponent), _POWER_LIMIT) > 0:
        raise AnswerError(f"the exponent at {column} is too large (the limit is 1000)", column)
    integral = exponent[2] >= 0  # a normalized mpf is an integer exactly when its binary exponent is >= 0
    if base == _ZERO:
        if exponent == _ZERO:
            raise AnswerError(f"0^0 at {column} is undefined", column)
        if exponent[0]:
            raise AnswerError(f"division by zero at {column}: 0 to a negative power", column)
        return _ZERO
    if base[0] and not integral:
        raise AnswerError(f"a negative number to a non-integer power at {column} is not a real number", column)
    # Estimate ln|result| = exponent * ln|base| cheaply, so a huge power is refused before it is computed.
    estimate = libmp.mpf_mul(exponent, libmp.mpf_log(libmp.mpf_abs(base), 30, _RND), 30, _RND)
    if libmp.mpf_cmp(estimate, _LN_LIMIT) > 0:
        raise AnswerError(f"value too large at {column} (the limit is 1e100)", column)
    if integral:
        value = libmp.mpf_pow_int(base, libmp.to_int(exponent), _PREC, _RND)
    else:
        value = libmp.mpf_pow(base, exponent, _PREC, _RND)
    return _checked(value, column)


def _apply(function: str, x: tuple, column: int) -> tuple:
    if function in _LOGARITHMS:
        if x[0] or x == _ZERO:
            raise AnswerError(f"{function} of a number ≤ 0 at {column}", column)
        if function == "log10":
            value = libmp.mpf_div(libmp.mpf_log(x, _WORK, _RND), _LN10, _PREC, _RND)
        elif function == "log2":
            value = libmp.mpf_div(libmp.mpf_log(x, _WORK, _RND), _LN2, _PREC, _RND)
        else:
            value = libmp.mpf_log(x, _PREC, _RND)
    elif function == "exp":
        if libmp.mpf_cmp(x, _EXP_LIMIT) > 0:
            raise AnswerError(
                f"exp of a number over {_MAX_EXP_ARGUMENT} at {column}: the result would be too large", column
            )
        value = libmp.mpf_exp(x, _PREC, _RND)
    else:  # sqrt
        if x[0]:
            raise AnswerError(f"sqrt of a negative number at {column}", column)
        value = libmp.mpf_sqrt(x, _PREC, _RND)
    return _checked(value, column)


def _unexpected_character(char: str, column: int) -> AnswerError:
    if " " < char <= "~":
        shown = f'"{char}"' if char == "'" else f"'{char}'"
    else:
        # Name non-ASCII characters: look-alikes (Cyrillic е, full-width ６) and invisible ones.
        code = f"U+{ord(char):04X}"
        name = unicodedata.name(char, "")
        described = f"{code} {name}" if name else code
        shown = f"'{char}' ({described})" if char.isprintable() else described
    return AnswerError(f"unexpected character {shown} at {column}", column)


def _unknown_name(name: str, column: int) -> AnswerError:
    lower = name.lower()
    if lower in _FUNCTIONS or lower in _CONSTANTS:
        return AnswerError(f"unknown name '{name}' at {column}: write {lower} in lower case", column)
    return AnswerError(f"unknown name '{name}' at {column}: {_NAMES_HINT}", column)


def _decimal_comma(column: int) -> AnswerError:
    return AnswerError(f"unexpected ',' at {column}: write decimals with a point, as in 0.6", column)
