"""Feedback a student can trust: one notation, English that reads right, in every template, key, status,
named mistake and feedback mode.

Submissions are built from a model worked out here, apart from the code under test (contract §2), so
each part lands on the status it is meant to have.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import CORRECT, FOLLOW_THROUGH, INCORRECT, UNANSWERED, Policy, grade
from grader.feedback import listed
from problems import DIFFICULTIES, TEMPLATES, Params, Problem, generate_params, make_problem, parse_params

FULL, HINTS, HALF_CREDIT = Policy(), Policy(feedback="hints"), Policy(follow_through_credit=0.5)
PAGE = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}
TIGHT_PAGE = {**PAGE, "q_z1": None}
# Sympy syntax, the other log and the other minus sign: none belongs in what a student reads.
FOREIGN = ("log(", "*", "\\log", "−")

authored_probabilities = st.sampled_from(sorted({Fraction(k, n) for n in (3, 7, 10, 12, 100) for k in range(1, n)}))


def _kl(a: float, b: float) -> float:
    return (1 - a) * math.log((1 - a) / (1 - b)) + a * math.log(a / b)


def _model(problem: Problem, marginal: float | None = None, posterior_as_q: float | None = None,
           ) -> dict[str, float]:
    """Every key from the variant's params; a student's own marginal or (tight bound) q may stand in."""
    params = problem.params
    assert isinstance(params, Params)
    prior, p0, p1, x = float(params.p_z1), float(params.p_x1_given_z0), float(params.p_x1_given_z1), params.x
    l0, l1 = (p0, p1) if x == 1 else (1 - p0, 1 - p1)
    true_marginal = (1 - prior) * l0 + prior * l1
    marginal = true_marginal if marginal is None else marginal
    posterior = l1 * prior / marginal
    q = float(params.q_z1) if params.q_z1 is not None else posterior if posterior_as_q is None else posterior_as_q
    reconstruction = (1 - q) * math.log(l0) + q * math.log(l1)
    kl_prior = _kl(q, prior)
    elbo = reconstruction - kl_prior
    return {"marginal": marginal, "log_marginal": math.log(marginal), "posterior": posterior,
            "reconstruction": reconstruction, "kl_prior": kl_prior, "elbo": elbo,
            "gap": math.log(marginal) - elbo, "kl_posterior": _kl(q, posterior)}


def _floats(params) -> tuple[float, float, float, float]:
    """The prior, both likelihoods of the observed x and the given q of a template beyond the page."""
    binary = params.model
    prior, p0, p1 = float(binary.p_z1), float(binary.p_x1_given_z0), float(binary.p_x1_given_z1)
    l0, l1 = (p0, p1) if binary.x == 1 else (1 - p0, 1 - p1)
    return prior, l0, l1, float(binary.q_z1)


def _beta_model(problem: Problem, optimal_q: float | None = None) -> dict[str, float]:
    """beta-elbo's keys (contract §16); a student's own optimal q may stand in."""
    prior, l0, l1, q = _floats(problem.params)
    beta = float(problem.params.beta)  # type: ignore[attr-defined]
    tilted = ((1 - prior) * l0 ** (1 / beta), prior * l1 ** (1 / beta))
    optimal = tilted[1] / sum(tilted) if optimal_q is None else optimal_q

    def at(encoder: float) -> tuple[float, float, float]:
        reconstruction = (1 - encoder) * math.log(l0) + encoder * math.log(l1)
        return reconstruction, _kl(encoder, prior), reconstruction - beta * _kl(encoder, prior)

    reconstruction, kl_prior, beta_elbo = at(q)
    # The β-ELBO at the optimum by its definition, not by β · ln Z: the two agree there.
    return {"reconstruction": reconstruction, "kl_prior": kl_prior, "beta_elbo": beta_elbo,
            "optimal_q": optimal, "optimal_beta_elbo": at(optimal)[2]}


def _iwae_model(problem: Problem, weights: tuple[float, float] | None = None) -> dict[str, float]:
    """iwae-bound's keys (contract §16), the k-sample bound summed over all 2^k draws; a student's weights may
    stand in."""
    prior, l0, l1, q = _floats(problem.params)
    k = problem.params.k  # type: ignore[attr-defined]
    w = weights or ((1 - prior) * l0 / (1 - q), prior * l1 / q)
    iwae = 0.0
    for draws in range(2**k):
        ones = bin(draws).count("1")
        iwae += q**ones * (1 - q) ** (k - ones) * math.log((ones * w[1] + (k - ones) * w[0]) / k)
    log_marginal = math.log((1 - q) * w[0] + q * w[1])
    return {"weight_z0": w[0], "weight_z1": w[1], "elbo": (1 - q) * math.log(w[0]) + q * math.log(w[1]),
            "iwae": iwae, "log_marginal": log_marginal, "iwae_gap": log_marginal - iwae}


def _beta_sheets(problem: Problem) -> list[dict[str, float]]:
    # A wrong reconstruction term carried into the β-ELBO, a wrong optimal q into the maximum; then both terms.
    right = _beta_model(problem)
    beta = float(problem.params.beta)  # type: ignore[attr-defined]
    carried = _beta_model(problem, optimal_q=_wrong_probability(right["optimal_q"]))
    carried["reconstruction"] = right["reconstruction"] - 0.3
    carried["beta_elbo"] = carried["reconstruction"] - beta * carried["kl_prior"]
    both = {**right, "reconstruction": right["reconstruction"] - 0.3, "kl_prior": right["kl_prior"] + 0.2}
    both["beta_elbo"] = both["reconstruction"] - beta * both["kl_prior"]
    return [carried, both]


def _iwae_sheets(problem: Problem) -> list[dict[str, float]]:
    # Wrong weights carried into the bounds and ln p(x); then a wrong ln p(x) carried into the gap.
    right = _iwae_model(problem)
    carried = _iwae_model(problem, weights=(right["weight_z0"] * 1.5, right["weight_z1"]))
    off = {**right, "log_marginal": right["log_marginal"] + 0.2}
    off["iwae_gap"] = off["log_marginal"] - off["iwae"]
    return [carried, off]


# Templates beyond the page: their keys worked out here, and the sheets that carry mistakes forward.
BEYOND: dict[str, tuple[Callable[[Problem], dict[str, float]], Callable[[Problem], list[dict[str, float]]]]] = {
    "beta-elbo": (_beta_model, _beta_sheets),
    "iwae-bound": (_iwae_model, _iwae_sheets),
}
EXTRA_PARAMS: dict[str, dict[str, object]] = {"beta-elbo": {"beta": "3/2"}, "iwae-bound": {"k": 3}}


def _wrong_probability(value: float) -> float:
    return value / 2 if value > 0.5 else (1 + value) / 2


def _written(values: Mapping[str, float], keys) -> dict[str, str]:
    return {key: f"{values[key]:.10f}" for key in keys if key in values}


def _submissions(problem: Problem) -> list[dict[str, str]]:
    """Answer sheets that between them give every status to every key the template asks."""
    keys = problem.answer_keys
    model, carried_sheets = BEYOND.get(problem.template, (_model, None))
    right = model(problem)
    sheets = [_written(right, keys), {}, _written({key: value + 0.37 for key, value in right.items()}, keys)]
    if carried_sheets is not None:
        sheets += [_written(sheet, keys) for sheet in carried_sheets(problem)]
    elif "marginal" in keys:
        # A wrong marginal carried into its log, the posterior and on; a wrong reconstruction term too.
        carried = _model(problem, marginal=(1 + right["marginal"]) / 2)
        carried["reconstruction"] = right["reconstruction"] - 0.3
        carried["kl_prior"] = right["kl_prior"]
        carried["elbo"] = carried["reconstruction"] - carried["kl_prior"]
        carried["gap"] = carried["log_marginal"] - carried["elbo"]
        sheets.append(_written(carried, keys))
        both = {**right, "reconstruction": right["reconstruction"] - 0.3, "kl_prior": right["kl_prior"] + 0.2}
        both["elbo"] = both["reconstruction"] - both["kl_prior"]
        sheets.append(_written(both, keys))
    else:
        # The tight bound: the student's own posterior is their q; then the ln p(x) wrong as well.
        carried = _model(problem, posterior_as_q=_wrong_probability(right["posterior"]))
        carried["posterior"] = _wrong_probability(right["posterior"])
        carried["log_marginal"] = right["log_marginal"]
        carried["gap"] = carried["log_marginal"] - carried["elbo"]
        sheets.append(_written(carried, keys))
        off = {**carried, "log_marginal": right["log_marginal"] + 0.2}
        off["gap"] = off["log_marginal"] - off["elbo"]
        sheets.append(_written(off, keys))
    # Every named mistake of the catalogue that applies to this variant, one part at a time.
    sheets += [{key: f"{values[0]:.10f}"} for key, codes in problem.mistakes.items() for values in codes.values()]
    return sheets


def _check(problem: Problem, answers: Mapping[str, str], policy: Policy) -> dict[tuple[str, str], str]:
    """Grade and check every part's feedback; (key, status) → feedback."""
    found = TEMPLATES[problem.template]
    names = sorted({found.quantity(key, problem.params).name for key in found.answer_keys}, key=len, reverse=True)
    titles = [step.title for step in problem.steps]
    explanations = [mistake.explanation for mistake in found.mistakes.values()]
    seen = {}
    for part in grade(problem, answers, policy).parts:
        text = part.feedback
        seen[(part.key, part.status)] = text
        # The student's own answers are quoted as written: set them aside before judging the rest.
        plain = text
        for answer in sorted(answers.values(), key=len, reverse=True):
            plain = plain.replace(answer, "ANSWER")
        assert not any(bad in plain for bad in FOREIGN), text
        assert not re.search(r"\b(the|your|a|an) (the|your|a|an)\b", plain, re.IGNORECASE), text
        assert not re.search(r"\b(\w+)\s+\1\b", plain, re.IGNORECASE), text
        for sentence in re.split(r"(?<=\.)\s+", plain):
            assert sentence[0].isupper() and sentence.endswith("."), (sentence, text)
        if part.status == FOLLOW_THROUGH and "which" in plain:
            wrong = plain.split("It follows correctly from ")[1].split(", which")[0]
            assert ("which are wrong" in plain) is (" and your " in wrong), text
        value = problem.answers[part.key].value
        rounded = f"{value:.4f}"
        if policy.hints_only:
            assert part.expected is None
            bare = plain
            for known in (*explanations, *titles, *names):
                bare = bare.replace(known, "")
            assert not re.search(r"\d", bare), text  # not even the credit: hints mode here gives full credit
        elif part.status != UNANSWERED or part.key not in answers:
            assert rounded in text or f"= {rounded.rstrip('0').rstrip('.')}" in text, (rounded, text)
    return seen


