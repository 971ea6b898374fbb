"""The `beta-elbo` template (contract §16): exact values against mpmath, the identities of the optimum,
seeded variants whose every named mistake is diagnosed, authored params, follow-through and the steps.

Expected values are worked out here with mpmath at 50 digits from the formulas, apart from the code
under test.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise, product

import mpmath
import pytest
from beyond import agree, check_against_reference, check_refused, diagnosed_over_seeds, mp
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

BETA = "beta-elbo"
KEYS = ("reconstruction", "kl_prior", "beta_elbo", "optimal_q", "optimal_beta_elbo")
BETAS = [Fraction(1), Fraction(1, 2), Fraction(2), Fraction(3), Fraction(4), Fraction(3, 2), Fraction(2, 5),
         Fraction(7, 3), Fraction(1, 10), Fraction(10)]
probabilities = st.sampled_from(sorted({Fraction(k, n) for n in (3, 7, 10, 12, 100) for k in range(1, n)}))



def _raw(p_z1, p0, p1, x, q, beta) -> dict[str, object]:
    return {"p_z1": str(p_z1), "p_x1_given_z0": str(p0), "p_x1_given_z1": str(p1), "x": x, "q_z1": str(q),
            "beta": str(beta)}


def reference(p_z1: Fraction, p0: Fraction, p1: Fraction, x: int, q: Fraction, beta: Fraction) -> dict:
    """Every key at 50 digits; the maximum by the β-ELBO's definition at the optimum, not by β · ln Z."""
    with mpmath.workdps(50):
        prior, b, encoder = mp(p_z1), mp(beta), mp(q)
        l0, l1 = (mp(p0), mp(p1)) if x == 1 else (1 - mp(p0), 1 - mp(p1))

        def beta_elbo(at):
            reconstruction = (1 - at) * mpmath.log(l0) + at * mpmath.log(l1)
            kl = (1 - at) * mpmath.log((1 - at) / (1 - prior)) + at * mpmath.log(at / prior)
            return reconstruction, kl, reconstruction - b * kl

        tilted0, tilted1 = (1 - prior) * mpmath.power(l0, 1 / b), prior * mpmath.power(l1, 1 / b)
        optimal = tilted1 / (tilted0 + tilted1)
        reconstruction, kl, value = beta_elbo(encoder)
        step = min(optimal, 1 - optimal) / 1000
        return {"reconstruction": reconstruction, "kl_prior": kl, "beta_elbo": value, "optimal_q": optimal,
                "optimal_beta_elbo": beta_elbo(optimal)[2], "log_z": mpmath.log(tilted0 + tilted1),
                "below": max(beta_elbo(optimal - step)[2], beta_elbo(optimal + step)[2])}


@settings(max_examples=300, deadline=None)
@given(p_z1=probabilities, p0=probabilities, p1=probabilities, x=st.sampled_from((0, 1)), q=probabilities,
       beta=st.sampled_from(BETAS))
def test_exact_values_agree_with_mpmath_for_authored_params(p_z1, p0, p1, x, q, beta):
    problem = make_problem(BETA, parse_params(BETA, _raw(p_z1, p0, p1, x, q, beta)))
    expected = reference(p_z1, p0, p1, x, q, beta)
    check_against_reference(problem, expected)
    # The maximum: β · ln Z, reached at the optimum and nowhere near it.
    assert agree(problem.answers["optimal_beta_elbo"].value, mp(beta) * expected["log_z"])
    assert expected["below"] < expected["optimal_beta_elbo"]
    assert problem.answers["beta_elbo"].value <= problem.answers["optimal_beta_elbo"].value + 1e-15


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_exact_values_agree_with_mpmath_for_seeded_variants(difficulty):
    for seed in range(150):
        params = generate_params(BETA, seed, difficulty)
        binary = params.model
        expected = reference(binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x, binary.q_z1,
                             params.beta)
        check_against_reference(make_problem(BETA, params), expected)


