"""Worked steps: order, keys, x = 0 and x = 1, symbolic form."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problems import TEMPLATES, generate_params, make_problem
from problems.binary import BinaryTemplate
from problems.model import Params

PAGE = Params(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5))
# Templates of the binary model with its five params; the others are tested in their own modules.
BINARY = sorted(name for name, found in TEMPLATES.items() if isinstance(found, BinaryTemplate))


@pytest.mark.parametrize("template", BINARY)
def test_steps_cover_every_key_once_in_order(template):
    params = PAGE if template == "elbo-gap" else Params(PAGE.p_z1, PAGE.p_x1_given_z0, PAGE.p_x1_given_z1, 1, None)
    steps = make_problem(template, params).steps
    covered = [key for step in steps for key in step.keys]
    assert sorted(covered) == sorted(TEMPLATES[template].answer_keys)
    assert len(covered) == len(set(covered))
    for step in steps:
        assert step.lines and step.symbolic and step.title and step.rule


@pytest.mark.parametrize("template", BINARY)
def test_x0_uses_the_complement_and_says_so(template):
    q_z1 = Fraction(3, 5) if template == "elbo-gap" else None
    params = Params(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 0, q_z1)
    first = make_problem(template, params).steps[0]
    text = "\n".join(first.lines)
    assert "p(x = 0 | z) = 1 - p(x = 1 | z)" in text
    assert "1 - 0.3 = 0.7" in text and "1 - 0.9 = 0.1" in text
    # p(x = 0) = 0.5 · 0.7 + 0.5 · 0.1 = 0.35 + 0.05 = 0.4
    assert "p(x = 0) = 0.5 · 0.7 + 0.5 · 0.1 = 0.35 + 0.05 = 0.4" in text
    assert "p(x = 0 | z) = 1 - p(x = 1 | z)" in "\n".join(first.symbolic)


@pytest.mark.parametrize("template", BINARY)
def test_x1_has_no_complement_line(template):
    params = PAGE if template == "elbo-gap" else Params(PAGE.p_z1, PAGE.p_x1_given_z0, PAGE.p_x1_given_z1, 1, None)
    text = "\n".join(line for step in make_problem(template, params).steps for line in step.lines)
    assert "complement" not in text
    assert "x = 0" not in text


DECIMAL = re.compile(r"\d\.\d")


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), template=st.sampled_from(sorted(TEMPLATES)),
       difficulty=st.sampled_from(("easy", "standard", "hard")))
def test_symbolic_lines_carry_no_numbers_and_numeric_lines_round_to_four(seed, template, difficulty):
    problem = make_problem(template, generate_params(template, seed, difficulty))
    for step in problem.steps:
        for line in step.symbolic:
            assert not DECIMAL.search(line), line
        for line in step.lines:
            for number in re.findall(r"-?\d+\.\d+", line):
                assert len(number.split(".")[1]) <= 4 or "≈" not in line.split(number)[0][-3:], line
    # Every key's rounded value appears in the lines of the step that covers it.
    for step in problem.steps:
        text = "\n".join(step.lines)
        for key in step.keys:
            value = problem.answers[key].value
            assert f"{value:.4f}".replace("-0.0000", "0.0000") in text or _exact_text(value) in text, (key, text)


def _exact_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")
