"""Student notation: `Exact.text` (ln, decimals, `·`), LaTeX with `\\ln`, how keys are named, prompts
that stand on their own, mistake explanations and worked steps in the same notation."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import read_answer
from problems import DIFFICULTIES, TEMPLATES, Exact, Quantity, generate_params, make_problem, parse_params, solve
from problems.binary import BinaryTemplate
from problems.model import Params

PAGE = Params(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, Fraction(3, 5))
TIGHT_PAGE = Params(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1, None)

# Templates of the binary model with its five params; the others author params of their own.
BINARY = sorted(name for name, found in TEMPLATES.items() if isinstance(found, BinaryTemplate))
seeds = st.integers(min_value=0, max_value=2**63 - 1)
# Fractions that do not terminate as decimals too, as an instructor may author them.
authored_probabilities = st.sampled_from(sorted({Fraction(k, n) for n in (3, 6, 7, 10, 12, 100)
                                                 for k in range(1, n)}))


def _variants():
    """(template, params) drawn as practice variants and as authored ones."""
    seeded = st.builds(lambda template, seed, difficulty: (template, generate_params(template, seed, difficulty)),
                       st.sampled_from(sorted(TEMPLATES)), seeds, st.sampled_from(DIFFICULTIES))

    def authored(template, p_z1, p0, p1, x, q):
        raw = {"p_z1": str(p_z1), "p_x1_given_z0": str(p0), "p_x1_given_z1": str(p1), "x": x,
               "q_z1": str(q) if template == "elbo-gap" else None}
        return template, parse_params(template, raw)

    written = st.builds(authored, st.sampled_from(BINARY), authored_probabilities,
                        authored_probabilities, authored_probabilities, st.sampled_from((0, 1)),
                        authored_probabilities)
    return st.one_of(seeded, written)


@pytest.mark.parametrize(("key", "text"), [
    ("marginal", "0.6"),
    ("log_marginal", "ln(0.6)"),
    ("posterior", "0.75"),
    ("reconstruction", "0.4 · ln(0.3) + 0.6 · ln(0.9)"),
    ("kl_prior", "0.4 · ln(0.8) + 0.6 · ln(1.2)"),
    ("kl_posterior", "0.4 · ln(1.6) + 0.6 · ln(0.8)"),
    ("gap", "ln(0.6) - 0.4 · ln(0.3) - 0.6 · ln(0.9) + 0.4 · ln(0.8) + 0.6 · ln(1.2)"),
])
def test_the_practice_page_in_student_notation(key, text):
    # Worked by hand: q = 0.6, so the weights are 0.4 and 0.6; 0.8 = 0.4/0.5, 1.6 = 0.4/0.25.
    assert solve("elbo-gap", PAGE)[key].text() == text


def test_the_tight_gap_is_0_and_fractions_are_bracketed_as_coefficients():
    assert solve("tight-bound", TIGHT_PAGE)["gap"].text() == "0"
    assert (Exact.ln(Fraction(2, 7)) * Fraction(-1, 3) + Fraction(1, 3)).text() == "1/3 - (1/3) · ln(2/7)"
    assert (Exact.ln(Fraction(3, 5)) * -1).text() == "-ln(0.6)"
    assert Exact.of(Fraction(-5, 4)).text() == "-1.25"


def test_latex_uses_ln():
    assert solve("elbo-gap", PAGE)["log_marginal"].latex() == "\\ln{\\left(\\frac{3}{5} \\right)}"


@settings(max_examples=120, deadline=None)
@given(variant=_variants())
def test_every_exact_answer_reads_back_in_every_form(variant):
    template, params = variant
    problem = make_problem(template, params)
    for key, answer in problem.answers.items():
        text = answer.text
        if "**" not in answer.exact:  # an `Exact`: its sympy syntax reads back to the same value and text
            value = Exact.parse(answer.exact)
            assert str(value) == answer.exact and value.text() == text
        assert "log" not in text and "*" not in text
        assert "\\log" not in answer.latex and answer.latex.count("\\ln") == answer.exact.count("log(")
        # The student form, read by the grader's own reader, is the same number as sympy's reading of `exact`.
        reference = float(sympy.N(sympy.sympify(answer.exact), 30))
        if len(text) > 200:
            continue  # longer than any answer a student may send (a k-sample bound of many terms)
        assert float(read_answer(text).value) == pytest.approx(reference, rel=1e-12, abs=1e-12), (key, text)


@pytest.mark.parametrize("text", ["", "-", "x", "1 +", "log(3/5", "2*log(3)*4"])
def test_parse_refuses_what_str_never_writes(text):
    with pytest.raises(ValueError, match="not an exact answer"):
        Exact.parse(text)


def test_a_quantity_reads_right_after_your_and_as_a_subject():
    term = Quantity("E_q[ln p(x = 1 | z)]", "reconstruction term")
    assert (term.own, term.definite) == ("your reconstruction term E_q[ln p(x = 1 | z)]",
                                         "the reconstruction term E_q[ln p(x = 1 | z)]")
    elbo, marginal = Quantity(noun="ELBO"), Quantity("p(x = 1)")
    assert (elbo.own, elbo.definite) == ("your ELBO", "the ELBO")
    assert (marginal.own, marginal.definite) == ("your p(x = 1)", "p(x = 1)")


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("x", [0, 1])
def test_every_key_is_named_without_a_doubled_article(template, x):
    found = TEMPLATES[template]
    params = generate_params(template, 3 + x, "standard")
    params = parse_params(template, {**params.to_json(), "x": x})
    for key in found.answer_keys:
        named = found.quantity(key, params)
        assert named.name and not named.name.startswith(("the ", "your "))
        assert "{x}" not in named.name and f"x = {1 - x}" not in named.name


def test_each_prompt_stands_on_its_own_where_its_key_is_asked():
    x = TIGHT_PAGE.x
    page = {"elbo-gap": PAGE, "tight-bound": TIGHT_PAGE}
    prompts = {template: found.prompts(page[template] if template in page else generate_params(template, 5))
               for template, found in TEMPLATES.items()}
    assert prompts["tight-bound"]["log_marginal"] == f"The log marginal likelihood $\\ln p(x = {x})$."
    assert prompts["elbo-gap"]["log_marginal"] == f"Its natural log, $\\ln p(x = {x})$."
    for template, found in TEMPLATES.items():
        keys = found.answer_keys
        for before, key in zip((None, *keys), keys, strict=False):
            # "Its …" points back to the part just before it, which must be the marginal.
            if prompts[template][key].startswith("Its "):
                assert before == "marginal", (template, key)


def test_only_the_tight_gap_has_a_follow_through_note():
    for template, found in TEMPLATES.items():
        params = generate_params(template, 5, "standard")
        for key in found.answer_keys:
            for hints in (False, True):
                note = found.follow_through_note(key, params, hints)
                assert (note is not None) == (template == "tight-bound" and key == "gap"), (template, key)
    tight = TEMPLATES["tight-bound"]
    assert "the gap must be 0" in (tight.follow_through_note("gap", TIGHT_PAGE, False) or "")
    hint = tight.follow_through_note("gap", TIGHT_PAGE, True) or ""
    assert not re.search(r"\d", hint.replace(tight.quantity("log_marginal", TIGHT_PAGE).name, ""))


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_mistake_explanations_are_sentences_in_the_one_notation(template):
    for mistake in TEMPLATES[template].mistakes.values():
        text = mistake.explanation
        assert text[0].isupper() and text.endswith("."), mistake.code
        assert not any(bad in text for bad in ("log(", "*", "\\log", "−")), mistake.code


@settings(max_examples=60, deadline=None)
@given(variant=_variants())
def test_worked_steps_are_in_the_one_notation(variant):
    template, params = variant
    for step in make_problem(template, params).steps:
        for line in (*step.lines, *step.symbolic):
            assert not any(bad in line for bad in ("log(", "*", "\\log", "−")), line
