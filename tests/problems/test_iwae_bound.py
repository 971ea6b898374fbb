"""The `iwae-bound` template (contract §16): exact values against mpmath, the bound's identities, seeded
variants whose every named mistake is diagnosed, authored params, follow-through and the steps.

Expected values are worked out here with mpmath at 50 digits, the k-sample bound by summing over all 2^k
sequences of draws (not over how many are 1, as the code under test does).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise, product

import mpmath
import pytest
from beyond import check_against_reference, check_refused, diagnosed_over_seeds, mp
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import FOLLOW_THROUGH, INCORRECT, Policy, grade
from grader.undetectable import Undetectable, undetectable
from problems import (
    DIFFICULTIES,
    TEMPLATES,
    Exact,
    generate_params,
    make_problem,
    parse_params,
    solve,
)

IWAE = "iwae-bound"
KEYS = ("weight_z0", "weight_z1", "elbo", "iwae", "log_marginal", "iwae_gap")
probabilities = st.sampled_from(sorted({Fraction(k, n) for n in (3, 7, 10, 12, 100) for k in range(1, n)}))



def _raw(p_z1, p0, p1, x, q, k) -> dict[str, object]:
    return {"p_z1": str(p_z1), "p_x1_given_z0": str(p0), "p_x1_given_z1": str(p1), "x": x, "q_z1": str(q), "k": k}


def reference(p_z1: Fraction, p0: Fraction, p1: Fraction, x: int, q: Fraction, k: int) -> dict:
    """Every key at 50 digits; the bound as the expectation over every sequence of k draws."""
    with mpmath.workdps(50):
        prior, encoder = mp(p_z1), mp(q)
        l0, l1 = (mp(p0), mp(p1)) if x == 1 else (1 - mp(p0), 1 - mp(p1))
        weight = {0: (1 - prior) * l0 / (1 - encoder), 1: prior * l1 / encoder}
        chance = {0: 1 - encoder, 1: encoder}
        iwae = mpmath.mpf(0)
        for draws in product((0, 1), repeat=k):
            probability = mpmath.fprod(chance[z] for z in draws)
            iwae += probability * mpmath.log(mpmath.fsum(weight[z] for z in draws) / k)
        log_marginal = mpmath.log((1 - prior) * l0 + prior * l1)
        elbo = chance[0] * mpmath.log(weight[0]) + chance[1] * mpmath.log(weight[1])
        return {"weight_z0": weight[0], "weight_z1": weight[1], "elbo": elbo, "iwae": iwae,
                "log_marginal": log_marginal, "iwae_gap": log_marginal - iwae}


@settings(max_examples=300, deadline=None)
@given(p_z1=probabilities, p0=probabilities, p1=probabilities, x=st.sampled_from((0, 1)), q=probabilities,
       k=st.integers(1, 6))
def test_exact_values_agree_with_mpmath_for_authored_params(p_z1, p0, p1, x, q, k):
    problem = make_problem(IWAE, parse_params(IWAE, _raw(p_z1, p0, p1, x, q, k)))
    check_against_reference(problem, reference(p_z1, p0, p1, x, q, k))


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_exact_values_agree_with_mpmath_for_seeded_variants(difficulty):
    for seed in range(100):
        params = generate_params(IWAE, seed, difficulty)
        binary = params.model
        expected = reference(binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x, binary.q_z1,
                             params.k)
        check_against_reference(make_problem(IWAE, params), expected)


@settings(max_examples=100, deadline=None)
@given(p_z1=probabilities, p0=probabilities, p1=probabilities, x=st.sampled_from((0, 1)), q=probabilities)
def test_k_1_is_the_elbo_and_the_bound_rises_with_k_below_ln_p_x(p_z1, p0, p1, x, q):
    bounds = [solve(IWAE, parse_params(IWAE, _raw(p_z1, p0, p1, x, q, k))) for k in range(1, 7)]
    assert bounds[0]["iwae"] == bounds[0]["elbo"]
    log_marginal = bounds[0]["log_marginal"]
    assert all(exact["log_marginal"] == log_marginal for exact in bounds)
    values = [exact["iwae"].value() for exact in bounds]
    l0, l1 = (p0, p1) if x == 1 else (1 - p0, 1 - p1)
    if q == p_z1 * l1 / ((1 - p_z1) * l0 + p_z1 * l1):
        # q is the posterior: both weights are p(x), and every bound is ln p(x) exactly.
        assert all((exact["iwae"] - log_marginal).is_zero() for exact in bounds)
        return
    # With unequal weights the log's concavity is strict: each k gains, none reaches ln p(x).
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values
    assert values[-1] < log_marginal.value()
    assert all(exact["iwae_gap"].value() > 0 for exact in bounds)


def _independent_mistakes(params) -> dict[tuple[str, str], float]:
    """The contract's mistakes, worked out here: (code, key) → the value a student who makes it gives."""
    binary = params.model
    args = (binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x, binary.q_z1)
    right = reference(*args, params.k)
    return {
        ("k_ignored", "iwae"): float(reference(*args, 1)["iwae"]),
        ("log_of_mean", "iwae"): float(right["log_marginal"]),
        ("weight_inverted", "weight_z0"): float(1 / right["weight_z0"]),
        ("weight_inverted", "weight_z1"): float(1 / right["weight_z1"]),
        **{("log_base", key): float(right[key] / mpmath.log(10)) for key in ("elbo", "iwae", "log_marginal",
                                                                              "iwae_gap")},
    }


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_every_mistake_is_diagnosed_and_no_correct_answer_is_flagged(difficulty):
    seen = diagnosed_over_seeds(IWAE, difficulty, _independent_mistakes)
    # Easy variants observe x = 1: no complement to miss.
    assert seen == set(TEMPLATES[IWAE].mistakes) - ({"complement_missed"} if difficulty == "easy" else set())


