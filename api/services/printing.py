"""A set printed for a class (docs/api.md §14): one sheet per student, in
roster order, with their variants' params and questions and, if asked, their
exact answers. Pure data; api.resources.printing lays it out as HTML or PDF."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.errors import invalid
from api.services import making
from api.services.grades import answer_key
from api.services.paging import Window
from api.services.problem_sets import find_set
from problems.registry import template


@dataclass(frozen=True)
class PrintedPart:
    key: str
    prompt: str  # text with $TeX$
    answer: dict[str, Any] | None  # exact, latex, value, as the answer key gives them; None without the key


@dataclass(frozen=True)
class PrintedProblem:
    item: int
    title: str  # the template's
    params: dict[str, Any]  # as the API shows them
    statement: str  # paragraphs of text with $TeX$, separated by blank lines
    parts: tuple[PrintedPart, ...]  # in the order asked


@dataclass(frozen=True)
class Sheet:
    student_id: str
    problems: tuple[PrintedProblem, ...]  # in item order


# A problem followed by its typeset answers takes about this many times as
# long to lay out as the problem alone (docs/performance.md, printing).
ANSWERED_PROBLEM_COST = 4


def _problem_cost(with_answers: bool) -> int:
    return ANSWERED_PROBLEM_COST if with_answers else 1


@dataclass(frozen=True)
class Printout:
    title: str  # the set's
    with_answers: bool
    sheets: tuple[Sheet, ...]  # in roster order

    def pdf_cost(self) -> int:
        """Its size in problems laid out, a problem with its answers counting ANSWERED_PROBLEM_COST."""
        return sum(len(sheet.problems) for sheet in self.sheets) * _problem_cost(self.with_answers)


def students_per_pdf(items: int, with_answers: bool, limit: int) -> int:
    """How many students' sheets of ``items`` problems one PDF holds under
    ``limit`` (Settings.print_pdf_problems); one at least."""
    return max(1, limit // max(1, items * _problem_cost(with_answers)))


def require_pdf_size(found: Printout, limit: int) -> None:
    """A PDF of more than one sheet holds at most ``limit`` problems: a 422 that says how to ask in parts."""
    cost = found.pdf_cost()
    if len(found.sheets) <= 1 or cost <= limit:
        return
    fit = students_per_pdf(len(found.sheets[0].problems), found.with_answers, limit)
    raise invalid({"page_size": [
        f"A PDF holds at most {limit} problems, a problem with its answers counting {ANSWERED_PROBLEM_COST}; "
        f"these {len(found.sheets)} sheets come to {cost}. Ask for at most {fit} students "
        "a PDF (page_size, then page=1, 2, …), or print format=html."
    ]}, "This printout is too big for one PDF.")


def printout(session: Session, problem_set_id: uuid.UUID, with_answers: bool,
             window: Window | None = None) -> Printout:
    """The set's sheets (only the students in ``window``, if given); 404 for
    no such set, 409 while its problems are still being made."""
    record = find_set(session, problem_set_id)
    # The sheets need every student's variants, as the answer key does.
    making.require_made(session, record, "answer key" if with_answers else "printout")
    sheets = []
    for entry in answer_key(session, problem_set_id, window):
        problems = []
        for keyed in entry.problems:
            made = template(keyed.template)
            params = made.params_from_json(keyed.params)
            prompts = made.prompts(params)
            parts = tuple(
                PrintedPart(key, prompts[key], keyed.answers[key] if with_answers else None)
                for key in made.answer_keys
            )
            problems.append(PrintedProblem(keyed.item, made.title, keyed.params, made.statement(params), parts))
        sheets.append(Sheet(entry.student_id, tuple(problems)))
    return Printout(record.title, with_answers, tuple(sheets))
