"""The seed page's numbers come out of the engine."""

from __future__ import annotations

from fractions import Fraction

import pytest
from practice_cases import load_cases

from problems import make_problem, parse_params

CASES = load_cases()
PART_1 = CASES["cases"][0]
PART_2 = CASES["cases"][1]


def _problem(case: dict):
    return make_problem(case["template"], parse_params(case["template"], case["params"]))


@pytest.mark.parametrize(("case", "part"), [(PART_1, "part 1"), (PART_2, "part 2")])
def test_exact_values_match_the_page(case, part):
    problem = _problem(case)
    for key, expected in CASES["exact"][part].items():
        expected_value = float(Fraction(expected)) if isinstance(expected, str) else expected
        assert problem.answers[key].value == pytest.approx(expected_value, abs=1e-12), key


def test_rational_answers_are_exact_fractions():
    problem = _problem(PART_1)
    assert problem.answers["marginal"].exact == "3/5"
    assert problem.answers["posterior"].exact == "3/4"
    assert problem.answers["log_marginal"].exact == "log(3/5)"
    assert problem.answers["log_marginal"].latex == "\\ln{\\left(\\frac{3}{5} \\right)}"


def test_tight_gap_is_exactly_zero():
    problem = _problem(PART_2)
    assert problem.answers["gap"].exact == "0"
    assert problem.answers["gap"].value == 0.0


# The page's own intermediate numbers, step by step (part 1 and part 2).
PART_1_NUMBERS = {
    0: ["0.5 · 0.3 + 0.5 · 0.9", "0.15 + 0.45", "= 0.6", "ln(0.6) ≈ -0.5108"],
    1: ["0.9 · 0.5 / 0.6", "0.45 / 0.6", "= 0.75"],
    2: ["0.4 · ln(0.3) + 0.6 · ln(0.9)", "0.4 · (-1.2040) + 0.6 · (-0.1054)", "-0.4816", "-0.0632", "-0.5448",
        "0.4 · ln(0.4/0.5) + 0.6 · ln(0.6/0.5)", "0.4 · ln(0.8) + 0.6 · ln(1.2)", "-0.0893", "0.1094", "0.0201",
        "-0.5649"],
    3: ["-0.5108 - (-0.5649)", "0.0541", "0.4 · ln(0.4/0.25) + 0.6 · ln(0.6/0.75)", "0.4 · ln(1.6) + 0.6 · ln(0.8)",
        "0.4700", "0.1880", "-0.1339"],
}
PART_2_NUMBERS = {
    0: ["= 0.75"],
    1: ["0.25 · ln(0.3) + 0.75 · ln(0.9)", "0.25 · (-1.2040) + 0.75 · (-0.1054)", "-0.3010",
        "0.25 · ln(0.5) + 0.75 · ln(1.5)", "0.25 · (-0.6931) + 0.75 · 0.4055", "-0.1733", "0.3041", "0.1308"],
    2: ["ln(0.6) ≈ -0.5108", "0 exactly"],
}


@pytest.mark.parametrize(("case", "numbers"), [(PART_1, PART_1_NUMBERS), (PART_2, PART_2_NUMBERS)])
def test_worked_lines_show_the_page_numbers(case, numbers):
    steps = _problem(case).steps
    for index, fragments in numbers.items():
        text = "\n".join(steps[index].lines)
        for fragment in fragments:
            assert fragment in text, (index, fragment)