def _decoder(params) -> tuple[Fraction, Fraction]:
    binary = getattr(params, "model", params)  # the templates beyond the page hold the binary params within
    return binary.p_x1_given_z0, binary.p_x1_given_z1


def _variants():
    seeded = st.builds(lambda template, seed, difficulty: make_problem(
        template, generate_params(template, seed, difficulty)),
        st.sampled_from(sorted(TEMPLATES)), st.integers(0, 2**63 - 1), st.sampled_from(DIFFICULTIES))

    def authored(template, p_z1, p0, p1, x, q):
        raw = {"p_z1": str(p_z1), "p_x1_given_z0": str(p0), "p_x1_given_z1": str(p1), "x": x,
               "q_z1": None if template == "tight-bound" else str(q), **EXTRA_PARAMS.get(template, {})}
        return make_problem(template, parse_params(template, raw))

    written = st.builds(authored, st.sampled_from(sorted(TEMPLATES)), authored_probabilities,
                        authored_probabilities, authored_probabilities, st.sampled_from((0, 1)),
                        authored_probabilities).filter(lambda problem: _decoder(problem.params)[0]
                                                       != _decoder(problem.params)[1])
    return st.one_of(seeded, written)


@settings(max_examples=150, deadline=None)
@given(problem=_variants(), policy=st.sampled_from((FULL, HINTS, HALF_CREDIT)))
def test_every_sentence_reads_right_in_one_notation(problem, policy):
    for answers in _submissions(problem):
        _check(problem, answers, policy)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_key_gets_every_status_and_every_mistake_its_explanation(template):
    found = TEMPLATES[template]
    covered: set[tuple[str, str]] = set()
    explained: set[str] = set()
    for seed in range(40):
        problem = make_problem(template, generate_params(template, seed, DIFFICULTIES[seed % 3]))
        for answers in _submissions(problem):
            for policy in (FULL, HINTS):
                covered |= set(_check(problem, answers, policy))
        for key, codes in problem.mistakes.items():
            for code, values in codes.items():
                part = next(p for p in grade(problem, {key: f"{values[0]:.10f}"}).parts if p.key == key)
                assert code in part.misconceptions
                assert found.mistakes[code].explanation in part.feedback
                explained.add(code)
    carried = {key for key in found.answer_keys if key in found.follow_through
               and all(name in found.answer_keys for name in found.follow_through[key].inputs)}
    assert covered >= {(key, status) for key in found.answer_keys for status in (CORRECT, INCORRECT, UNANSWERED)}
    assert covered >= {(key, FOLLOW_THROUGH) for key in carried}
    asked = {code for code, mistake in found.mistakes.items() if mistake.keys & set(found.answer_keys)}
    # The tight gap is 0, and so is its negative: a flipped sign changes nothing there.
    assert explained == asked - ({"gap_sign"} if template == "tight-bound" else set())