@pytest.mark.parametrize(("p_z1", "p0", "p1", "x"), [
    (Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1), (Fraction(1, 3), Fraction(3, 10), Fraction(9, 10), 0),
    (Fraction(7, 100), Fraction(1, 7), Fraction(11, 12), 1),
])
def test_beta_1_gives_the_posterior_and_ln_p_x_exactly(p_z1, p0, p1, x):
    l0, l1 = (p0, p1) if x == 1 else (1 - p0, 1 - p1)
    marginal = (1 - p_z1) * l0 + p_z1 * l1
    exact = solve(BETA, parse_params(BETA, _raw(p_z1, p0, p1, x, Fraction(1, 2), 1)))
    assert exact["optimal_q"] == Exact.of(p_z1 * l1 / marginal)
    assert exact["optimal_beta_elbo"] == Exact.ln(marginal)
    # With β = 1 the β-ELBO is the ELBO: reconstruction - KL.
    assert exact["beta_elbo"] == exact["reconstruction"] - exact["kl_prior"]


def _logit(value: float) -> float:
    return float(mpmath.log(value / (1 - value)))


@pytest.mark.parametrize(("p_z1", "p0", "p1", "x"), list(product((Fraction(1, 5), Fraction(1, 2)),
                                                             (Fraction(1, 10), Fraction(3, 5)),
                                                             (Fraction(9, 10),), (0, 1))))
def test_the_optimum_moves_from_the_posterior_toward_the_prior_as_beta_grows(p_z1, p0, p1, x):
    betas = [Fraction(1, 2), Fraction(1), Fraction(2), Fraction(3), Fraction(4), Fraction(10)]
    optima = [make_problem(BETA, parse_params(BETA, _raw(p_z1, p0, p1, x, Fraction(1, 2), beta)))
              .answers["optimal_q"].value for beta in betas]
    distances = [abs(_logit(optimum) - _logit(float(p_z1))) for optimum in optima]
    # In log-odds the optimum is the prior's plus 1/β times the evidence: its distance to the prior falls as 1/β.
    assert distances == sorted(distances, reverse=True)
    for beta, distance in zip(betas, distances, strict=True):
        assert distance == pytest.approx(distances[1] / float(beta), rel=1e-9)


def _independent_mistakes(params) -> dict[tuple[str, str], float]:
    """The contract's mistakes, worked out here: (code, key) → the value a student who makes it gives."""
    binary = params.model
    right = reference(binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x, binary.q_z1, params.beta)
    plain = reference(binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x, binary.q_z1, Fraction(1))
    beta = float(params.beta)
    with mpmath.workdps(30):
        prior, q = mp(binary.p_z1), mp(binary.q_z1)
        reversed_kl = (1 - prior) * mpmath.log((1 - prior) / (1 - q)) + prior * mpmath.log(prior / q)
    mistakes = {("beta_ignored", key): float(plain[key]) for key in ("beta_elbo", "optimal_q", "optimal_beta_elbo")}
    mistakes[("beta_on_reconstruction", "beta_elbo")] = beta * float(right["reconstruction"]) - float(
        right["kl_prior"])
    mistakes[("kl_reversed", "kl_prior")] = float(reversed_kl)
    for key in ("reconstruction", "kl_prior", "beta_elbo", "optimal_beta_elbo"):
        mistakes[("log_base", key)] = float(right[key]) / float(mpmath.log(10))
    return mistakes


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_every_mistake_is_diagnosed_and_no_correct_answer_is_flagged(difficulty):
    seen = diagnosed_over_seeds(BETA, difficulty, _independent_mistakes)
    # Easy variants observe x = 1: no complement to miss.
    assert seen == set(TEMPLATES[BETA].mistakes) - ({"complement_missed"} if difficulty == "easy" else set())


def test_the_catalogue_holds_the_contract_codes():
    catalogue = TEMPLATES[BETA].mistakes
    assert catalogue["beta_ignored"].keys == {"beta_elbo", "optimal_q", "optimal_beta_elbo"}
    assert catalogue["beta_on_reconstruction"].keys == {"beta_elbo"}
    assert catalogue["log_base"].keys == {"reconstruction", "kl_prior", "beta_elbo", "optimal_beta_elbo"}
    assert catalogue["kl_reversed"].keys == {"kl_prior"}


def test_difficulty_rules():
    for seed in range(300):
        easy, standard, hard = (generate_params(BETA, seed, difficulty) for difficulty in DIFFICULTIES)
        assert easy.model.p_z1 == Fraction(1, 2) and easy.model.x == 1 and easy.beta == 2
        assert standard.beta in {Fraction(1, 2), 2, 3} and hard.beta in {Fraction(1, 2), 2, 3, 4}
        assert all((value * 10).denominator == 1 for value in (standard.model.p_z1, standard.model.q_z1))
        assert all(easy.model.q_z1 is not None and params.model.p_x1_given_z0 != params.model.p_x1_given_z1
                   for params in (easy, standard, hard))
    assert {generate_params(BETA, seed, "hard").beta for seed in range(100)} == {Fraction(1, 2), 2, 3, 4}


