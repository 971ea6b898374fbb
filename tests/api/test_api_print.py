"""Printing (docs/api.md §14): a set's sheets as PDF and HTML, and the
flashcards as JSON, PDF and a page. PDF text is read back with pypdf."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from api_helpers import MISSING_ID, assert_problem, set_path
from conftest import create_set
from pypdf import PdfReader

from api.services import making
from problems.flashcards import FLASHCARDS

POINTS_PER_MM = 72 / 25.4
CARDS = "/api/v1/flashcards"


def pdf_pages(response) -> list[str]:
    """Each page's text, whitespace collapsed (a long line may wrap anywhere a space is)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


class Sections(HTMLParser):
    """The (class, data-student-id) of each <section> of a printed set, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            attributes = dict(attrs)
            self.found.append((attributes.get("class"), attributes.get("data-student-id")))


def sections(html: str) -> list[tuple[str | None, str | None]]:
    parser = Sections()
    parser.feed(html)
    return parser.found


def print_path(problem_set_id: str, **query: str) -> str:
    return set_path(problem_set_id, "/print") + (f"?{urlencode(query)}" if query else "")


def test_the_pdf_with_the_key_holds_every_student_and_their_exact_answers(client, instructor):
    roster = ["zoë", "adam & eve"]
    created = create_set(client, instructor, roster, items=[{"template": "elbo-gap"}, {"template": "beta-elbo"}],
                         title="Week 6: the ELBO")
    pages = pdf_pages(client.get(print_path(created["id"], answer_key="true"), headers=instructor))
    key = client.get(set_path(created["id"], "/answer-key"), headers=instructor).json

    text = " ".join(pages)
    assert text.count("Week 6: the ELBO") == 2 * len(roster)  # the header of each sheet and each key
    # Roster order: a student's sheet, then their answers, then the next student.
    firsts = [text.index(f"Student: {student}") for student in roster]
    answers = [text.index(f"Answers for: {student}") for student in roster]
    assert firsts[0] < answers[0] < firsts[1] < answers[1]
    for entry in key["students"]:
        student = entry["student_id"]
        own = text[text.index(f"Answers for: {student}"):]
        for problem in entry["problems"]:
            for name, answer in problem["answers"].items():
                assert f"Exact: {answer['exact']}" in own
                # The answer typeset as text: its numbers (a fraction's numerator, then its denominator)
                # between the key's name and the value.
                typeset = re.search(f" {name} = ([^≈]*) ≈ {re.escape(format(answer['value'], '.4f'))}", own)
                assert typeset, name
                assert re.findall(r"\d+", typeset[1]) == re.findall(r"\d+", answer["latex"]), name
    # The math is typeset, never left as TeX.
    assert "$" not in text and "\\" not in text and "frac" not in text


def test_the_pdf_without_the_key_is_the_default_and_has_no_answers(client, instructor):
    created = create_set(client, instructor, ["alice", "bob"], items=[{"template": "tight-bound"}])
    key = client.get(set_path(created["id"], "/answer-key"), headers=instructor).json
    response = client.get(print_path(created["id"]), headers=instructor)
    pages = pdf_pages(response)
    assert response.headers["Content-Disposition"] == f'inline; filename="sheets-{created["id"]}.pdf"'
    assert len(pages) == 2  # one sheet per student, of one page each
    for page, entry in zip(pages, key["students"], strict=True):
        assert f"Student: {entry['student_id']}" in page and "Exact:" not in page
        # Their own variant's params (q_z1 is null here: the encoder is the posterior).
        params = entry["problems"][0]["params"]
        assert all(f"{name} = {value}" in page for name, value in params.items() if value is not None)


def test_html_has_one_sheet_per_student_in_roster_order(client, instructor):
    roster = ["carol", "alice", "<b>bob</b>", "dave"]
    created = create_set(client, instructor, roster, items=[{"template": "elbo-gap"}, {"template": "iwae-bound"}])
    key = client.get(set_path(created["id"], "/answer-key"), headers=instructor).json

    response = client.get(print_path(created["id"], format="html"), headers=instructor)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert sections(html) == [("sheet", student) for student in roster]
    assert "<b>bob</b>" not in html  # escaped
    # Each sheet: the params of the student's own variants and every prompt, the TeX left to KaTeX.
    for entry in key["students"]:
        for problem in entry["problems"]:
            for name, value in problem["params"].items():
                if value is not None:
                    assert f"<code>{name} = {value}</code>" in html
    assert "katex.min.js" in html and re.search(r"\$p\(x = [01]\)\$", html)
    assert html.count('<li class="math" data-key=') == len(roster) * (8 + 6)

    keyed = client.get(print_path(created["id"], format="html", answer_key="true"), headers=instructor)
    html = keyed.get_data(as_text=True)
    assert sections(html) == [(kind, student) for student in roster for kind in ("sheet", "answers")]
    for entry in key["students"]:
        for problem in entry["problems"]:
            for answer in problem["answers"].values():
                assert f"$\\displaystyle {answer['latex']}$" in html


@pytest.mark.parametrize(
    ("who", "query", "status", "field"),
    [
        ("nobody", "", 401, None),
        ("student", "", 403, None),
        ("student", "?answer_key=true", 403, None),
        ("instructor", "?format=docx", 422, "format"),
        ("instructor", "?answer_key=maybe", 422, "answer_key"),
        ("instructor", "?format=html&answer_key=", 422, "answer_key"),
    ],
)
def test_refusals(client, instructor, assignment, who, query, status, field):
    headers = {"nobody": {}, "student": assignment.tokens["alice"], "instructor": instructor}[who]
    body = assert_problem(client.get(set_path(assignment.problem_set_id, "/print") + query, headers=headers), status)
    if field is not None:
        assert field in body["errors"]


@pytest.mark.parametrize(
    ("answer_key", "fit"),
    [("false", 10), ("true", 2)],  # 12 students × 1 item against a limit of 10: 12, or 48 with the key
)
def test_a_pdf_past_the_limit_is_refused_with_how_many_students_fit(make_app, instructor, answer_key, fit):
    small = make_app(print_pdf_problems=10).test_client()
    roster = [f"s{n:02}" for n in range(12)]
    created = create_set(small, instructor, roster, items=[{"template": "elbo-gap"}])
    refused = assert_problem(small.get(print_path(created["id"], answer_key=answer_key), headers=instructor), 422)
    (message,) = refused["errors"]["page_size"]
    assert f"Ask for at most {fit} students a PDF" in message
    # The same class in parts of that size prints, and HTML is never limited.
    pages = pdf_pages(small.get(print_path(created["id"], answer_key=answer_key, page_size=str(fit), page="2"),
                                headers=instructor))
    assert re.findall(r"Student: (s\d\d)", " ".join(pages)) == roster[fit:2 * fit]
    html = small.get(print_path(created["id"], format="html", answer_key=answer_key), headers=instructor)
    assert [student for _, student in sections(html.get_data(as_text=True))][::1 + (answer_key == "true")] == roster


def test_one_sheet_always_prints_whatever_the_limit(make_app, instructor):
    tiny = make_app(print_pdf_problems=1).test_client()
    created = create_set(tiny, instructor, ["solo"], items=[{"template": "elbo-gap"}, {"template": "iwae-bound"}])
    pages = pdf_pages(tiny.get(print_path(created["id"], answer_key="true"), headers=instructor))
    assert "Answers for: solo" in " ".join(pages)


@pytest.mark.parametrize("query", ["page_size=0", "page_size=5001", "page_size=x", "page=0&page_size=2"])
def test_bad_parts_are_refused(client, instructor, assignment, query):
    body = assert_problem(client.get(set_path(assignment.problem_set_id, "/print") + "?" + query,
                                     headers=instructor), 422)
    assert set(body["errors"]) <= {"page", "page_size"} and body["errors"]


def test_an_unknown_set_is_404(client, instructor):
    assert_problem(client.get(print_path(MISSING_ID), headers=instructor), 404)


@pytest.mark.parametrize("answer_key", ["false", "true"])
def test_a_set_still_being_made_is_409_as_its_answer_key_is(make_app, instructor, monkeypatch, answer_key):
    monkeypatch.setattr(making, "start", lambda problem_set_id: None)  # nothing made in the background
    big = make_app(problems_at_once=2).test_client()
    body = {"title": "Big", "seed": 1, "items": [{"template": "elbo-gap"}], "students": ["a", "b", "c"]}
    created = big.post("/api/v1/problem-sets", json=body, headers=instructor)
    assert created.status_code == 202
    response = big.get(print_path(created.json["id"], answer_key=answer_key), headers=instructor)
    refused = assert_problem(response, 409)
    assert refused["type"] == making.SET_BEING_MADE and response.headers["Retry-After"]
    key = assert_problem(big.get(set_path(created.json["id"], "/answer-key"), headers=instructor), 409)
    assert refused["type"] == key["type"]


def test_flashcards_as_json(client):
    response = client.get(CARDS)
    assert response.status_code == 200
    assert response.json == [{"id": card.id, "front": card.front, "back": card.back} for card in FLASHCARDS]


def test_flashcards_pdf_is_ten_a6_landscape_pages_numbered(client):
    response = client.get(f"{CARDS}?format=pdf")
    pages = pdf_pages(response)
    assert len(pages) == 10
    for number, (page, card) in enumerate(zip(pages, FLASHCARDS, strict=True), start=1):
        assert f"{number} / 10" in page
        # The card's words outside its math, front and back, on its own page.
        for text in (card.front, card.back):
            for words in re.split(r"\$[^$]*\$", text):
                assert " ".join(words.split()) in page
    for page in PdfReader(io.BytesIO(response.data)).pages:
        width, height = float(page.mediabox.width) / POINTS_PER_MM, float(page.mediabox.height) / POINTS_PER_MM
        assert width == pytest.approx(148, abs=0.5) and height == pytest.approx(105, abs=0.5)


@pytest.mark.parametrize("value", ["html", "PDF", ""])
def test_flashcards_other_formats_are_refused(client, value):
    body = assert_problem(client.get(f"{CARDS}?format={value}"), 422)
    assert "format" in body["errors"]


def test_the_flashcards_page_prints_one_card_per_page_and_links_the_pdf(client):
    response = client.get("/flashcards")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert [int(n) for n in re.findall(r'<p class="number">(\d+) / 10</p>', html)] == list(range(1, 11))
    assert html.count('<article class="flashcard"') == 10
    assert f'href="{CARDS}?format=pdf"' in html
    assert re.search(r'href="/static/[0-9a-f]+/print\.css"', html)
    stylesheet = client.get(re.search(r'href="(/static/[0-9a-f]+/print\.css)"', html)[1]).get_data(as_text=True)
    assert "@page flashcard { size: 148mm 105mm" in stylesheet and "break-after: page" in stylesheet