def _page(template: str) -> Problem:
    return make_problem(template, parse_params(template, PAGE if template == "elbo-gap" else TIGHT_PAGE))


def _feedback(problem: Problem, answers: Mapping[str, object], key: str, policy: Policy = FULL) -> str:
    return next(part.feedback for part in grade(problem, answers, policy).parts if part.key == key)


def test_a_correct_kl_in_the_page_notation():
    assert _feedback(_page("elbo-gap"), {"kl_prior": 0.0201}, "kl_prior") == (
        "Correct: KL(q ‖ p(z)) = 0.4 · ln(0.8) + 0.6 · ln(1.2) ≈ 0.0201.")
    assert _feedback(_page("elbo-gap"), {"marginal": 0.6}, "marginal") == "Correct: p(x = 1) = 0.6."
    assert _feedback(_page("elbo-gap"), {"elbo": -0.5649}, "elbo") == "Correct: the ELBO ≈ -0.5649."
    assert _feedback(_page("tight-bound"), {"gap": 0}, "gap") == "Correct: the gap ln p(x = 1) - ELBO = 0."


def test_a_wrong_reconstruction_term_carried_into_the_elbo():
    elbo = -0.60 - 0.0201
    answers = {"reconstruction": -0.60, "kl_prior": 0.0201, "elbo": elbo}
    assert _feedback(_page("elbo-gap"), answers, "elbo") == (
        "It follows correctly from your reconstruction term E_q[ln p(x = 1 | z)] = -0.6, which is wrong: "
        "full credit is carried forward. Expected: the ELBO ≈ -0.5649.")
    both = {"reconstruction": -0.60, "kl_prior": 0.03, "elbo": -0.63}
    assert _feedback(_page("elbo-gap"), both, "elbo", HALF_CREDIT).startswith(
        "It follows correctly from your reconstruction term E_q[ln p(x = 1 | z)] = -0.6 and your "
        "KL(q ‖ p(z)) = 0.03, which are wrong: 50% of the credit is carried forward.")


