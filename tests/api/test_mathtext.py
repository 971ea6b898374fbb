"""The PDFs' typesetter (api.resources.mathtext): every formula the templates
and flashcards write is set as HTML text, with no TeX left; what it does not
know is refused with a MathTextError, whatever the input."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.resources.mathtext import MathTextError, typeset, typeset_text
from problems import DIFFICULTIES, TEMPLATES, generate_params, make_problem
from problems.flashcards import FLASHCARDS

SEEDS = range(25)
MATH = re.compile(r"\$([^$]+)\$")
THIN, MEDIUM, THICK = "\u2006", "\u205f", "\u2005"


def every_formula() -> set[tuple[str, bool]]:
    """(TeX, displayed) of every statement, prompt and answer of each template and
    difficulty over the seeds, and of the flashcards."""
    found: set[tuple[str, bool]] = set()
    for name, template in TEMPLATES.items():
        for difficulty in DIFFICULTIES:
            if difficulty not in template.difficulties:
                continue
            for seed in SEEDS:
                problem = make_problem(name, generate_params(name, seed, difficulty), seed, difficulty)
                for text in (problem.statement, *(part.prompt for part in problem.parts)):
                    found.update((tex, False) for tex in MATH.findall(text))
                found.update((answer.latex, True) for answer in problem.answers.values())
    for card in FLASHCARDS:
        found.update((tex, False) for text in (card.front, card.back) for tex in MATH.findall(text))
    return found


class Text(HTMLParser):
    """The text of some HTML, tags dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str, between: str = "") -> str:
    """The text, its nodes joined by ``between`` (a space keeps a numerator's digits off its denominator's)."""
    parser = Text()
    parser.feed(html)
    parser.close()
    return between.join(parser.parts)


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


FORMULAS = sorted(every_formula())


def test_the_sample_covers_every_command_the_templates_write():
    commands = {command for tex, _ in FORMULAS for command in re.findall(r"\\[A-Za-z]+|\\.", tex)}
    assert commands == {"\\frac", "\\ln", "\\left", "\\right", "\\mid", "\\,", "\\mathrm", "\\mathbb", "\\|",
                        "\\beta", "\\in", "\\{", "\\}", "\\sum", "\\dots", "\\geq", "\\int"}


def test_every_formula_typesets_with_no_tex_left_and_every_number():
    assert len(FORMULAS) > 1000
    for tex, display in FORMULAS:
        html = str(typeset(tex, display))
        text = text_of(html)
        assert "\\" not in html and "$" not in html and "^" not in text and "_" not in text, tex
        assert ("{" in text) == ("\\{" in tex), tex  # braces only where the TeX writes them out
        # Every number of the TeX is on paper, as often (a stacked superscript comes before its subscript).
        assert sorted(numbers(text_of(html, " "))) == sorted(numbers(re.sub(r"\\[A-Za-z]+", " ", tex))), tex


def test_text_with_formulas_keeps_its_words_escaped_and_sets_each_formula():
    typeset_card = str(typeset_text("If <b>$x \\in \\{0, 1\\}$</b> & $\\beta = 2$, then"))
    assert typeset_card.startswith("If &lt;b&gt;<span class=\"mformula")
    assert "&lt;/b&gt; &amp; " in typeset_card and typeset_card.endswith(", then")
    assert text_of(typeset_card) == f"If <b>𝑥{THICK}∈{THICK}{{0,{THIN}1}}</b> & β{THICK}={THICK}2, then"


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("x", "𝑥"),  # variables in Unicode's math italics
        ("p(z)", "𝑝(𝑧)"),
        ("h", "ℎ"),
        ("0.25", "0.25"),  # digits upright
        ("a + b", f"𝑎{MEDIUM}+{MEDIUM}𝑏"),  # binary operators: a medium space either side
        ("a - b", f"𝑎{MEDIUM}−{MEDIUM}𝑏"),  # a real minus sign
        ("-3", "−3"),  # a leading minus is a sign, not an operator: no space
        ("x = -3", f"𝑥{THICK}={THICK}−3"),
        ("p(x \\mid z)", f"𝑝(𝑥{THICK}∣{THICK}𝑧)"),  # relations: a thick space
        ("z \\geq 1", f"𝑧{THICK}≥{THICK}1"),
        ("\\ln p(x)", f"ln{THIN}𝑝(𝑥)"),  # an operator's name upright, a thin space before its argument
        ("\\ln{\\left(2 \\right)}", f"ln{THIN}(2)"),
        ("\\mathrm{KL}(q \\,\\|\\, p)", f"KL(𝑞{THIN}‖{THIN}𝑝)"),
        ("\\mathbb{E}_q[w]", "𝔼𝑞[𝑤]"),
        ("z_1, \\dots, z_3", f"𝑧1,{THIN}…,{THIN}𝑧3"),
        ("\\sum_i w", f"∑𝑖{THIN}𝑤"),
        ("\\int p\\, dz", f"∫{THIN}𝑝{THIN}𝑑𝑧"),
        ("x^{2}", "𝑥2"),
        ("\\beta", "β"),
    ],
)
def test_symbols_and_spacing(tex, text):
    assert text_of(str(typeset(tex))) == text