def test_params_round_trip_as_json():
    params = generate_params(BETA, 11, "hard")
    assert parse_params(BETA, params.to_json()) == params
    assert isinstance(params.to_json()["beta"], str)


@pytest.mark.parametrize(("raw", "errors"), [
    ({"beta": None}, {"beta": "is required"}),
    ({"beta": "0"}, {"beta": "must lie between 0.1 and 10"}),
    ({"beta": "-1"}, {"beta": "is not a decimal"}),
    ({"beta": "11"}, {"beta": "must lie between 0.1 and 10"}),
    ({"beta": "two"}, {"beta": "is not a decimal"}),
    ({"q_z1": None}, {"q_z1": "is required"}),
    ({"q_z1": "1.2", "beta": "0", "temperature": 1}, {"q_z1": "strictly between 0 and 1", "beta": "between",
                                                      "temperature": "is not a param"}),
])
def test_authored_params_are_refused_with_one_message_per_param(raw, errors):
    good = _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5), 2)
    refused = check_refused(BETA, good, raw, errors)
    assert "beta" in refused.get("temperature", "beta")


def test_authored_params_report_their_undetectable_mistakes():
    # q next to the prior: KL(q ‖ p) and KL(p ‖ q) are both about 0.0002, within the tolerance of each other.
    problem = make_problem(BETA, parse_params(BETA, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                          Fraction(51, 100), 2)))
    assert Undetectable("kl_reversed", "kl_prior") in undetectable(problem, Policy())
    # β = 1 ignores nothing: no such mistake to report.
    plain = make_problem(BETA, parse_params(BETA, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                        Fraction(3, 5), 1)))
    assert not any(code in {"beta_ignored", "beta_on_reconstruction"} for codes in plain.mistakes.values()
                   for code in codes)


def test_follow_through_over_each_keys_inputs():
    params = parse_params(BETA, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5), 2))
    problem = make_problem(BETA, params)
    # A wrong reconstruction term and KL, the β-ELBO worked from them: -0.8 - 2 · 0.05.
    carried = grade(problem, {"reconstruction": "-0.8", "kl_prior": "0.05", "beta_elbo": "-0.9"})
    assert [part.status for part in carried.parts][:3] == [INCORRECT, INCORRECT, FOLLOW_THROUGH]
    # A wrong optimal q of 0.7, the β-ELBO at it by its definition.
    q = mpmath.mpf("0.7")
    at = 0.3 * mpmath.log(0.3) + q * mpmath.log(0.9) - 2 * (0.3 * mpmath.log(0.3 / 0.5) + q * mpmath.log(q / 0.5))
    statuses = {part.key: part.status for part in grade(problem, {"optimal_q": "0.7",
                                                                   "optimal_beta_elbo": f"{float(at):.6f}"}).parts}
    assert (statuses["optimal_q"], statuses["optimal_beta_elbo"]) == (INCORRECT, FOLLOW_THROUGH)
    # An optimal q outside (0, 1) leaves the β-ELBO undefined: no follow-through, no crash.
    undefined = grade(problem, {"optimal_q": "1.5", "optimal_beta_elbo": "-1"})
    assert [part.status for part in undefined.parts][3:] == [INCORRECT, INCORRECT]


def test_the_practice_page_model_at_beta_2_in_student_notation():
    problem = make_problem(BETA, parse_params(BETA, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                          Fraction(3, 5), 2)))
    assert problem.answers["optimal_q"].text == "0.5 · 0.9^(1/2) / (0.5 · 0.3^(1/2) + 0.5 · 0.9^(1/2))"
    assert problem.answers["optimal_beta_elbo"].text == "2 · ln(0.5 · 0.3^(1/2) + 0.5 · 0.9^(1/2))"
    assert problem.answers["optimal_beta_elbo"].latex.startswith("2 \\ln{\\left(")
    # sqrt(3)/(1 + sqrt(3)) and 2 · ln((sqrt(0.3) + sqrt(0.9)) / 2), worked by hand.
    assert problem.answers["optimal_q"].value == pytest.approx(3**0.5 / (1 + 3**0.5), rel=1e-15)
    # At β = 1/2 the powers are squares: rationals and one log, an `Exact`.
    half = make_problem(BETA, parse_params(BETA, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                       Fraction(3, 5), Fraction(1, 2))))
    assert half.answers["optimal_q"].exact == "9/10"  # 0.81 / (0.09 + 0.81)
    assert half.answers["optimal_beta_elbo"].exact == "1/2*log(9/20)"  # (0.045 + 0.405) = 0.45


