"""The service around the endpoints: health, the OpenAPI document and its
docs page, request ids, and the framework's own errors as problem+json."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from api_helpers import MISSING_ID, assert_problem
from openapi_spec_validator import validate

from api import create_app
from api.db import database


def test_healthz_is_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.fixture
def no_database():
    """A client of an app whose database is down: nothing listens on port 1,
    so every connection attempt is refused at once."""
    app = create_app({"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    yield app.test_client()
    database(app).engine.dispose()


def test_healthz_is_503_when_the_database_does_not_answer(no_database):
    body = assert_problem(no_database.get("/healthz"), 503)
    assert "database" in body["detail"]


def test_a_database_outage_during_a_request_is_503(no_database):
    assert_problem(no_database.get(f"/api/v1/problems/{MISSING_ID}"), 503)


def test_openapi_document_is_valid_and_lists_every_operation(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    operations = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert operations == {
        ("/healthz", "get"),
        ("/api/v1/templates", "get"),
        ("/api/v1/problems", "post"),
        ("/api/v1/problems/{problem_id}", "get"),
        ("/api/v1/problems/{problem_id}/solution", "get"),
        ("/api/v1/problems/{problem_id}/submissions", "post"),
        ("/api/v1/problems/{problem_id}/submissions", "get"),
        ("/api/v1/submissions/{submission_id}", "get"),
        ("/api/v1/problem-sets", "post"),
        ("/api/v1/problem-sets", "get"),
        ("/api/v1/problem-sets/{problem_set_id}", "get"),
        ("/api/v1/problem-sets/{problem_set_id}", "patch"),
        ("/api/v1/problem-sets/{problem_set_id}/students", "get"),
        ("/api/v1/problem-sets/{problem_set_id}/students", "post"),
        ("/api/v1/problem-sets/{problem_set_id}/students/{student_id}", "patch"),
        ("/api/v1/problem-sets/{problem_set_id}/students/{student_id}", "get"),
        ("/api/v1/problem-sets/{problem_set_id}/students/{student_id}/revoke", "post"),
        ("/api/v1/problem-sets/{problem_set_id}/students/{student_id}/reissue", "post"),
        ("/api/v1/problem-sets/{problem_set_id}/answer-key", "get"),
        ("/api/v1/problem-sets/{problem_set_id}/grades", "get"),
        ("/api/v1/problem-sets/{problem_set_id}/analytics", "get"),
        ("/api/v1/problem-sets/{problem_set_id}/print", "get"),
        ("/api/v1/flashcards", "get"),
    }


def test_error_responses_are_documented_as_problem_json(client):
    document = client.get("/api/v1/openapi.json").json
    for name, response in document["components"]["responses"].items():
        assert list(response["content"]) == ["application/problem+json"], name


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_docs_page_loads_every_asset_from_the_service(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # No URL with a host anywhere in the page (scripts included): no CDN.
    assert not re.search(r"(https?:)?//[\w.-]+\.\w", html)
    links = _Links()
    links.feed(html)
    assert len(links.urls) == 3  # Swagger UI's css, bundle and preset
    spec_url = re.search(r'url: "([^"]+)"', html).group(1)
    for url in [*links.urls, spec_url]:
        absolute = urljoin("http://localhost/api/v1/docs", url)
        assert urlsplit(absolute).netloc == "localhost"
        assert client.get(urlsplit(absolute).path).status_code == 200, url


def test_a_request_id_is_generated_and_returned(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_sane_request_id_is_honoured_and_an_odd_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lms-42.a"}).headers["X-Request-ID"] == "lms-42.a"
    replaced = client.get("/healthz", headers={"X-Request-ID": "no spaces\x7f"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_unknown_path_is_404(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_unknown_id_format_is_404(client):
    assert_problem(client.get("/api/v1/problems/not-a-uuid"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/templates")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_body_over_64_kib_is_413(client):
    body = '{"template": "elbo-gap", "pad": "' + "x" * (64 * 1024) + '"}'
    assert_problem(client.post("/api/v1/problems", data=body, content_type="application/json"), 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_body_not_json_is_415(client, content_type):
    response = client.post("/api/v1/problems", data='{"template": "elbo-gap"}', content_type=content_type)
    assert_problem(response, 415)


@pytest.mark.parametrize(
    "body",
    ['{"template": ', "", "   ", "{'template': 'elbo-gap'}", b"\xff\xfe\x00", "[" * 60_000, "1" * 5000],
    ids=["truncated", "empty", "blank", "single-quotes", "not-utf8", "deep", "long-integer"],
)
def test_malformed_json_is_400(client, body):
    response = client.post("/api/v1/problems", data=body, content_type="application/json")
    detail = assert_problem(response, 400)["detail"]
    assert "JSON" in detail or "empty" in detail


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_400(client, literal):
    body = f'{{"template": "elbo-gap", "seed": {literal}}}'
    response = client.post("/api/v1/problems", data=body, content_type="application/json")
    assert literal in assert_problem(response, 400)["detail"]


def test_unexpected_exception_is_500_that_leaks_nothing(make_app, caplog):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom", headers={"X-Request-ID": "req-500"})
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert body["request_id"] == "req-500"
    assert "req-500" in caplog.text and "secret internals" in caplog.text


def test_an_integer_too_long_to_read_is_400_in_the_clients_terms(client):
    body = '{"template": "elbo-gap", "seed": ' + "1" * 4301 + "}"
    detail = assert_problem(client.post("/api/v1/problems", data=body, content_type="application/json"), 400)["detail"]
    assert "4,301 digits" in detail and "at most 4,300" in detail
    assert "sys." not in detail


def test_the_docs_answer_with_and_without_a_trailing_slash(client):
    slashed = client.get("/api/v1/docs/")
    assert slashed.status_code == 308
    assert slashed.headers["Location"].endswith("/api/v1/docs")
    followed = client.get("/api/v1/docs/", follow_redirects=True)
    assert followed.status_code == 200
    assert "swagger-ui" in followed.get_data(as_text=True)
