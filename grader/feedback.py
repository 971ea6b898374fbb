"""The sentences a student reads beside each part, in full or hints mode.

Sentences are put together from small pieces so that they read right in every
template and every follow-through combination: each key's `Quantity` knows
how it reads after "your" and as a subject, lists are joined with commas and
"and", and the verb agrees with them. Numbers are written as the practice
page writes them (`Exact.text`: ln for natural logs, decimals, `·`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from problems import Mistake, Quantity
from problems.problem import Answer

from .result import CORRECT, FOLLOW_THROUGH, INCORRECT

# Exact forms longer than this are left out of a sentence; the steps show them.
_SHORT_EXACT = 40


@dataclass(frozen=True)
class Given:
    """A student's own answer to a key, as a sentence names it: "your ELBO = -0.6"."""

    quantity: Quantity
    text: str

    def __str__(self) -> str:
        return f"{self.quantity.own} = {self.text}"


def listed(items: Sequence[object]) -> str:
    """"a", "a and b", "a, b and c"."""
    texts = [str(item) for item in items]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def _be(items: Sequence[object]) -> str:
    return "is" if len(items) == 1 else "are"


@lru_cache(maxsize=4096)
def _value(text: str, value: float) -> str:
    """`= 0.6`, `= 0.4 · ln(0.8) + 0.6 · ln(1.2) ≈ 0.0201` or `≈ -0.5649`; a problem's few answers recur.

    `text` is the answer in the student's notation, as stored when the problem was made.
    """
    rounded = f"{value:.4f}"
    rounded = "0.0000" if rounded == "-0.0000" else rounded
    if len(text) > _SHORT_EXACT:
        return f"≈ {rounded}"
    if text == rounded.rstrip("0").rstrip("."):
        return f"= {text}"
    return f"= {text} ≈ {rounded}"


def _expected(quantity: Quantity, answer: Answer) -> str:
    return f"{quantity.definite} {_value(answer.text, answer.value)}"


def _carried(wrong_inputs: Sequence[Given], right_inputs: Sequence[Given], credit: float) -> str:
    carried = "full credit" if credit == 1 else "no credit" if credit == 0 else f"{credit:.0%} of the credit"
    if wrong_inputs:
        return (f"It follows correctly from {listed(wrong_inputs)}, which {_be(wrong_inputs)} wrong: "
                f"{carried} is carried forward.")
    # Inputs right within the tolerance can carry a result just outside it.
    return (f"It follows correctly from {listed(right_inputs)}, whose rounding puts it outside the tolerance: "
            f"{carried} is carried forward.")


def part_feedback(*, status: str, quantity: Quantity, answer_text: str | None, exact: Answer,
                  misconceptions: tuple[str, ...], mistakes: Mapping[str, Mistake], wrong_inputs: Sequence[Given],
                  right_inputs: Sequence[Given], note: str | None, earlier: Sequence[Given], step_title: str,
                  credit: float, hints: bool) -> str:
    """A few sentences: what was found, why, and what was expected (unless hidden).

    `mistakes` is the template's catalogue; `note` is the template's follow-through note
    (`Template.follow_through_note`), ended here with the `earlier` answers that are wrong.
    """
    expected = [] if hints else [f"Expected: {_expected(quantity, exact)}."]
    if status == CORRECT:
        sentences = ["Correct."] if hints else [f"Correct: {_expected(quantity, exact)}."]
    elif status == FOLLOW_THROUGH:
        sentences = [_carried(wrong_inputs, right_inputs, credit), *expected]
        if note and earlier:
            sentences.append(f"{note}: {listed(earlier)} {_be(earlier)} wrong.")
    elif status == INCORRECT:
        sentences = [f"Incorrect: you gave {answer_text}.",
                     *(mistakes[code].explanation for code in misconceptions), *expected]
        if not misconceptions:
            sentences.append(f"Compare your work with the step \"{step_title}\".")
    else:
        sentences = ["No answer given.", *expected, f"The step \"{step_title}\" shows how to find it."]
    return " ".join(sentences)
