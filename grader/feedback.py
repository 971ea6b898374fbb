"""The sentences a student reads beside each part, in full or hints mode."""

from __future__ import annotations

from collections.abc import Mapping

from problems import Mistake
from problems.problem import Answer

from .result import CORRECT, FOLLOW_THROUGH, INCORRECT

# Exact forms longer than this are left out of a sentence; the steps show them.
_SHORT_EXACT = 30


def _expected(answer: Answer) -> str:
    rounded = f"{answer.value:.4f}"
    if len(answer.exact) <= _SHORT_EXACT and answer.exact != rounded.rstrip("0").rstrip("."):
        return f"{answer.exact} ≈ {rounded}"
    return rounded


def _carried_from(wrong_inputs: list[str], right_inputs: list[str]) -> str:
    if wrong_inputs:
        verb = "is" if len(wrong_inputs) == 1 else "are"
        return f"It follows correctly from your {' and your '.join(wrong_inputs)}, which {verb} wrong"
    return f"It follows correctly from your {' and your '.join(right_inputs)}, but lands outside the tolerance"


def part_feedback(*, status: str, name: str, answer_text: str | None, exact: Answer,
                  misconceptions: tuple[str, ...], mistakes: Mapping[str, Mistake], wrong_inputs: list[str],
                  right_inputs: list[str], step_title: str, credit: float, hints: bool) -> str:
    """One or two sentences: what was expected (unless hidden), what was found, and why.

    `name` is the key as the template writes it; `mistakes` is the template's catalogue.
    """
    expected = "" if hints else f" Expected {name} = {_expected(exact)}."
    if status == CORRECT:
        return "Correct." if hints else f"Correct: {name} = {_expected(exact)}."
    if status == FOLLOW_THROUGH:
        carried = "full credit" if credit == 1 else f"{credit:.0%} of the credit"
        return f"{_carried_from(wrong_inputs, right_inputs)}: {carried} is carried forward.{expected}"
    if status == INCORRECT:
        found = f"Incorrect: you gave {answer_text}."
        if misconceptions:
            return found + "".join(f" {mistakes[code].explanation}" for code in misconceptions) + expected
        return f"{found}{expected} Compare your work with the step \"{step_title}\"."
    return f"No answer given.{expected} The step \"{step_title}\" shows how to find it."