def test_the_catalogue_holds_the_contract_codes():
    catalogue = TEMPLATES[IWAE].mistakes
    assert catalogue["k_ignored"].keys == {"iwae"} and "iwae" in catalogue["log_of_mean"].keys
    assert catalogue["weight_inverted"].keys == {"weight_z0", "weight_z1"}
    assert catalogue["log_base"].keys == {"elbo", "iwae", "log_marginal", "iwae_gap"}
    assert "kl_reversed" not in catalogue  # no KL is asked


def test_difficulty_rules():
    for seed in range(300):
        easy, standard, hard = (generate_params(IWAE, seed, difficulty) for difficulty in DIFFICULTIES)
        assert easy.model.p_z1 == Fraction(1, 2) and easy.model.x == 1 and easy.k == 2
        assert standard.k in {2, 3, 4} and hard.k in {3, 4, 5, 6}
        assert all((value * 10).denominator == 1 for value in (standard.model.p_z1, standard.model.q_z1))
    assert {generate_params(IWAE, seed, "hard").k for seed in range(100)} == {3, 4, 5, 6}


def test_params_round_trip_as_json():
    params = generate_params(IWAE, 11, "hard")
    assert parse_params(IWAE, params.to_json()) == params
    assert isinstance(params.to_json()["k"], int)


@pytest.mark.parametrize(("raw", "errors"), [
    ({"k": None}, {"k": "must be an integer from 1 to 6"}),
    ({"k": 0}, {"k": "must be an integer from 1 to 6"}),
    ({"k": 7}, {"k": "must be an integer from 1 to 6"}),
    ({"k": "3"}, {"k": "must be an integer"}),
    ({"k": True}, {"k": "must be an integer"}),
    ({"k": 2.5, "x": 2, "samples": 3}, {"k": "integer", "x": "0 or 1", "samples": "is not a param"}),
])
def test_authored_params_are_refused_with_one_message_per_param(raw, errors):
    good = _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5), 2)
    check_refused(IWAE, good, raw, errors)


def test_authored_params_report_their_undetectable_mistakes():
    # q just off the posterior 0.75: every bound is within the tolerance of ln p(x).
    problem = make_problem(IWAE, parse_params(IWAE, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                          Fraction(74, 100), 3)))
    found = undetectable(problem, Policy())
    assert Undetectable("log_of_mean", "iwae") in found and Undetectable("k_ignored", "iwae") in found
    # k = 1: the bound is the ELBO, so ignoring k changes nothing and is no mistake to report.
    one = make_problem(IWAE, parse_params(IWAE, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                      Fraction(3, 5), 1)))
    assert "k_ignored" not in one.mistakes["iwae"] and "sum_not_mean" not in one.mistakes["iwae"]