def test_a_fraction_is_stacked_numerator_over_denominator():
    html = str(typeset("\\frac{18}{25}", display=True))
    assert html == ('<span class="mformula mp"><span class="mfrac"><span class="mnum">18</span>'
                    '<span class="mden">25</span></span></span>')
    # In running text its parts are smaller (TeX's script style); in a superscript smaller again.
    assert '<span class="mnum ms1">1</span>' in str(typeset("\\frac{1}{2}"))
    assert '<span class="mnum ms2">1</span>' in str(typeset("x^{\\frac{1}{2}}"))


def test_scripts_are_raised_and_lowered_in_a_smaller_size():
    sup = re.search(r'<span class="msup ms1" style="vertical-align: ([\d.]+)em">2</span>', str(typeset("x^{2}")))
    sub = re.search(r'<span class="msub ms1" style="vertical-align: (-[\d.]+)em">𝑖</span>', str(typeset("z_i")))
    assert sup and float(sup[1]) > 0 and sub and float(sub[1]) < 0
    both = str(typeset("\\sum_{i=1}^{2} w"))
    stacked = r'<span class="msubsup ms1" style="vertical-align: -[\d.]+em"><span>2</span><span>𝑖=1</span>'
    assert re.search(stacked, both)


def scales(html: str) -> list[float]:
    return [float(scale) for scale in re.findall(r"scaleY\(([\d.]+)\)", html)]


def test_delimiters_grow_with_their_content():
    assert scales(str(typeset("\\left(x\\right)"))) == []  # as tall as a parenthesis: left as it is
    one = scales(str(typeset("\\left(\\frac{4}{5}\\right)", display=True)))
    two = scales(str(typeset("\\left(\\frac{\\frac{1}{2}}{3}\\right)", display=True)))
    assert len(one) == len(two) == 2 and one[0] == one[1] and 1.5 < one[0] < two[0]
    # A superscript on the delimited group clears its top: raised higher than on a letter.
    raised = r'class="msup[^"]*" style="vertical-align: ([\d.]+)em'
    high = re.search(raised, str(typeset("\\left(\\frac{4}{5}\\right)^{2}")))
    low = re.search(raised, str(typeset("x^{2}")))
    assert high and low and float(high[1]) > float(low[1])


def test_a_line_breaks_only_after_an_operator_or_relation_outside_parentheses():
    html = str(typeset("p(x = 1) = \\frac{1}{2} + \\ln{\\left(3 + 4\\right)}"))
    # Each piece is unbreakable (white-space: nowrap in print.css); the spaces between them are where lines break.
    pieces = [text_of(piece) for piece in html.split('<span class="mp">')[1:]]
    assert ["".join(piece.split()) for piece in pieces] == ["𝑝(𝑥=1)=", "12+", "ln(3+4)"]
    # A formula with nowhere to break is one unbreakable span.
    assert str(typeset("p(x = 1)")).startswith('<span class="mformula mp">')


@pytest.mark.parametrize(
    ("tex", "message"),
    [
        ("\\sqrt{2}", "'\\\\sqrt' is not TeX this typesetter knows"),
        ("a & b", "'&' is not TeX this typesetter knows"),
        ("50%", "'%' is not TeX this typesetter knows"),
        ("\\frac{1}", "the formula ends too soon"),
        ("\\left( x", "the formula ends too soon"),
        ("x}", "an unmatched }"),
        ("x \\right)", "an unmatched \\right"),
        ("\\left| x \\right|", "is not a delimiter"),
        ("a_b_c", "a second _ on one atom"),
        ("\\mathbb{Q}", "\\mathbb{Q}: only \\mathbb{E} is known here"),
        ("\\mathrm{x_1}", "take Latin letters only"),
        ("{" * 5000, "the formula nests too deep"),
        ("\\frac" * 5000, "the formula nests too deep"),
    ],
)
def test_what_it_does_not_know_is_refused_saying_what_and_where(tex, message):
    with pytest.raises(MathTextError, match=re.escape(message)) as refused:
        typeset(tex)
    assert "after" in str(refused.value) and "tokens of" in str(refused.value)


TOKENS = st.sampled_from(["x", "1", "+", "-", "=", "(", ")", "[", "]", "{", "}", "^", "_", ",", " ", "\\frac",
                          "\\left(", "\\right)", "\\left", "\\right", "\\ln", "\\mathrm", "\\mathbb", "E",
                          "\\beta", "\\,", "\\|", "\\{", "\\}", "\\sum", "\\int", "\\mid", "\\geq", "\\foo",
                          "&", "<", "\\", "$"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_any_input_is_typeset_or_refused_never_another_error(tex):
    try:
        html = str(typeset(tex))
    except MathTextError:
        return
    assert "\\" not in html and "<script" not in html
    assert html.startswith('<span class="mformula') and html.endswith("</span>")


def test_formulas_are_typeset_once():
    typeset.cache_clear()
    for _ in range(3):
        typeset("p(x = 1 \\mid z = 0) = 0.3")
    assert (typeset.cache_info().misses, typeset.cache_info().hits) == (1, 2)
