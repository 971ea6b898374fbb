"""The answer reader: the §7 grammar, JSON numbers, and refusal of everything else (timed in bench/)."""

from __future__ import annotations

import ast
import dataclasses
import math
import threading
from decimal import Decimal
from pathlib import Path

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grader.reader
from grader.errors import AnswerError, GraderError
from grader.reader import CONTEXT, MAX_LENGTH, Reading, read_answer

# Expected values come from Python's math, independently of the reader.
VALID = [
    ("0.6", 0.6),
    (".6", 0.6),
    ("6.", 6.0),
    ("6e-1", 0.6),
    ("6E+2", 600.0),
    ("3", 3.0),
    ("3/5", 0.6),
    ("ln(3/5)", math.log(0.6)),
    ("log(0.6)", math.log(0.6)),
    ("−0.5108", -0.5108),
    ("–0.5108", -0.5108),
    ("0.4 · ln(0.4/0.5) + 0.6 · ln(0.6/0.5)", 0.4 * math.log(0.8) + 0.6 * math.log(1.2)),
    ("0.5*0.3 + 0.5*0.9", 0.6),
    ("0.45/0.6", 0.75),
    ("0.4·ln(0.3) + 0.6·ln(0.9)", 0.4 * math.log(0.3) + 0.6 * math.log(0.9)),
    ("ln(0.6) - (-0.5649)", math.log(0.6) + 0.5649),
    ("0.4*ln(1.6) + 0.6*ln(0.8)", 0.4 * math.log(1.6) + 0.6 * math.log(0.8)),
    ("0.4×ln(0.8)", 0.4 * math.log(0.8)),
    ("0.4⋅ln(0.8)", 0.4 * math.log(0.8)),
    ("0.3 * 0.9 / (0.5*0.3 + 0.5*0.9)", 0.45),
    ("2^3^2", 512.0),
    ("-2^2", -4.0),
    ("(-2)^2", 4.0),
    ("(-2)^3", -8.0),
    ("2**-1", 0.5),
    ("2^-1", 0.5),
    ("2^-3^2", 2.0**-9),
    ("2^0.5", math.sqrt(2)),
    ("--2", 2.0),
    ("+2", 2.0),
    ("2*-3", -6.0),
    ("10 - 2 - 3", 5.0),
    ("12 / 3 / 2", 2.0),
    ("log10(100)", 2.0),
    ("log2(8)", 3.0),
    ("exp(1)", math.e),
    ("exp(-1)", math.exp(-1)),
    ("e", math.e),
    ("pi", math.pi),
    ("2*pi", 2 * math.pi),
    ("sqrt(2)", math.sqrt(2)),
    ("ln (0.6)", math.log(0.6)),
    ("\t0.6 ", 0.6),
    ("ln(0.6)^2", math.log(0.6) ** 2),
    ("1e100", 1e100),
    ("((((((((((((((((((((1))))))))))))))))))))", 1.0),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[text for text, _ in VALID])
def test_valid_forms_read_to_their_value(text, expected):
    reading = read_answer(text)
    assert reading.text == text
    assert isinstance(reading.value, CONTEXT.mpf)
    assert abs(float(reading.value) - expected) <= 1e-12 * max(1.0, abs(expected))


def test_values_carry_at_least_30_significant_digits():
    assert abs(read_answer("1/3").value * 3 - 1) < CONTEXT.mpf("1e-30")
    assert abs(read_answer("sqrt(2)^2").value - 2) < CONTEXT.mpf("1e-30")
    assert abs(read_answer("exp(ln(0.6))").value - CONTEXT.mpf("0.6")) < CONTEXT.mpf("1e-30")
    assert CONTEXT.prec >= 110


def test_decimal_text_is_the_exact_decimal_rounded_once():
    assert read_answer("0.1").value == CONTEXT.mpf("0.1")
    assert read_answer(".1e0").value == CONTEXT.mpf("0.1")
    assert read_answer("0.1").value != CONTEXT.mpf(0.1)  # not the binary double nearest 0.1


def test_json_float_is_the_decimal_it_prints_as():
    reading = read_answer(0.1)
    assert reading.text == "0.1"
    assert reading.value == CONTEXT.mpf("0.1")
    assert read_answer(0.6).text == "0.6"
    assert read_answer(-0.5108).value == CONTEXT.mpf("-0.5108")
    assert read_answer(1e-05).value == CONTEXT.mpf("0.00001")


def test_json_int_and_decimal_are_exact():
    assert read_answer(3) == Reading("3", CONTEXT.mpf(3))
    assert read_answer(-2).value == -2
    assert read_answer(Decimal("0.6")) == Reading("0.6", CONTEXT.mpf("0.6"))
    assert read_answer(Decimal("-5.108E-1")).value == CONTEXT.mpf("-0.5108")


@pytest.mark.parametrize(
    "raw",
    [True, False, None, [0.6], {"value": 0.6}, (0.6,), b"0.6", 1j, object()],
    ids=["true", "false", "none", "list", "dict", "tuple", "bytes", "complex", "object"],
)
def test_values_that_are_neither_numbers_nor_text_are_refused(raw):
    with pytest.raises(AnswerError) as caught:
        read_answer(raw)
    assert caught.value.message == "an answer must be a number or an expression"
    assert caught.value.position is None