def test_follow_through_over_each_keys_inputs():
    params = parse_params(IWAE, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5), 2))
    problem = make_problem(IWAE, params)
    # Weights 0.5 and 0.7 (the right ones are 0.375 and 0.75), everything worked from them.
    with mpmath.workdps(30):
        w0, w1, q = mpmath.mpf("0.5"), mpmath.mpf("0.7"), mpmath.mpf("0.6")
        elbo = (1 - q) * mpmath.log(w0) + q * mpmath.log(w1)
        iwae = ((1 - q) ** 2 * mpmath.log(w0) + 2 * q * (1 - q) * mpmath.log((w0 + w1) / 2)
                + q ** 2 * mpmath.log(w1))
        log_marginal = mpmath.log((1 - q) * w0 + q * w1)
    answers = {"weight_z0": "0.5", "weight_z1": "0.7", "elbo": f"{float(elbo):.6f}", "iwae": f"{float(iwae):.6f}",
               "log_marginal": f"{float(log_marginal):.6f}", "iwae_gap": f"{float(log_marginal - iwae):.6f}"}
    statuses = [part.status for part in grade(problem, answers).parts]
    assert statuses == [INCORRECT, INCORRECT, FOLLOW_THROUGH, FOLLOW_THROUGH, FOLLOW_THROUGH, FOLLOW_THROUGH]
    # A weight that is not positive has no log: no follow-through, no crash.
    negative = grade(problem, {"weight_z0": "-0.5", "weight_z1": "0.7", "elbo": "-1"})
    assert [part.status for part in negative.parts][:3] == [INCORRECT, INCORRECT, INCORRECT]


def test_the_practice_page_model_with_two_draws():
    problem = make_problem(IWAE, parse_params(IWAE, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                          Fraction(3, 5), 2)))
    # w(0) = 0.5 · 0.3 / 0.4 = 0.375, w(1) = 0.5 · 0.9 / 0.6 = 0.75; both draws differ with chance 2 · 0.6 · 0.4.
    assert (problem.answers["weight_z0"].exact, problem.answers["weight_z1"].exact) == ("3/8", "3/4")
    assert problem.answers["iwae"].text == "0.16 · ln(0.375) + 0.48 · ln(0.5625) + 0.36 · ln(0.75)"
    assert problem.answers["log_marginal"].text == "ln(0.6)"
    assert isinstance(solve(IWAE, problem.params)["iwae"], Exact)


@pytest.mark.parametrize("x", [0, 1])
def test_steps_cover_every_key_once_and_show_every_draw_count(x):
    params = parse_params(IWAE, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), x, Fraction(3, 5), 3))
    problem = make_problem(IWAE, params)
    assert [key for step in problem.steps for key in step.keys] == list(KEYS)
    text = "\n".join(line for step in problem.steps for line in step.lines)
    assert all(f"j = {j}: C(3, {j})" in text for j in range(4))
    assert ("p(x = 0 | z) = 1 - p(x = 1 | z)" in text) is (x == 0)
    assert "Jensen" in text and "rises with k" in problem.statement
    symbolic = "\n".join(line for step in problem.steps for line in step.symbolic)
    assert "0.5" not in symbolic and "C(3, j)" in symbolic


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_figure_rises_with_k_toward_ln_p_x(difficulty, seed):
    params = generate_params(IWAE, seed, difficulty)
    binary = params.model
    figure = TEMPLATES[IWAE].figure(params)
    exact = TEMPLATES[IWAE].solve(params)
    assert figure.k == params.k and len(figure.bounds) == 10
    args = (binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x, binary.q_z1)
    for k, value in enumerate(figure.bounds, 1):
        assert value == pytest.approx(float(reference(*args, k)["iwae"]), abs=1e-9)
    # Where the figure meets the answers: k = 1 is the ELBO, the variant's k its bound, and ln p(x).
    assert figure.bounds[0] == pytest.approx(exact["elbo"].value(), abs=1e-9)
    assert figure.bounds[params.k - 1] == pytest.approx(exact["iwae"].value(), abs=1e-9)
    assert figure.log_marginal == pytest.approx(exact["log_marginal"].value(), abs=1e-9)
    # Non-decreasing in k and never above ln p(x) (Burda et al.): a float's slack and no more.
    assert all(later >= earlier - 1e-12 for earlier, later in pairwise(figure.bounds))
    assert all(value <= figure.log_marginal + 1e-12 for value in figure.bounds)
