"""GET /flashcards: the flashcards as a page for people, printed one card per page."""

from __future__ import annotations

from flask import render_template

from api.resources.printing import IN_BROWSER
from problems.flashcards import FLASHCARDS


def flashcards() -> str:
    return render_template("flashcards.html", cards=FLASHCARDS, math=IN_BROWSER)
