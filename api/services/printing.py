"""A set printed for a class (docs/api.md §14): one sheet per student, in
roster order, with their variants' params and questions and, if asked, their
exact answers. Pure data; api.resources.printing lays it out as HTML or PDF."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.services import making
from api.services.grades import answer_key
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


@dataclass(frozen=True)
class Printout:
    title: str  # the set's
    with_answers: bool
    sheets: tuple[Sheet, ...]  # in roster order


def printout(session: Session, problem_set_id: uuid.UUID, with_answers: bool) -> Printout:
    """The set's sheets; 404 for no such set, 409 while its problems are still being made."""
    record = find_set(session, problem_set_id)
    # The sheets need every student's variants, as the answer key does.
    making.require_made(session, record, "answer key" if with_answers else "printout")
    sheets = []
    for entry in answer_key(session, problem_set_id):
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
