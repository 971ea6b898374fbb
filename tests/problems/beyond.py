"""What the tests of the templates beyond the page share: reading exact values three ways against a
reference worked out with mpmath, and grading every named mistake of a seeded variant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import mpmath
import pytest
import sympy

from grader import CORRECT, INCORRECT, Policy, grade, read_answer
from grader.undetectable import undetectable
from problems import InvalidParams, Problem, generate_params, make_problem, parse_params


def mp(value: Fraction) -> mpmath.mpf:
    return mpmath.mpf(value.numerator) / value.denominator


def agree(value: float, expected) -> bool:
    return abs(value - float(expected)) <= 1e-12 * max(1.0, abs(float(expected)))


def read_text(text: str) -> float:
    """The student form as the grader reads it; past the reader's 200 characters, by sympy, notation swapped."""
    if len(text) <= 200:
        return float(read_answer(text).value)
    return float(sympy.N(sympy.sympify(text.replace("·", "*").replace("^", "**").replace("ln(", "log(")), 30))


def check_against_reference(problem: Problem, expected: Mapping[str, object]) -> None:
    """The stored value, sympy's reading of `exact` and the grader's reading of the student text all agree."""
    for key in problem.answer_keys:
        answer = problem.answers[key]
        assert agree(answer.value, expected[key]), (key, answer.value, expected[key])
        assert agree(float(sympy.N(sympy.sympify(answer.exact), 30)), expected[key]), (key, answer.exact)
        assert agree(read_text(answer.text), expected[key]), (key, answer.text)
        assert "\\log" not in answer.latex and "log(" not in answer.text and "*" not in answer.text


def check_refused(template_id: str, good: Mapping[str, object], raw: Mapping[str, object],
                  errors: Mapping[str, str]) -> dict[str, str]:
    """`good` with `raw` over it (None leaves a param out) is refused with a message per param of `errors`,
    each holding the text given there; the messages."""
    with pytest.raises(InvalidParams) as refused:
        parse_params(template_id, {key: value for key, value in {**good, **raw}.items() if value is not None})
    assert set(refused.value.errors) == set(errors)
    for name, message in errors.items():
        assert message in refused.value.errors[name], refused.value.errors
    return refused.value.errors


def _graded(problem: Problem, key: str, value: float):
    # Worked to 4 decimals, as a student writes it.
    return next(part for part in grade(problem, {key: f"{value:.4f}"}).parts if part.key == key)


def diagnosed_over_seeds(template_id: str, difficulty: str,
                         independent: Callable[[Any], Mapping[tuple[str, str], float]], seeds: int = 1000) -> set[str]:
    """`check_mistakes` over the seeded variants 0 … seeds − 1 of a difficulty; every code seen."""
    seen: set[str] = set()
    for seed in range(seeds):
        problem = make_problem(template_id, generate_params(template_id, seed, difficulty))
        seen |= check_mistakes(problem, independent(problem.params))
    return seen


def check_mistakes(problem: Problem, independent: Mapping[tuple[str, str], float]) -> set[str]:
    """Every mistake (worked out here, and in the problem's table) diagnosed, a right answer not flagged;
    the codes seen."""
    assert undetectable(problem, Policy()) == ()
    right = grade(problem, {key: f"{problem.answers[key].value:.4f}" for key in problem.answer_keys})
    assert all(part.status == CORRECT and not part.misconceptions for part in right.parts)
    for (code, key), value in independent.items():
        if agree(value, problem.answers[key].value):
            continue  # a mistake that changes nothing does not apply (q = 1 - p(z = 1) makes KL symmetric)
        part = _graded(problem, key, value)
        assert part.status == INCORRECT and code in part.misconceptions, (code, key)
    seen = set()
    for key, codes in problem.mistakes.items():
        for code, values in codes.items():
            for value in values:
                part = _graded(problem, key, value)
                assert part.status == INCORRECT and code in part.misconceptions, (code, key)
                seen.add(code)
    return seen