@pytest.mark.parametrize(
    "raw",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        1e300,
        10**400,
        Decimal("1E+999"),
        Decimal("1" * 300),
    ],
    ids=str,
)
def test_non_finite_and_oversized_numbers_are_refused(raw):
    with pytest.raises(AnswerError):
        read_answer(raw)


def test_an_out_of_range_json_number_is_refused_without_a_column():
    with pytest.raises(AnswerError) as caught:
        read_answer(1e-310)
    assert caught.value.message == (
        "the number 1e-310 is out of range: at most 1e100 in size, with an exponent within ±300"
    )
    assert caught.value.position is None


HOSTILE = {
    "import": "__import__('os')",
    "class": "().__class__",
    "attribute": "x.__class__",
    "lambda": "lambda: 1",
    "comprehension": "[x for x in ()]",
    "string": "'abc'",
    "bytes": "b'abc'",
    "quoted": '"1"',
    "open": "open('f')",
    "tower": "9^9^9",
    "tower-stars": "9**9**9**9",
    "big-power": "10^1000",
    "big-exp": "exp(1000)",
    "overflow-literal": "1e999",
    "underflow-literal": "1e-999",
    "million-chars": "1" * 10**6,
    "deep-5000": "(" * 5000 + "1" + ")" * 5000,
    "deep-21": "(" * 21 + "1" + ")" * 21,
    "deep-functions": "ln(" * 21 + "2" + ")" * 21,
    "full-width": "０.６",
    "cyrillic-e": "\u0435",
    "nul": "\x00",
    "newline": "1\n+2",
    "zero-width-space": "1\u200b+2",
    "no-break-space": "1\u00a0+2",
    "lone-surrogate": "\ud800",
    "nan": "nan",
    "NaN": "NaN",
    "inf": "inf",
    "minus-inf": "-inf",
    "Infinity": "Infinity",
    "infinity-sign": "∞",
    "div-zero": "1/0",
    "div-zero-expr": "1/(0.5-0.5)",
    "ln-zero": "ln(0)",
    "ln-negative": "ln(-1)",
    "log10-negative": "log10(-1)",
    "sqrt-negative": "sqrt(-1)",
    "cube-root-negative": "(-8)^(1/3)",
    "zero-negative-power": "0^-1",
    "zero-zero": "0^0",
    "log-base": "log(2, 10)",
    "decimal-comma": "0,6",
    "juxtaposed": "1 2",
    "double-dot": "1..2",
    "two-points": "1.2.3",
    "lone-dot": ".",
    "bare-exponent": "1e",
    "e1": "e1",
    "number-paren": "2(3)",
    "paren-paren": "(2)(3)",
    "paren-number": "(2)3",
    "number-pi": "2pi",
    "number-e": "2e",
    "pi-e": "pi e",
    "implicit-ln": "0.4ln(0.8)",
    "function-without-paren": "ln 2",
    "function-alone": "sqrt",
    "close": ")",
    "open-paren": "(",
    "empty-parens": "()",
    "plus": "+",
    "trailing-operator": "2*",
    "double-operator": "2*/3",
    "empty": "",
    "blank": "   ",
    "unknown-name": "sin(1)",
    "capital": "LN(2)",
    "underscore": "1_000",
    "percent": "60%",
    "brackets": "[1]",
    "too-many-operators": "-" * 150 + "1",
    "huge-integer": "1" * 150,
    "tiny-then-inverse": "(exp(-1e100)^1000)^-1",
    "exp-of-big": "exp(exp(exp(exp(9))))",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_refused(text):
    # How fast: bench/bench_reader.py times these same inputs.
    with pytest.raises(AnswerError):
        read_answer(text)


def test_implicit_multiplication_names_the_place_and_the_fix():
    with pytest.raises(AnswerError) as caught:
        read_answer("0.4ln(0.8)")
    assert caught.value.message == "implicit multiplication at 4: write 0.4*ln(0.8)"
    assert caught.value.position == 4
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    ("text", "position", "suggestion"),
    [("2(3)", 2, "2*(3)"), ("(2)(3)", 4, "(2)*(3)"), ("(2)3", 4, "(2)*3"), ("2pi", 2, "2*pi"), ("2e", 2, "2*e"),
     ("pi e", 4, "pi *e"), ("ln(2)ln(3)", 6, "ln(2)*ln(3)"), ("2^3(4)", 4, "2^3*(4)")],
)
def test_every_kind_of_implicit_multiplication_is_refused_with_its_fix(text, position, suggestion):
    with pytest.raises(AnswerError) as caught:
        read_answer(text)
    assert caught.value.position == position
    assert caught.value.message == f"implicit multiplication at {position}: write {suggestion}"


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("1+_2", 3, "unexpected character '_' at 3"),
        ("0.5 + ０.６", 7, "unexpected character '０' (U+FF10 FULLWIDTH DIGIT ZERO) at 7"),
        ("1\u200b", 2, "unexpected character U+200B ZERO WIDTH SPACE at 2"),
        ("1\n", 2, "unexpected character U+000A at 2"),
        ("1..2", 3, "unexpected '.' at 3"),
        ("2 * foo", 5, "unknown name 'foo' at 5: use ln, log, log10, log2, exp, sqrt, e or pi"),
        ("Ln(2)", 1, "unknown name 'Ln' at 1: write ln in lower case"),
        ("1 + (2*(3", 8, "missing ')' for the '(' at 8"),
        ("1 + (2*3", 5, "missing ')' for the '(' at 5"),
        ("(1+2))", 6, "')' at 6 has no matching '('"),
        ("1 + 2 +", 7, "unexpected end of the answer: an operand is missing after '+' at 7"),
        ("1 + * 2", 5, "an operand is missing before '*' at 5"),
        ("0.6/(1-1)", 4, "division by zero at 4"),
        ("2 + 3/0", 6, "division by zero at 6"),
        ("1 + ln(0)", 5, "ln of a number ≤ 0 at 5"),
        ("log(-2)", 1, "log of a number ≤ 0 at 1"),
        ("2*sqrt(-2)", 3, "sqrt of a negative number at 3"),
        ("ln 2", 1, "the function ln at 1 needs parentheses, as in ln(0.6)"),
        ("0,6", 2, "unexpected ',' at 2: write decimals with a point, as in 0.6"),
        ("1 + 9^9^9", 6, "the exponent at 6 is too large (the limit is 1000)"),
        ("10^1000", 3, "value too large at 3 (the limit is 1e100)"),
        ("(-8)^(1/3)", 5, "a negative number to a non-integer power at 5 is not a real number"),
        ("0^-1", 2, "division by zero at 2: 0 to a negative power"),
        ("(" * 21 + "1" + ")" * 21, 21, "too deeply nested at 21: at most 20 levels of parentheses"),
    ],
)
def test_errors_say_what_and_where(text, position, message):
    with pytest.raises(AnswerError) as caught:
        read_answer(text)
    assert (caught.value.message, caught.value.position) == (message, position)


