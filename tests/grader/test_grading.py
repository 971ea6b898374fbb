"""Grading: the practice page, tolerance, follow-through, scoring, hints mode."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from practice_cases import load_cases

from grader import (
    CORRECT,
    FOLLOW_THROUGH,
    INCORRECT,
    UNANSWERED,
    InvalidPolicy,
    Policy,
    UnknownAnswerKeys,
    UnreadableAnswers,
    grade,
)
from problems import TEMPLATES, generate_params, make_problem, parse_params

CASES = load_cases()["cases"]
PAGE = CASES[0]


def _page_problem(case=PAGE):
    return make_problem(case["template"], parse_params(case["template"], case["params"]))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_practice_page_cases_grade_correct(case):
    result = grade(_page_problem(case), case["answers"])
    assert result.score == case["expect"]["score"]
    assert {part.status for part in result.parts} == {case["expect"]["every_status"]}
    assert all(part.misconceptions == () for part in result.parts)


def test_json_numbers_as_decimals_grade_like_floats():
    answers = {key: Decimal(str(value)) for key, value in PAGE["answers"].items()}
    assert grade(_page_problem(), answers).score == 1.0


@pytest.mark.parametrize(("offset", "status"), [(0.0, CORRECT), (0.0004, CORRECT), (-0.0004, CORRECT),
                                                (0.002, INCORRECT), (-0.002, INCORRECT)])
def test_tolerance_on_the_marginal(offset, status):
    part = grade(_page_problem(), {"marginal": 0.6 + offset}).parts[0]
    assert part.status == status


def test_tolerance_comes_from_the_policy():
    loose = Policy(abs_tol=0.01)
    assert grade(_page_problem(), {"marginal": 0.605}, loose).parts[0].status == CORRECT
    assert grade(_page_problem(), {"marginal": 0.605}).parts[0].status == INCORRECT


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**62), template=st.sampled_from(sorted(TEMPLATES)),
       difficulty=st.sampled_from(("easy", "standard", "hard")))
def test_exact_values_rounded_to_four_decimals_are_never_flagged(seed, template, difficulty):
    problem = make_problem(template, generate_params(template, seed, difficulty))
    answers = {key: round(answer.value, 4) for key, answer in problem.answers.items()}
    result = grade(problem, answers)
    assert result.score == 1.0
    assert all(part.status == CORRECT and part.misconceptions == () for part in result.parts)


def test_thousands_of_variants_rounded_answers_all_correct():
    for template in TEMPLATES:
        for difficulty in ("easy", "standard", "hard"):
            for seed in range(400):
                problem = make_problem(template, generate_params(template, seed, difficulty))
                answers = {key: f"{answer.value:.4f}" for key, answer in problem.answers.items()}
                result = grade(problem, answers)
                assert all(part.status == CORRECT and not part.misconceptions for part in result.parts), \
                    (template, difficulty, seed)


def test_wrong_marginal_carried_into_log_and_posterior_is_follow_through():
    result = grade(_page_problem(), {"marginal": 0.65, "log_marginal": "ln(0.65)", "posterior": 0.45 / 0.65})
    statuses = {part.key: part.status for part in result.parts}
    assert statuses["marginal"] == INCORRECT
    assert statuses["log_marginal"] == FOLLOW_THROUGH
    assert statuses["posterior"] == FOLLOW_THROUGH
    log_part = result.parts[1]
    assert "follows correctly from your p(x = 1) = 0.65, which is wrong" in log_part.feedback
    assert log_part.credit == 1.0


def test_wrong_reconstruction_carried_into_elbo_and_gap_is_follow_through():
    reconstruction = -0.60  # wrong; exact is about -0.5448
    elbo = reconstruction - 0.0201
    gap = math.log(0.6) - elbo
    result = grade(_page_problem(), {"marginal": 0.6, "log_marginal": -0.5108, "reconstruction": reconstruction,
                                     "kl_prior": 0.0201, "elbo": elbo, "gap": gap})
    statuses = {part.key: part.status for part in result.parts}
    assert statuses["reconstruction"] == INCORRECT
    assert statuses["elbo"] == FOLLOW_THROUGH
    assert statuses["gap"] == FOLLOW_THROUGH


def test_inconsistent_carry_is_incorrect():
    # ln(0.7) does not follow from a marginal of 0.65.
    result = grade(_page_problem(), {"marginal": 0.65, "log_marginal": "ln(0.7)", "posterior": 0.5})
    statuses = {part.key: part.status for part in result.parts}
    assert statuses["log_marginal"] == INCORRECT
    assert statuses["posterior"] == INCORRECT


def test_tight_bound_uses_the_students_posterior_as_q():
    case = CASES[1]
    q = 0.7  # wrong posterior; exact is 0.75
    reconstruction = (1 - q) * math.log(0.3) + q * math.log(0.9)
    kl_prior = (1 - q) * math.log((1 - q) / 0.5) + q * math.log(q / 0.5)
    result = grade(_page_problem(case), {"posterior": q, "reconstruction": reconstruction, "kl_prior": kl_prior,
                                          "elbo": reconstruction - kl_prior})
    statuses = {part.key: part.status for part in result.parts}
    assert statuses["posterior"] == INCORRECT
    assert statuses["reconstruction"] == statuses["kl_prior"] == statuses["elbo"] == FOLLOW_THROUGH


def test_follow_through_credit_and_attempt_penalty_shape_the_score():
    answers = {**PAGE["answers"], "marginal": 0.65, "log_marginal": "ln(0.65)", "posterior": "0.45/0.65"}
    half = Policy(follow_through_credit=0.5, attempt_penalty=0.25)
    first = grade(_page_problem(), answers, half, attempt=1)
    # marginal 0, two parts at 0.5, five correct: (0 + 1 + 5) / 8
    assert first.score == pytest.approx(6 / 8)
    third = grade(_page_problem(), answers, half, attempt=3)
    assert third.score == pytest.approx(6 / 8 * 0.5)
    assert grade(_page_problem(), answers, half, attempt=9).score == 0.0


def test_unanswered_parts_score_zero_and_blank_is_unanswered():
    result = grade(_page_problem(), {"marginal": 0.6, "posterior": None, "elbo": "  "})
    statuses = {part.key: part.status for part in result.parts}
    assert statuses["marginal"] == CORRECT
    assert statuses["posterior"] == statuses["elbo"] == statuses["gap"] == UNANSWERED
    assert result.score == pytest.approx(1 / 8)


def test_unknown_keys_are_refused_by_name():
    with pytest.raises(UnknownAnswerKeys) as caught:
        grade(_page_problem(), {"marginal": 0.6, "evidence": 1, "zzz": 2})
    assert caught.value.keys == ("evidence", "zzz")


def test_unreadable_answers_are_all_reported_with_positions():
    with pytest.raises(UnreadableAnswers) as caught:
        grade(_page_problem(), {"marginal": "0.4ln(0.8)", "posterior": "1/0", "elbo": -0.56})
    assert set(caught.value.errors) == {"marginal", "posterior"}
    assert caught.value.errors["marginal"].position == 4


def test_hints_mode_hides_expected_numbers_and_shows_symbolic_steps():
    problem = _page_problem()
    result = grade(problem, {"marginal": 0.65, "log_marginal": "ln(0.65)", "elbo": -0.5247}, Policy(feedback="hints"))
    assert all(part.expected is None for part in result.parts)
    assert "expected" not in str([part.to_json() for part in result.parts])
    text = str(result.to_json())
    for answer in problem.answers.values():
        assert f"{answer.value:.4f}" not in text
        assert f"{abs(answer.value):.3f}" not in text
    assert [step.lines for step in result.steps] == [step.symbolic for step in problem.steps]
    # The guidance is still there: the diagnosis and the follow-through notice.
    assert result.parts[5].misconceptions == ("kl_added",)
    assert "follows correctly from your p(x = 1) = 0.65" in result.parts[1].feedback


def test_full_mode_gives_expected_and_numeric_steps():
    problem = _page_problem()
    result = grade(problem, {"marginal": 0.65})
    assert result.parts[0].expected == pytest.approx(0.6)
    assert "0.6" in result.parts[0].feedback
    assert [step.lines for step in result.steps] == [step.lines for step in problem.steps]


def test_steps_are_marked_and_the_first_wrong_one_pointed_out():
    answers = {**PAGE["answers"], "posterior": 0.25}
    steps = grade(_page_problem(), answers).steps
    assert [step.status for step in steps] == [CORRECT, INCORRECT, CORRECT, CORRECT]
    assert [step.first_wrong for step in steps] == [False, True, False, False]


@pytest.mark.parametrize(("field", "value"), [
    ("abs_tol", -0.1), ("rel_tol", 2), ("follow_through_credit", 1.5), ("attempt_penalty", -1),
    ("max_attempts", 0), ("max_attempts", 2.5), ("max_attempts", True), ("feedback", "verbose"),
    ("abs_tol", float("nan")), ("abs_tol", "0.1"),
])
def test_invalid_policy_fields_are_named(field, value):
    with pytest.raises(InvalidPolicy) as caught:
        Policy.from_json({field: value})
    assert field in caught.value.errors


def test_unknown_policy_field_is_refused():
    with pytest.raises(InvalidPolicy) as caught:
        Policy.from_json({"tolerance": 0.1})
    assert "tolerance" in caught.value.errors


def test_a_result_rescored_for_a_later_attempt_matches_grading_that_attempt():
    answers = {**PAGE["answers"], "marginal": 0.65, "log_marginal": "ln(0.65)"}
    policy = Policy(follow_through_credit=0.5, attempt_penalty=0.2)
    first = grade(_page_problem(), answers, policy, attempt=1)
    assert first.for_attempt(3, policy) == grade(_page_problem(), answers, policy, attempt=3)
