"""The ELBO plot of a problem page: ELBO(q) under ln p(x) over q = q(z = 1 | x).

Computed here, on the server, from the binary model's own formulas
(problems.model) in floats, which is plenty for drawing and agrees with the
exact values to about 1e-15. The page gets the curve as SVG paths, the
values at each point of the slider as JSON (the browser only looks them up,
it computes nothing), and a table of the values at the variant's q and at
the posterior for readers without JavaScript or without sight of the plot.

Only templates of the binary model have such a curve: the decision is the
template's type (a ``BinaryTemplate``), never its id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from problems import TEMPLATES, Problem, model
from problems.binary import BinaryTemplate

# The slider's points: q = k/200, plus the variant's q and the posterior.
STEPS = 200
WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 44


@dataclass(frozen=True)
class Point:
    """The bound at one q: ELBO(q), the gap ln p(x) − ELBO(q) and KL(q ‖ posterior)."""

    q: float
    elbo: float
    gap: float
    kl: float


@dataclass(frozen=True)
class Plot:
    log_marginal: float
    posterior: float
    variant: Point  # at the variant's own q
    points: tuple[Point, ...]  # increasing q, the slider's stops
    y_min: float
    y_max: float

    def x(self, q: float) -> float:
        """The SVG x of q."""
        return LEFT + q * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        """The SVG y of a value of the bound."""
        return TOP + (self.y_max - value) / (self.y_max - self.y_min) * (HEIGHT - TOP - BOTTOM)

    @property
    def frame(self) -> dict[str, float]:
        """The plotting area's edges in SVG units."""
        return {"left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
                "middle": (LEFT + WIDTH - RIGHT) / 2, "width": WIDTH, "height": HEIGHT}

    @property
    def elbo_path(self) -> str:
        return "M" + " L".join(f"{self.x(p.q):.2f},{self.y(p.elbo):.2f}" for p in self.points)

    @property
    def gap_path(self) -> str:
        """The area between ln p(x) and the curve, closed along the ln p(x) line."""
        top = self.y(self.log_marginal)
        first, last = self.points[0], self.points[-1]
        return f"{self.elbo_path} L{self.x(last.q):.2f},{top:.2f} L{self.x(first.q):.2f},{top:.2f} Z"

    @property
    def variant_index(self) -> int:
        return next(i for i, p in enumerate(self.points) if p.q == self.variant.q)

    @property
    def rows(self) -> tuple[tuple[str, Point], ...]:
        """The table's rows: the variant's q and the posterior (one row when they are the same q)."""
        at_posterior = next(p for p in self.points if p.q == self.posterior)
        if at_posterior == self.variant:
            return (("this exercise's q, the posterior", self.variant),)
        return (("this exercise's q", self.variant), ("the posterior", at_posterior))

    @property
    def x_ticks(self) -> tuple[tuple[float, str], ...]:
        return tuple((self.x(q), f"{q:g}") for q in (0, 0.25, 0.5, 0.75, 1))

    @property
    def y_ticks(self) -> tuple[tuple[float, str], ...]:
        step = _nice_step((self.y_max - self.y_min) / 5)
        first = math.ceil(self.y_min / step)
        values = [k * step for k in range(first, math.floor(self.y_max / step) + 1)]
        return tuple((self.y(v), f"{v:.{_decimals(step)}f}") for v in values)

    def data(self) -> dict[str, Any]:
        """What the slider looks up, one list per quantity (JSON)."""
        return {"q": [p.q for p in self.points], "elbo": [p.elbo for p in self.points],
                "gap": [p.gap for p in self.points], "kl": [p.kl for p in self.points],
                "scale": {"view_width": WIDTH, "left": LEFT, "width": WIDTH - LEFT - RIGHT, "top": TOP,
                          "y_max": self.y_max, "y_scale": (HEIGHT - TOP - BOTTOM) / (self.y_max - self.y_min)}}


def _nice_step(raw: float) -> float:
    scale = 10 ** math.floor(math.log10(raw))
    return next(m * scale for m in (1, 2, 5, 10) if m * scale >= raw)


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step)))


@dataclass(frozen=True)
class _Model:
    """A variant's model in floats, read once for the ~200 points of a plot."""

    p_z1: float
    likelihood_z0: float
    likelihood_z1: float
    log_marginal: float
    posterior: float

    def at(self, q: float) -> Point:
        """The bound at q."""
        elbo = model.elbo(model.reconstruction(q, self.likelihood_z0, self.likelihood_z1, math.log),
                          model.kl(q, self.p_z1, math.log))
        return Point(q, elbo, model.gap(self.log_marginal, elbo), model.kl(q, self.posterior, math.log))


def elbo_plot(problem: Problem) -> Plot | None:
    """The plot of a problem of the binary model; None for any other template."""
    template = TEMPLATES.get(problem.template)
    if not isinstance(template, BinaryTemplate):
        return None
    params = problem.params
    assert isinstance(params, model.Params)
    likelihood_z0, likelihood_z1 = params.likelihoods()
    marginal = model.marginal(params.p_z1, likelihood_z0, likelihood_z1)
    posterior = model.posterior(params.p_z1, likelihood_z1, marginal)
    bound = _Model(float(params.p_z1), float(likelihood_z0), float(likelihood_z1), math.log(marginal),
                   float(posterior))
    variant_q = float(Fraction(template.encoder(params, posterior)))
    stops = sorted({k / STEPS for k in range(1, STEPS)} | {variant_q, bound.posterior})
    points = tuple(bound.at(q) for q in stops)
    lowest = min(p.elbo for p in points)
    margin = (bound.log_marginal - lowest) * 0.05
    return Plot(bound.log_marginal, bound.posterior, bound.at(variant_q), points,
                lowest - margin, bound.log_marginal + margin)