@pytest.mark.parametrize("x", [0, 1])
def test_steps_cover_every_key_once_and_derive_the_optimum(x):
    params = parse_params(BETA, _raw(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), x, Fraction(3, 5), 3))
    problem = make_problem(BETA, params)
    covered = [key for step in problem.steps for key in step.keys]
    assert covered == list(KEYS)
    text = "\n".join(line for step in problem.steps for line in step.lines)
    assert "β · ln Z - β · KL(q ‖ q_β)" in text and "posterior collapse" in text
    assert ("p(x = 0 | z) = 1 - p(x = 1 | z)" in text) is (x == 0)
    assert "0.5 · " in text and "^(1/3)" in text
    symbolic = "\n".join(line for step in problem.steps for line in step.symbolic)
    assert "1/β" in symbolic and "0.5" not in symbolic
    assert "posterior collapse" in problem.statement and "At $\\beta = 1$" in problem.statement


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_figure_is_the_beta_elbo_and_its_maximum_moves_toward_the_prior(difficulty, seed):
    params = generate_params(BETA, seed, difficulty)
    binary = params.model
    figure = TEMPLATES[BETA].figure(params)
    exact = TEMPLATES[BETA].solve(params)
    # The variant's own β: its curve gives the answers.
    own = figure.curves[figure.variant]
    assert own.beta == float(params.beta)
    assert own.maximiser == pytest.approx(exact["optimal_q"].value(), abs=1e-9)
    assert own.maximum == pytest.approx(exact["optimal_beta_elbo"].value(), abs=1e-9)
    assert own.at_given == pytest.approx(exact["beta_elbo"].value(), abs=1e-9)
    assert figure.given_q == float(binary.q_z1) and figure.prior == float(binary.p_z1)
    args = (binary.p_z1, binary.p_x1_given_z0, binary.p_x1_given_z1, binary.x)
    for curve in figure.curves:
        beta = Fraction(curve.beta)
        at_optimum = reference(*args, binary.q_z1, beta)
        assert curve.maximiser == pytest.approx(float(at_optimum["optimal_q"]), abs=1e-9)
        assert curve.maximum == pytest.approx(float(at_optimum["optimal_beta_elbo"]), abs=1e-9)
        for index in (0, len(figure.q) // 3, figure.q.index(curve.maximiser), len(figure.q) - 1):
            at_q = reference(*args, Fraction(figure.q[index]), beta)
            assert curve.values[index] == pytest.approx(float(at_q["beta_elbo"]), abs=1e-9)
        assert max(curve.values) == pytest.approx(curve.maximum, abs=1e-12)
    # β = 1 is among the curves: its maximiser is the posterior by Bayes' rule, its maximum ln p(x).
    likelihoods = (binary.p_x1_given_z0, binary.p_x1_given_z1) if binary.x == 1 else (
        1 - binary.p_x1_given_z0, 1 - binary.p_x1_given_z1)
    joint = ((1 - binary.p_z1) * likelihoods[0], binary.p_z1 * likelihoods[1])
    plain = next(curve for curve in figure.curves if curve.beta == 1)
    assert plain.maximiser == pytest.approx(float(joint[1] / sum(joint)), abs=1e-12)
    assert plain.maximum == pytest.approx(float(mpmath.log(mp(sum(joint)))), abs=1e-12)
    assert figure.posterior == pytest.approx(float(joint[1] / sum(joint)), abs=1e-12)
    betas = [curve.beta for curve in figure.curves]
    assert betas == sorted(betas) and betas[0] == 0.25 and betas[-1] == 8
    # Posterior collapse: the larger β, the closer the maximiser to the prior.
    distances = [abs(curve.maximiser - figure.prior) for curve in figure.curves]
    assert all(later < earlier for earlier, later in pairwise(distances))
