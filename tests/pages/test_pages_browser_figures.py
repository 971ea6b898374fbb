"""The plots of the templates beyond the page (beta-elbo, iwae-bound) in a real browser, on a real server.

A module of its own, so one server and one browser as test_pages_browser.py
has; every request a page makes is checked to go to the server (conftest.visit).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from page_helpers import api, axe_violations, practise
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.slow,
    # pytest-base-url's own fixture, which pytest-playwright asks for.
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]


def answers(server, problem_id: str) -> dict[str, float]:
    solved = api(server, "GET", f"/api/v1/problems/{problem_id}/solution").json()["answers"]
    return {key: answer["value"] for key, answer in solved.items()}


def test_the_beta_slider_changes_beta_and_moves_the_maximum(visit, server):
    problem_id = practise(visit, server, "beta-elbo", "hard")
    params = api(server, "GET", f"/api/v1/problems/{problem_id}").json()["params"]
    exact = answers(server, problem_id)
    expect(visit.locator("svg#beta-plot")).to_be_visible()
    marker, slider, curve = visit.locator("#beta-marker"), visit.locator("#beta-slider"), visit.locator("#beta-curve")
    # At first the variant's own β, with its answers.
    assert float(marker.get_attribute("data-beta")) == pytest.approx(float(Fraction(params["beta"])))
    assert float(marker.get_attribute("data-maximiser")) == pytest.approx(exact["optimal_q"], abs=1e-9)
    assert float(marker.get_attribute("data-maximum")) == pytest.approx(exact["optimal_beta_elbo"], abs=1e-9)
    assert float(marker.get_attribute("data-at-given")) == pytest.approx(exact["beta_elbo"], abs=1e-9)
    prior = float(visit.locator("svg#beta-plot").get_attribute("data-prior"))
    slider.focus()
    visit.keyboard.press("Home")  # the smallest β
    seen: list[tuple[float, float, str, str]] = []
    for _ in range(int(slider.get_attribute("max")) + 1):
        seen.append((float(marker.get_attribute("data-beta")), float(marker.get_attribute("data-maximiser")),
                     marker.locator("circle").get_attribute("cx") or "", curve.get_attribute("d") or ""))
        visit.keyboard.press("ArrowRight")
    betas = [beta for beta, *_ in seen]
    assert betas == sorted(betas) and betas[0] < 1 < betas[-1]
    # Toward the prior as β grows: each maximiser closer to it than the last, and the marker and curve move.
    distances = [abs(maximiser - prior) for _, maximiser, _, _ in seen]
    assert all(later < earlier for earlier, later in pairwise(distances))
    assert len({cx for *_, cx, _ in seen}) == len(seen) and len({d for *_, d in seen}) == len(seen)
    expect(visit.locator('#marker-values [data-value="beta"]')).to_have_text(f"{betas[-1]:.4f}")
    assert "β = " in (slider.get_attribute("aria-valuetext") or "")
    assert axe_violations(visit) == []


def test_the_k_plot_marks_the_variant_and_rises_toward_ln_p_x(visit, server):
    problem_id = practise(visit, server, "iwae-bound", "hard")
    params = api(server, "GET", f"/api/v1/problems/{problem_id}").json()["params"]
    exact = answers(server, problem_id)
    svg = visit.locator("svg#bound-plot")
    expect(svg).to_be_visible()
    points = svg.locator("circle[data-k]")
    expect(points).to_have_count(10)
    bounds = [float(points.nth(i).get_attribute("data-bound") or "nan") for i in range(10)]
    assert bounds[0] == pytest.approx(exact["elbo"], abs=1e-9)
    assert bounds[params["k"] - 1] == pytest.approx(exact["iwae"], abs=1e-9)
    assert float(svg.get_attribute("data-log-marginal")) == pytest.approx(exact["log_marginal"], abs=1e-9)
    expect(svg.locator("circle.variant")).to_have_attribute("data-k", str(params["k"]))
    expect(visit.locator("table.values tbody tr")).to_have_count(10)
    assert axe_violations(visit) == []
