"""Printing from the instructor's set page (docs/api.md §14): ``/sets/{id}/print``
gives the signed-in instructor what ``GET /api/v1/problem-sets/{id}/print``
gives a key, and the set page links to it. Through Flask's test client, on
every database."""

from __future__ import annotations

import io
import re

import pytest
from conftest import create_set
from pypdf import PdfReader
from test_pages_instructor import key_of, sign_in


@pytest.fixture
def printable(client, instructor, make_set):
    """A set of alice's and bob's variants, with the instructor signed in."""
    assignment = make_set(students=("alice", "bob"))
    sign_in(client, key_of(instructor))
    return assignment.problem_set_id


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages)


@pytest.mark.parametrize(("query", "filename", "answers"),
                         [("", "sheets", False), ("?answer_key=true", "answer-key", True),
                          ("?format=pdf&answer_key=false", "sheets", False)])
def test_the_signed_in_instructor_prints_the_pdf_the_api_prints(client, instructor, printable, query, filename,
                                                                 answers):
    page = client.get(f"/sets/{printable}/print{query}")
    api = client.get(f"/api/v1/problem-sets/{printable}/print{query}", headers=instructor)
    assert page.headers["Content-Disposition"] == f'inline; filename="{filename}-{printable}.pdf"'
    text = pdf_text(page)
    assert text == pdf_text(api)
    assert "Student: alice" in text and "Student: bob" in text
    assert ("Answers for: alice" in text) is answers


@pytest.mark.parametrize("query", ["?format=html", "?format=html&answer_key=true"])
def test_the_html_is_the_api_s(client, instructor, printable, query):
    page = client.get(f"/sets/{printable}/print{query}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    api = client.get(f"/api/v1/problem-sets/{printable}/print{query}", headers=instructor)
    assert page.get_data() == api.get_data()


@pytest.mark.parametrize(("query", "field"), [("?format=docx", "format"), ("?answer_key=maybe", "answer_key")])
def test_a_bad_query_is_refused_as_a_page_naming_the_parameter(client, printable, query, field):
    page = client.get(f"/sets/{printable}/print{query}")
    assert page.status_code == 422 and page.mimetype == "text/html"
    assert field in page.get_data(as_text=True)


def test_the_set_page_links_to_the_prints(client, printable):
    html = client.get(f"/sets/{printable}").get_data(as_text=True)
    links = dict((text, href) for href, text in re.findall(r'<a href="([^"]*/print[^"]*)">([^<]+)</a>', html))
    assert links == {"Print the sheets": f"/sets/{printable}/print",
                     "Print with the answer key": f"/sets/{printable}/print?answer_key=true"}
    assert all(client.get(href).status_code == 200 for href in links.values())


def test_students_and_strangers_are_refused(client, make_set):
    assignment = make_set(students=("alice",))
    path = f"/sets/{assignment.problem_set_id}/print"
    assert client.get(path).status_code == 401
    assert client.get(f"{path}?answer_key=true").status_code == 401
    sign_in(client, assignment.created["students"][0]["access_token"])
    for query in ("", "?answer_key=true", "?format=html"):
        refused = client.get(path + query)
        assert refused.status_code == 403 and refused.mimetype == "text/html"


def test_a_class_too_big_for_one_pdf_is_linked_in_parts_that_each_print(make_app, instructor):
    """Under a limit of 3 problems a PDF: 7 students of one item print as 3 + 3 + 1 sheets, and with the
    key (a problem with its answers counting 4) one student a PDF."""
    client = make_app(print_pdf_problems=3).test_client()
    roster = [f"s{n}" for n in range(1, 8)]
    problem_set_id = create_set(client, instructor, roster, items=[{"template": "elbo-gap"}])["id"]
    sign_in(client, key_of(instructor))
    html = client.get(f"/sets/{problem_set_id}").get_data(as_text=True)
    for kind, size in (("sheets", 3), ("key", 1)):
        part = re.search(rf'<span class="print-parts" data-print-parts="{kind}">(.*?)</span>', html, re.S)
        assert part, kind
        links = re.findall(r'<a href="([^"]*)">students (\d+)–(\d+)</a>', part[1])
        expected = [(first, min(first + size - 1, 7)) for first in range(1, 8, size)]
        assert [(int(first), int(last)) for _, first, last in links] == expected
        for href, first, last in links:
            printed = pdf_text(client.get(href.replace("&amp;", "&")))
            assert re.findall(r"Student: (s\d)", printed) == roster[int(first) - 1:int(last)]
        whole = re.search(r'<a href="([^"]*format=html[^"]*)">all as a page to print</a>', part[1])
        assert whole and client.get(whole[1].replace("&amp;", "&")).status_code == 200