def test_a_tight_gap_other_than_0_keeps_its_credit_and_names_the_earlier_mistake():
    # q = 0.6 in place of the posterior 0.75: the ELBO falls short of ln p(x = 1) = ln(0.6) by KL(q ‖ posterior).
    q = 0.6
    reconstruction = 0.4 * math.log(0.3) + 0.6 * math.log(0.9)
    kl_prior = 0.4 * math.log(0.8) + 0.6 * math.log(1.2)
    elbo = reconstruction - kl_prior
    answers = {"posterior": q, "reconstruction": f"{reconstruction:.6f}", "kl_prior": f"{kl_prior:.6f}",
               "elbo": f"{elbo:.6f}", "log_marginal": "-0.5108", "gap": f"{math.log(0.6) - elbo:.6f}"}
    problem = _page("tight-bound")
    gap = next(part for part in grade(problem, answers).parts if part.key == "gap")
    assert (gap.status, gap.credit) == (FOLLOW_THROUGH, 1.0)
    assert gap.feedback == (
        "It follows correctly from your ELBO = -0.564941, which is wrong: full credit is carried forward. "
        "Expected: the gap ln p(x = 1) - ELBO = 0. With q equal to the posterior, the gap must be 0, so a gap "
        "other than 0 comes from an earlier mistake: your p(z = 1 | x = 1) = 0.6 is wrong.")
    off = {**answers, "log_marginal": "-0.4", "gap": f"{-0.4 - elbo:.6f}"}
    assert _feedback(problem, off, "gap", HINTS).endswith(
        "With q equal to the posterior, the ELBO must equal ln p(x = 1), so this gap comes from an earlier "
        "mistake: your p(z = 1 | x = 1) = 0.6 and your ln p(x = 1) = -0.4 are wrong.")


def test_a_follow_through_from_answers_right_within_the_tolerance_names_no_earlier_mistake():
    # ln p(x) and the ELBO each within the tolerance of ln(0.6), on opposite sides: their gap is not.
    answers = {"log_marginal": "-0.5104", "elbo": "-0.5112", "gap": "0.0008"}
    assert _feedback(_page("tight-bound"), answers, "gap") == (
        "It follows correctly from your ln p(x = 1) = -0.5104 and your ELBO = -0.5112, whose rounding puts it "
        "outside the tolerance: full credit is carried forward. Expected: the gap ln p(x = 1) - ELBO = 0.")


def test_other_statuses_read_as_sentences():
    problem = _page("elbo-gap")
    assert _feedback(problem, {}, "posterior") == (
        "No answer given. Expected: p(z = 1 | x = 1) = 0.75. "
        "The step \"Posterior by Bayes' rule\" shows how to find it.")
    assert _feedback(problem, {"posterior": 0.5}, "posterior", HINTS) == (
        "Incorrect: you gave 0.5. Compare your work with the step \"Posterior by Bayes' rule\".")
    assert _feedback(problem, {"marginal": 0.65, "posterior": "0.45/0.65"}, "posterior",
                     Policy(follow_through_credit=0)) == (
        "It follows correctly from your p(x = 1) = 0.65, which is wrong: no credit is carried forward. "
        "Expected: p(z = 1 | x = 1) = 0.75.")


@pytest.mark.parametrize(("items", "text"), [(["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")])
def test_listed(items, text):
    assert listed(items) == text
