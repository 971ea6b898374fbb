"""Follow-through values: computed from the student's own inputs, never a value that matches anything."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import INCORRECT, grade
from grader.follow_through import carried_value
from problems import TEMPLATES, generate_params, make_problem, parse_params

PAGE = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}


def test_a_vanishing_marginal_earns_no_follow_through_credit():
    # 1e-310 divided into the joint overflows to infinity, which lies "within tolerance" of anything.
    problem = make_problem("elbo-gap", parse_params("elbo-gap", PAGE))
    answers = {"marginal": "1e-300*1e-10", "posterior": "1e-300*1e-10", "kl_posterior": "42"}
    parts = {part.key: part for part in grade(problem, answers).parts}
    assert parts["posterior"].status == INCORRECT and parts["posterior"].credit == 0
    assert parts["kl_posterior"].status == INCORRECT and parts["kl_posterior"].credit == 0
    assert grade(problem, answers).score == 0


# Every float a student's answer can read as, from the smallest subnormal to 1e100.
answers = st.one_of(
    st.floats(min_value=-1e100, max_value=1e100, allow_nan=False),
    st.sampled_from([5e-324, 1e-310, -1e-310, 1e-300, 1 - 1e-16, 1e100, -1e100]),
)


@settings(max_examples=500, deadline=None)
@given(template_id=st.sampled_from(sorted(TEMPLATES)), seed=st.integers(0, 2**32),
       values=st.lists(answers, min_size=8, max_size=8))
def test_a_carried_value_is_finite_or_none(template_id, seed, values):
    found = TEMPLATES[template_id]
    problem = make_problem(template_id, generate_params(template_id, seed))
    given_answers = dict(zip(found.answer_keys, values, strict=False))
    for key in found.answer_keys:
        carried = carried_value(found, key, problem.params, given_answers)
        assert carried is None or math.isfinite(carried)


@pytest.mark.parametrize("marginal", [1e-310, 5e-324])
def test_the_log_of_a_tiny_marginal_is_still_a_finite_follow_through_value(marginal):
    found = TEMPLATES["elbo-gap"]
    problem = make_problem("elbo-gap", parse_params("elbo-gap", PAGE))
    assert carried_value(found, "log_marginal", problem.params, {"marginal": marginal}) == pytest.approx(
        math.log(marginal)
    )
