"""Exact solutions: sympy forms, float values and the model's identities."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from problems import DIFFICULTIES, TEMPLATES, Exact, generate_params, make_problem, solve
from problems.model import Params

seeds = st.integers(min_value=0, max_value=2**63 - 1)
difficulties = st.sampled_from(DIFFICULTIES)
probabilities = st.fractions(min_value=0, max_value=1, max_denominator=200).filter(lambda v: 0 < v < 1)


def _is_zero(expression) -> bool:
    """Zero once every log of a rational is written over primes, as sympy proves it."""
    expanded = expression.replace(
        lambda node: isinstance(node, sympy.log) and node.args[0].is_Rational,
        lambda node: sum(power * sympy.log(prime) for prime, power in sympy.factorrat(node.args[0]).items()),
    )
    return sympy.simplify(sympy.expand(expanded)) == 0


@settings(max_examples=150, deadline=None)
@given(seed=seeds, difficulty=difficulties)
def test_gap_equals_kl_to_posterior_exactly(seed, difficulty):
    exact = solve("elbo-gap", generate_params("elbo-gap", seed, difficulty))
    assert _is_zero(exact["gap"].to_sympy() - exact["kl_posterior"].to_sympy())


@settings(max_examples=150, deadline=None)
@given(seed=seeds, difficulty=difficulties)
def test_tight_bound_elbo_equals_log_marginal_exactly(seed, difficulty):
    exact = solve("tight-bound", generate_params("tight-bound", seed, difficulty))
    assert _is_zero(exact["elbo"].to_sympy() - exact["log_marginal"].to_sympy())
    assert exact["gap"].is_zero()


@settings(max_examples=100, deadline=None)
@given(p_z1=probabilities, l0=probabilities, l1=probabilities, q=probabilities, x=st.sampled_from((0, 1)))
def test_identities_hold_for_authored_params(p_z1, l0, l1, q, x):
    gap_case = solve("elbo-gap", Params(p_z1, l0, l1, x, q))
    assert _is_zero(gap_case["gap"].to_sympy() - gap_case["kl_posterior"].to_sympy())
    tight = solve("tight-bound", Params(p_z1, l0, l1, x, None))
    assert _is_zero(tight["elbo"].to_sympy() - tight["log_marginal"].to_sympy())


@settings(max_examples=60, deadline=None)
@given(seed=seeds, template=st.sampled_from(sorted(TEMPLATES)), difficulty=difficulties)
def test_each_answer_agrees_with_sympy(seed, template, difficulty):
    problem = make_problem(template, generate_params(template, seed, difficulty))
    for key, value in solve(template, problem.params).items():
        answer = problem.answers[key]
        expression = sympy.sympify(answer.exact)
        if isinstance(value, Exact):
            # The string form is sympy syntax for the same exact expression.
            assert sympy.simplify(expression - value.to_sympy()) == 0
        # Only rationals, their powers and logs: no floats anywhere.
        assert not expression.atoms(sympy.Float)
        # The float agrees with sympy's own evaluation to 15 significant digits.
        reference = sympy.N(expression, 30)
        assert abs(answer.value - float(reference)) <= 1e-15 * max(1.0, abs(float(reference)))


def test_latex_of_a_combination():
    exact = solve("elbo-gap", Params(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5)))
    assert exact["kl_prior"].latex() == (
        "\\frac{2}{5} \\ln{\\left(\\frac{4}{5} \\right)} + \\frac{3}{5} \\ln{\\left(\\frac{6}{5} \\right)}"
    )
    assert str(exact["kl_prior"]) == "2/5*log(4/5) + 3/5*log(6/5)"
