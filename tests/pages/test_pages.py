"""The pages through Flask's test client, on every database: sessions, CSRF,
idempotent forms, assets and the plot's numbers."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from bounds import exact_bound
from page_helpers import form_fields

from api.pages.assets import tree_digest
from api.pages.plot import Plot, plot_of
from problems import generate_params, make_problem


def practice_problem(client, template: str = "elbo-gap", seed: int = 11) -> str:
    response = client.get(f"/practice/{template}?difficulty=standard&seed={seed}")
    assert response.status_code == 303
    return response.headers["Location"]


def fields_of(client, path: str) -> dict[str, str]:
    return form_fields(client.get(path).get_data(as_text=True))


def submissions(client, instructor, path: str) -> list:
    return client.get(f"/api/v1{path}/submissions", headers=instructor).json


def test_the_json_api_is_unchanged_no_csrf_no_cookie(client):
    response = client.post("/api/v1/problems", json={"template": "elbo-gap"})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert client.get("/nope").mimetype == "application/problem+json"


def test_a_resent_form_stores_one_submission(client, instructor):
    path = practice_problem(client)
    form = {**fields_of(client, path), "marginal": "0.5"}
    first = client.post(path, data=form)
    again = client.post(path, data=form)
    assert first.status_code == again.status_code == 200
    assert re.findall(r'data-score="[^"]+"', first.get_data(as_text=True)) == \
        re.findall(r'data-score="[^"]+"', again.get_data(as_text=True))
    assert len(submissions(client, instructor, path)) == 1
    changed = client.post(path, data={**form, "marginal": "0.6"})
    assert changed.status_code == 422
    assert len(submissions(client, instructor, path)) == 1
    fresh = client.post(path, data={**fields_of(client, path), "marginal": "0.6"})
    assert fresh.status_code == 200 and len(submissions(client, instructor, path)) == 2


def test_without_or_with_a_wrong_csrf_token_nothing_is_stored(client, instructor):
    path = practice_problem(client)
    form = fields_of(client, path)
    for csrf in ({}, {"csrf_token": "forged"}):
        response = client.post(path, data={"render_key": form["render_key"], "marginal": "0.5", **csrf})
        assert response.status_code == 400 and response.mimetype == "text/html"
    assert submissions(client, instructor, path) == []


def test_unreadable_answers_store_nothing(client, instructor):
    path = practice_problem(client)
    response = client.post(path, data={**fields_of(client, path), "marginal": "0.5", "elbo": "2**"})
    assert response.status_code == 422
    assert 'data-error-for="elbo"' in response.get_data(as_text=True)
    assert submissions(client, instructor, path) == []


def sign_in(client, token: str):
    return client.post("/sign-in", data={**fields_of(client, "/sign-in"), "token": token})


def test_sign_in_keeps_no_token_in_urls_or_cookies_and_revoking_ends_the_session(client, instructor, make_set):
    assignment = make_set(students=("alice",))
    token = assignment.created["students"][0]["access_token"]
    response = sign_in(client, token)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/sets/{assignment.problem_set_id}"
    cookie = response.headers["Set-Cookie"]
    assert token not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get(f"/sets/{assignment.problem_set_id}")
    assert page.status_code == 200 and "alice" in page.get_data(as_text=True)
    revoked = client.post(f"/api/v1/problem-sets/{assignment.problem_set_id}/students/alice/revoke",
                          headers=instructor)
    assert revoked.status_code == 200
    assert client.get(f"/sets/{assignment.problem_set_id}").status_code == 401
    assert sign_in(client, token).status_code == 401


def test_an_instructor_signs_in_to_their_sets_and_out(client, instructor, make_set):
    make_set(students=("alice",))
    assert sign_in(client, instructor["Authorization"].split()[1]).headers["Location"] == "/instructor"
    assert "Week 6" in client.get("/instructor").get_data(as_text=True)
    out = client.post("/sign-out", data=fields_of(client, "/instructor"))
    assert out.status_code == 303
    assert client.get("/instructor").status_code == 401


def test_the_session_cookie_is_secure_over_https(client):
    response = client.get("/sign-in", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("proxies, secure", [(0, False), (1, True)])
def test_behind_a_trusted_proxy_that_terminates_tls_the_session_cookie_is_secure(make_app, proxies, secure):
    client = make_app(trusted_proxies=proxies).test_client()
    response = client.get("/sign-in", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert ("Secure" in response.headers["Set-Cookie"]) == secure


def test_assets_have_fingerprinted_urls_and_long_cache(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/[0-9a-f]{16}/pages\.css)"', html)
    assert css is not None and tree_digest() in css[1]
    response = client.get(css[1])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/0123456789abcdef/pages.css").status_code == 404
    assert client.get(f"/static/{tree_digest()}/vendor/katex/LICENSE").status_code == 200


def test_practice_is_validated_as_the_api_validates_it(client):
    assert client.get("/practice/no-such-template").status_code == 404
    assert client.get("/practice/elbo-gap?difficulty=impossible").status_code == 422
    assert client.get("/practice/elbo-gap?seed=-3").status_code == 422


@pytest.mark.parametrize(("template", "key", "plot"), [("elbo-gap", "marginal", "elbo-plot"),
                                                       ("beta-elbo", "reconstruction", "beta-plot"),
                                                       ("iwae-bound", "weight_z0", "bound-plot")])
def test_hints_mode_shows_no_expected_number(client, template, key, plot):
    created = client.post("/api/v1/problems", json={"template": template, "seed": 5,
                                                    "policy": {"feedback": "hints"}}).json
    path = f"/problems/{created['id']}"
    page = client.post(path, data={**fields_of(client, path), key: "0.123"}).get_data(as_text=True)
    assert 'data-score="' in page and f'id="{plot}"' not in page and "<svg" not in page
    text = re.sub(r"<[^>]+>", " ", page)
    for answer in client.get(f"/api/v1{path}/solution").json["answers"].values():
        assert f"{answer['value']:.4f}" not in text


@pytest.mark.parametrize("template", ["elbo-gap", "tight-bound"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_plot_is_the_exact_bound(template, seed):
    problem = make_problem(template, generate_params(template, seed, "hard"), seed, "hard")
    plot = plot_of(problem)
    assert isinstance(plot, Plot)
    params = problem.params.to_json()
    for point in (plot.points[0], plot.variant, plot.points[len(plot.points) // 2], plot.points[-1]):
        exact = exact_bound(params, Fraction(repr(point.q)))
        assert point.elbo == pytest.approx(exact["elbo"], abs=1e-9)
        assert point.gap == pytest.approx(exact["gap"], abs=1e-9)
        assert point.kl == pytest.approx(exact["kl_posterior"], abs=1e-9)
    assert plot.log_marginal == pytest.approx(problem.answers["log_marginal"].value, abs=1e-12)
    # The bound touches ln p(x) at the posterior, and only there.
    at_posterior = next(p for p in plot.points if p.q == plot.posterior)
    assert at_posterior.gap == pytest.approx(0, abs=1e-12)
    assert all(p.gap > 0 for p in plot.points if p is not at_posterior and p.q != plot.posterior)


@pytest.mark.parametrize(("template", "plot", "rows"),
                         [("beta-elbo", "beta-plot", 11), ("iwae-bound", "bound-plot", 10)])
def test_a_practice_problem_of_a_template_with_a_figure_has_its_plot_and_a_table(client, template, plot, rows):
    page = client.get(practice_problem(client, template)).get_data(as_text=True)
    assert f'<svg id="{plot}"' in page and 'id="plot-desc"' in page
    # The table, for readers without JavaScript: a row per β (the variant's may be an extra one) or per k.
    table = page[page.index('<table class="values">'):page.index("</table>")]
    assert table.count('scope="row"') >= rows