def test_a_base_for_log_is_refused_with_the_way_to_write_it():
    with pytest.raises(AnswerError) as caught:
        read_answer("log(2, 10)")
    assert caught.value.position == 6
    assert "ln(x)/ln(b)" in caught.value.message


def test_overlong_and_empty_answers_are_refused_without_a_position():
    with pytest.raises(AnswerError) as caught:
        read_answer("1" * (MAX_LENGTH + 1))
    assert caught.value.message == "the answer is too long: 201 characters, at most 200"
    assert caught.value.position is None
    for blank in ("", "  ", "\t"):
        with pytest.raises(AnswerError, match="^the answer is empty$"):
            read_answer(blank)


def test_answer_error_is_a_grader_error():
    assert issubclass(AnswerError, GraderError)


def test_reading_is_frozen():
    reading = read_answer("0.6")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.text = "0.7"


def test_reader_never_evaluates_text_as_python_or_sympy():
    tree = ast.parse(Path(grader.reader.__file__).read_text(encoding="utf-8"))
    forbidden_calls = {"eval", "exec", "compile", "__import__", "literal_eval", "sympify", "parse_expr"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name == "compile":
                assert isinstance(func, ast.Attribute) and func.value.id == "re"  # regex only
            else:
                assert name not in forbidden_calls
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            assert not any(module.split(".")[0] in {"sympy", "ast"} for module in modules)


def test_reading_from_many_threads_gives_the_same_values_and_leaves_precision_alone():
    texts = ["ln(0.6)", "0.4*ln(0.4/0.5) + 0.6*ln(0.6/0.5)", "2^0.5", "log10(3)", "1/3"]
    expected = [read_answer(text).value for text in texts]
    global_precision = mpmath.mp.prec
    failures = []

    def work():
        for _ in range(200):
            if [read_answer(text).value for text in texts] != expected:
                failures.append(True)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert CONTEXT.prec == grader.reader.PRECISION_BITS
    assert mpmath.mp.prec == global_precision


def _read_or_refuse(raw):
    """Either a finite value within the limit, or an AnswerError that places itself in the text."""
    try:
        reading = read_answer(raw)
    except AnswerError as error:
        if error.position is not None:
            assert isinstance(raw, str)
            assert 1 <= error.position <= len(raw)
            assert f"at {error.position}" in error.message
        return None
    assert isinstance(reading.value, CONTEXT.mpf)
    assert CONTEXT.isfinite(reading.value)
    assert abs(reading.value) <= CONTEXT.mpf(10) ** 100
    return reading


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_with_an_answer_error(text):
    _read_or_refuse(text)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789.+-*/^()eElnogpqrtisx ·×−", max_size=80))
def test_text_from_the_grammar_alphabet_is_read_or_refused_with_an_answer_error(text):
    _read_or_refuse(text)


@settings(max_examples=500, deadline=None)
@given(st.floats() | st.decimals() | st.integers())
def test_json_numbers_are_read_exactly_or_refused(number):
    reading = _read_or_refuse(number)
    if reading is not None:
        assert reading.value == CONTEXT.mpf(reading.text)
