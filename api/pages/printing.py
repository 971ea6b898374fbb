"""Printing for people: the flashcards as a page (printed one card per page),
and a set's sheets for the signed-in instructor (docs/api.md §14)."""

from __future__ import annotations

import uuid

from flask import Response, render_template, request
from marshmallow import EXCLUDE, ValidationError

from api.auth import authorize_instructor
from api.errors import invalid
from api.resources.printing import IN_BROWSER, PrintQuerySchema, printed
from problems.flashcards import FLASHCARDS


def flashcards() -> str:
    return render_template("flashcards.html", cards=FLASHCARDS, math=IN_BROWSER)


def print_set(problem_set_id: uuid.UUID) -> Response:
    """``GET /sets/{id}/print``: what ``GET /api/v1/problem-sets/{id}/print`` gives, read from the same
    query (unknown parameters ignored, as there), for the instructor signed in rather than a key."""
    authorize_instructor()
    try:
        query = PrintQuerySchema().load(request.args, unknown=EXCLUDE)
    except ValidationError as error:
        raise invalid(error.normalized_messages()) from None
    return printed(problem_set_id, **query)
