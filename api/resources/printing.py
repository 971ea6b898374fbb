"""Printing (docs/api.md §14): a set's sheets, one per student, as HTML or
PDF, and the practice page's flashcards as JSON or PDF.

The PDF is made here by WeasyPrint, which runs no JavaScript: its math is
typeset on the server as HTML and CSS text (api.resources.mathtext). The HTML
leaves the TeX to KaTeX in the browser, as the pages do.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import weasyprint
from flask import Response, current_app, render_template
from flask.views import MethodView
from markupsafe import Markup, escape
from marshmallow import Schema, fields, validate

from api import db
from api.auth import instructor_only, open_access
from api.pages.assets import STATIC
from api.resources.mathtext import typeset, typeset_text
from api.schemas import MAX_ROSTER
from api.services.paging import Window
from api.services.printing import printout, require_pdf_size
from api.smorest import Blueprint
from problems.flashcards import FLASHCARDS

blp = Blueprint(
    "printing",
    __name__,
    url_prefix="/api/v1",
    description="Printing: a problem set's sheets for its class, and the flashcards.",
)


@dataclass(frozen=True)
class Typesetter:
    """How a print template sets math: ``text`` for prose with $TeX$,
    ``formula`` for one displayed formula; ``in_browser``: by KaTeX."""

    text: Callable[[str], Markup]
    formula: Callable[[str], Markup]
    in_browser: bool


ON_SERVER = Typesetter(typeset_text, lambda tex: typeset(tex, display=True), in_browser=False)
# KaTeX's auto-render (api/static/pages.js) sets the $…$ in elements of class "math".
IN_BROWSER = Typesetter(escape, lambda tex: escape(f"$\\displaystyle {tex}$"), in_browser=True)


@cache
def print_css() -> Markup:
    """api/static/print.css, inlined in the print documents: a saved file and WeasyPrint need no other."""
    return Markup((STATIC / "print.css").read_text(encoding="utf-8"))


def render(template: str, math: Typesetter, **context: object) -> str:
    return render_template(template, math=math, print_css=print_css(), **context)


def pdf_of(html: str) -> bytes:
    # WeasyPrint makes millions of objects that all live until the PDF is written: the cyclic
    # collector's passes over them took a quarter of the time and freed next to nothing (100
    # sheets with their keys: 220 → 165 ms a sheet, peak memory 576 → 588 MB).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return weasyprint.HTML(string=html).write_pdf()
    finally:
        if collecting:
            gc.enable()


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


class PrintQuerySchema(Schema):
    format = fields.String(
        load_default="pdf",
        validate=validate.OneOf(["pdf", "html"]),
        metadata={"description": "pdf (application/pdf) or html (text/html, with print CSS)."},
    )
    answer_key = fields.Boolean(
        load_default=False, metadata={"description": "true: each student's sheet is followed by their exact answers."}
    )
    page_size = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=MAX_ROSTER),
        metadata={"description": "Print only this many students (a part of the class), from `page`; "
                                 "a big class's PDF is printed in parts."},
    )
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_ROSTER),
        metadata={"description": "With page_size: which part, from 1."},
    )


class FlashcardsQuerySchema(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "pdf"]),
        metadata={"description": "pdf: one card per page, A6 landscape, each numbered n / 10."},
    )


class FlashcardSchema(Schema):
    id = fields.String(required=True, metadata={"description": "A stable slug."})
    front = fields.String(required=True, metadata={"description": "The question: text with $TeX$."})
    back = fields.String(required=True, metadata={"description": "The answer: text with $TeX$."})


PDF_CONTENT = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
PRINT_RESPONSE = {
    "responses": {
        "200": {
            "description": "The sheets, one per student in roster order.",
            "content": {**PDF_CONTENT, "text/html": {"schema": {"type": "string"}}},
        }
    }
}
FLASHCARDS_RESPONSE = {
    "responses": {
        "200": {
            "description": "The ten flashcards.",
            "content": {"application/json": {"schema": FlashcardSchema(many=True)}, **PDF_CONTENT},
        }
    }
}


def printed(problem_set_id: uuid.UUID, format: str, answer_key: bool, page: int = 1,
            page_size: int | None = None) -> Response:
    """A set's sheets as ``format`` (pdf or html), with or without the key, of
    the whole class or one part of it: for this endpoint and the signed-in
    instructor's page (api.pages.printing)."""
    window = Window((page - 1) * page_size, page_size) if page_size else None
    found = printout(db.session(), problem_set_id, answer_key, window)
    if format == "html":
        return Response(render("print_set.html", IN_BROWSER, printout=found), mimetype="text/html")
    require_pdf_size(found, current_app.config["SETTINGS"].print_pdf_problems)
    name = "answer-key" if answer_key else "sheets"
    return pdf_response(pdf_of(render("print_set.html", ON_SERVER, printout=found)), f"{name}-{problem_set_id}.pdf")


@cache
def flashcards_pdf() -> bytes:
    """The same ten cards every time: made once per process."""
    return pdf_of(render("print_flashcards.html", ON_SERVER, cards=FLASHCARDS))


@blp.route("/problem-sets/<uuid:problem_set_id>/print")
class Print(MethodView):
    @instructor_only
    @blp.arguments(PrintQuerySchema, location="query", as_kwargs=True)
    @blp.doc(**PRINT_RESPONSE)
    @blp.errors(401, 403, 404, 409)
    def get(self, problem_set_id: uuid.UUID, format: str, answer_key: bool, page: int,
            page_size: int | None) -> Response:
        """Print a problem set

        Instructor key only. One sheet per student, in roster order: the
        set's title, the student's id, and for each item their variant's
        params, the statement and the questions, with room to answer. With
        ``answer_key=true`` each sheet is followed by that student's exact
        answers (typeset, with the value to 4 decimals and the exact form as
        the answer key gives it). ``format=pdf`` (the default) is made on
        the server, its math typeset; ``format=html`` has print CSS (a sheet
        per page) and its math typeset by KaTeX in the browser. While a big
        set's problems are still being made: ``409`` with ``Retry-After``.
        A PDF of many sheets is refused (``422`` naming ``page_size``, with
        how many students fit) past ``ELBO_GRADER_PRINT_PDF_PROBLEMS``
        problems, 300 by default (a problem with its answers counts 4): ask
        for the class in parts with ``page_size`` and ``page``."""
        return printed(problem_set_id, format, answer_key, page, page_size)


@blp.route("/flashcards")
class Flashcards(MethodView):
    @open_access
    @blp.arguments(FlashcardsQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, FlashcardSchema(many=True))
    @blp.doc(**FLASHCARDS_RESPONSE)
    def get(self, format: str):
        """List the flashcards

        The practice page's ten flashcards on the ELBO, in this project's
        own words: each a question (``front``) and its answer (``back``),
        text with ``$TeX$``. ``format=pdf``: one card per page, A6
        landscape, each numbered "n / 10"."""
        if format == "pdf":
            return pdf_response(flashcards_pdf(), "flashcards.pdf")
        return list(FLASHCARDS)
