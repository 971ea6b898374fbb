"""The pages in a real browser (Debian's Chromium through Playwright), on a real server.

One server per module and database, one browser for the session; each test
has a fresh browser context, and every request its page makes is checked to
go to the server itself (conftest.visit).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from bounds import exact_bound
from page_helpers import api, axe_violations, practise
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.slow,
    # pytest-base-url's own fixture, which pytest-playwright asks for.
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]
SUBMIT = "form.answers button[type=submit]"

def solution(server, problem_id: str) -> dict[str, float]:
    answers = api(server, "GET", f"/api/v1/problems/{problem_id}/solution").json()["answers"]
    return {key: answer["value"] for key, answer in answers.items()}


def stored(server, problem_id: str) -> list[dict]:
    return api(server, "GET", f"/api/v1/problems/{problem_id}/submissions",
               key=server.instructor_key).json()


def test_practise_from_home_and_submit_right_answers(visit, server):
    problem_id = practise(visit, server)
    expect(visit.locator(".statement .katex").first).to_be_visible()  # typeset by KaTeX
    exact = solution(server, problem_id)
    for key, value in exact.items():
        visit.fill(f'input[name="{key}"]', repr(value))
    visit.click(SUBMIT)
    expect(visit.locator("[data-score]")).to_have_attribute("data-score", "1.0")
    for key in exact:
        expect(visit.locator(f'[data-key="{key}"]')).to_have_attribute("data-status", "correct")
    expect(visit.locator(".steps li")).to_have_count(4)
    assert len(stored(server, problem_id)) == 1


def test_wrong_answers_show_status_misconceptions_and_the_first_wrong_step(visit, server):
    problem_id = practise(visit, server)
    exact = solution(server, problem_id)
    visit.fill('input[name="marginal"]', repr(exact["marginal"] * 100))  # a percentage
    visit.fill('input[name="log_marginal"]', f"ln({exact['marginal'] * 100!r})")
    visit.click(SUBMIT)
    expect(visit.locator('[data-key="marginal"]')).to_have_attribute("data-status", "incorrect")
    expect(visit.locator('[data-key="marginal"] [data-misconception="percent"]')).to_be_visible()
    expect(visit.locator('[data-key="log_marginal"]')).to_have_attribute("data-status", "follow_through")
    expect(visit.locator('[data-key="elbo"]')).to_have_attribute("data-status", "unanswered")
    expect(visit.locator(".step.first-wrong")).to_have_count(1)
    assert float(visit.get_attribute("[data-score]", "data-score")) < 1


def test_an_unreadable_answer_is_shown_beside_its_input_and_nothing_is_stored(visit, server):
    problem_id = practise(visit, server)
    visit.fill('input[name="marginal"]', "0.6")
    visit.fill('input[name="elbo"]', "0.4ln(0.8)")
    visit.click(SUBMIT)
    error = visit.locator('[data-error-for="elbo"]')
    expect(error).to_contain_text("implicit multiplication at 4")
    # Beside its input: the next thing after the input's live reading, in the same part.
    assert visit.evaluate("""() => document.querySelector('[data-error-for="elbo"]').closest('li')
                             .querySelector('input').name""") == "elbo"
    expect(visit.locator('input[name="elbo"]')).to_have_value("0.4ln(0.8)")
    expect(visit.locator("[data-score]")).to_have_count(0)
    assert stored(server, problem_id) == []


def test_the_live_reading_uses_the_service_reader(visit, server):
    practise(visit, server)
    reading = visit.locator("#reading-marginal")
    visit.type('input[name="marginal"]', "ln(0.6)", delay=20)
    expect(reading).to_have_text("Reads as -0.5108256238")
    visit.fill('input[name="marginal"]', "0.4ln(0.8)")
    expect(reading).to_contain_text("implicit multiplication at 4")


def test_a_double_click_stores_one_submission(visit, server):
    problem_id = practise(visit, server)
    visit.fill('input[name="marginal"]', "0.5")
    visit.dblclick(SUBMIT)
    expect(visit.locator("[data-score]")).to_have_count(1)
    assert len(stored(server, problem_id)) == 1


@pytest.mark.parametrize("template", ["elbo-gap", "tight-bound"])
def test_the_plot_shows_the_exact_bound_and_its_marker_moves(visit, server, template):
    problem_id = practise(visit, server, template, "hard")
    params = api(server, "GET", f"/api/v1/problems/{problem_id}").json()["params"]
    svg = visit.locator("svg#elbo-plot")
    expect(svg).to_be_visible()
    slider = visit.locator("#q-slider")
    marker = visit.locator("#elbo-marker")
    slider.focus()
    visit.keyboard.press("Home")
    visit.keyboard.press("ArrowRight")  # the second stop of the slider
    for index in (1, 60, 140, 198):
        if index != 1:
            slider.evaluate("(el, i) => { el.value = i; el.dispatchEvent(new Event('input')); }", index)
        q = float(marker.get_attribute("data-q"))
        exact = exact_bound(params, Fraction(repr(q)))
        assert float(marker.get_attribute("data-elbo")) == pytest.approx(exact["elbo"], abs=1e-9)
        assert float(marker.get_attribute("data-gap")) == pytest.approx(exact["gap"], abs=1e-9)
        assert float(marker.get_attribute("data-kl")) == pytest.approx(exact["kl_posterior"], abs=1e-9)
        expect(visit.locator('#marker-values [data-value="elbo"]')).to_have_text(f"{exact['elbo']:.4f}")
    exact = exact_bound(params, Fraction(1, 2))
    assert float(svg.get_attribute("data-log-marginal")) == pytest.approx(exact["log_marginal"], abs=1e-9)
    assert float(svg.get_attribute("data-posterior")) == pytest.approx(exact["posterior"], abs=1e-12)
    # Dragging: a press near the right edge moves the marker there.
    box = svg.bounding_box()
    assert box is not None
    visit.mouse.click(box["x"] + box["width"] * 0.96, box["y"] + box["height"] / 2)
    assert float(marker.get_attribute("data-q")) > 0.9


def test_hints_mode_shows_no_number_of_the_solution(visit, server):
    created = api(server, "POST", "/api/v1/problems",
                  json={"template": "elbo-gap", "seed": 7, "policy": {"feedback": "hints"}}).json()
    exact = solution(server, created["id"])
    visit.goto(f"{server.url}/problems/{created['id']}")
    expect(visit.locator("svg#elbo-plot")).to_have_count(0)
    visit.fill('input[name="marginal"]', "0.123")
    visit.fill('input[name="elbo"]', "-2")
    visit.click(SUBMIT)
    expect(visit.locator("[data-score]")).to_have_count(1)
    text = visit.locator("main").inner_text()
    for key, value in exact.items():
        for shown in {f"{value:.4f}", f"{value:.3f}", f"{value:.2f}"} - {"0.00", "-0.00"}:
            assert shown not in text, (key, shown)


def test_a_student_signs_in_reaches_their_set_and_signs_out(visit, server):
    created = api(server, "POST", "/api/v1/problem-sets", key=server.instructor_key, json={
        "title": "Week 6", "items": [{"template": "elbo-gap"}, {"template": "tight-bound"}],
        "students": ["alice"], "policy": {"max_attempts": 3}}).json()
    token = created["students"][0]["access_token"]
    visit.goto(server.url + "/sign-in")
    visit.fill("#token", token)
    visit.click("form.stacked button[type=submit]")
    visit.wait_for_url(f"{server.url}/sets/{created['id']}")
    assert token not in visit.url
    expect(visit.locator("[data-item]")).to_have_count(2)
    expect(visit.locator('[data-item="0"] [data-attempts-left]')).to_have_text("3")
    visit.click('[data-item="0"] a')
    expect(visit.locator('input[name="marginal"]')).to_be_visible()
    expect(visit.locator("svg#elbo-plot")).to_have_count(0)  # the set's solution is closed to her
    visit.fill('input[name="marginal"]', "0.5")
    visit.click(SUBMIT)
    expect(visit.locator("[data-score]")).to_have_count(1)
    visit.click("text=Back to the set")
    expect(visit.locator('[data-item="0"] [data-attempts-left]')).to_have_text("2")
    visit.click("text=Sign out")
    visit.goto(f"{server.url}/sets/{created['id']}")
    expect(visit.locator('[data-status="401"]')).to_have_count(1)


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(visit, server):
    problem_id = practise(visit, server)
    visit.fill('input[name="marginal"]', "0.5")
    visit.evaluate("() => document.querySelector('form.answers input[name=csrf_token]').remove()")
    visit.click(SUBMIT)
    expect(visit.locator('[data-status="400"]')).to_contain_text("CSRF")
    assert stored(server, problem_id) == []


def test_every_page_is_accessible_light_and_fits_a_phone(visit, server):
    visit.set_viewport_size({"width": 375, "height": 800})
    problem_id = practise(visit, server)
    # Each page weighed as a first visit: every asset fetched again.
    visit.context.new_cdp_session(visit).send("Network.setCacheDisabled", {"cacheDisabled": True})
    weights: dict[str, int] = {}
    visit.on("requestfinished", lambda request: weights.__setitem__(
        request.url, request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
    visit.fill('input[name="marginal"]', "0.5")
    visit.click(SUBMIT)
    expect(visit.locator("[data-score]")).to_have_count(1)
    pages = ["/", "/sign-in", f"/problems/{problem_id}"]
    for path in pages:
        weights.clear()
        visit.goto(server.url + path)
        visit.wait_for_load_state("networkidle")
        assert sum(weights.values()) < 500_000, (path, weights)
        assert visit.evaluate("() => document.documentElement.scrollWidth") <= 375, path
        assert axe_violations(visit) == [], path
    # And the page with a graded submission on it.
    visit.fill('input[name="marginal"]', "0.5")
    visit.fill('input[name="posterior"]', "oops")
    visit.click(SUBMIT)
    expect(visit.locator('[data-error-for="posterior"]')).to_have_count(1)
    assert axe_violations(visit) == []
