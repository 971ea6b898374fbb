"""The ELBO plot of a problem page: ELBO(q) under ln p(x) over q = q(z = 1 | x).

Computed here, on the server, from the binary model's own formulas
(problems.model) in floats, which is plenty for drawing and agrees with the
exact values to about 1e-15. The page gets the curve as SVG paths, the
values at each point of the slider as JSON (the browser only looks them up,
it computes nothing), and a table of the values at the variant's q and at
the posterior for readers without JavaScript or without sight of the plot.

Which plot a page gets is the template's say (``Template.figure``,
problems.figures), laid out here by the figure's type, never by the
template's id: the binary model's templates give this curve; others the
β-ELBO over q for a range of β, or the k-sample bound by k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from problems import TEMPLATES, Problem, model
from problems.figures import BetaCurve, BetaFigure, BoundFigure, ElboFigure

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


@dataclass(frozen=True, kw_only=True)
class _Axes:
    """What every plot shares: the frame and a value axis from y_min to y_max."""

    y_min: float
    y_max: float
    # The Jinja template that draws the plot, included by problem.html.
    page: ClassVar[str]

    def x(self, q: float) -> float:
        """The SVG x of q, or of a fraction of the plot's width."""
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
    def x_ticks(self) -> tuple[tuple[float, str], ...]:
        """Ticks of q from 0 to 1."""
        return tuple((self.x(q), f"{q:g}") for q in (0, 0.25, 0.5, 0.75, 1))

    @property
    def y_ticks(self) -> tuple[tuple[float, str], ...]:
        step = _nice_step((self.y_max - self.y_min) / 5)
        first = math.ceil(self.y_min / step)
        values = [k * step for k in range(first, math.floor(self.y_max / step) + 1)]
        return tuple((self.y(v), f"{v:.{_decimals(step)}f}") for v in values)

    def path(self, xs: tuple[float, ...], values: tuple[float, ...]) -> str:
        """An SVG path through (x, value) for each x in [0, 1]."""
        return "M" + " L".join(f"{self.x(x):.2f},{self.y(v):.2f}" for x, v in zip(xs, values, strict=True))


def _padded(low: float, high: float, below: float = 0.05) -> dict[str, float]:
    """The value axis from low to high with room around them (`below` of the range under low, 5% over high)."""
    span = high - low
    return {"y_min": low - span * below, "y_max": high + span * 0.05}


@dataclass(frozen=True)
class Plot(_Axes):
    log_marginal: float
    posterior: float
    variant: Point  # at the variant's own q
    points: tuple[Point, ...]  # increasing q, the slider's stops
    page: ClassVar[str] = "plot.html"

    @property
    def elbo_path(self) -> str:
        return self.path(tuple(p.q for p in self.points), tuple(p.elbo for p in self.points))

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


def _at(figure: ElboFigure, q: float) -> Point:
    """The bound at q."""
    elbo = model.elbo(model.reconstruction(q, figure.likelihood_z0, figure.likelihood_z1, math.log),
                      model.kl(q, figure.p_z1, math.log))
    return Point(q, elbo, model.gap(figure.log_marginal, elbo), model.kl(q, figure.posterior, math.log))


def _elbo_plot(figure: ElboFigure) -> Plot:
    stops = sorted({k / STEPS for k in range(1, STEPS)} | {figure.given_q, figure.posterior})
    points = tuple(_at(figure, q) for q in stops)
    return Plot(figure.log_marginal, figure.posterior, _at(figure, figure.given_q), points,
                **_padded(min(p.elbo for p in points), figure.log_marginal))


@dataclass(frozen=True)
class BetaPlot(_Axes):
    """β-ELBO(q) for each β of the slider; the curve of the variant's β drawn first."""

    figure: BetaFigure
    page: ClassVar[str] = "beta_plot.html"

    @property
    def shown(self) -> BetaCurve:
        return self.figure.curves[self.figure.variant]

    def data(self) -> dict[str, Any]:
        """Each β's path, maximiser and values (JSON): the slider only swaps them in."""
        return {"curves": [{"beta": c.beta, "path": self.path(self.figure.q, c.values), "maximiser": c.maximiser,
                            "maximum": c.maximum, "at_given": c.at_given,
                            "x": self.x(c.maximiser), "y": self.y(c.maximum)} for c in self.figure.curves]}


@dataclass(frozen=True)
class BoundPlot(_Axes):
    """The k-sample bound as a point for each k, under the line ln p(x)."""

    figure: BoundFigure
    page: ClassVar[str] = "bound_plot.html"

    def k_x(self, k: int) -> float:
        """The SVG x of k: k = 1 … n spread over the width, half a step in from each edge."""
        return self.x((k - 0.5) / len(self.figure.bounds))

    @property
    def x_ticks(self) -> tuple[tuple[float, str], ...]:
        """A tick at every k."""
        return tuple((self.k_x(k), str(k)) for k in range(1, len(self.figure.bounds) + 1))

    @property
    def points(self) -> tuple[tuple[int, float, float, float], ...]:
        """k, the bound, and its SVG x and y."""
        return tuple((k, value, self.k_x(k), self.y(value)) for k, value in enumerate(self.figure.bounds, 1))


def _beta_plot(figure: BetaFigure) -> BetaPlot:
    # Around the maxima and the curves' common value at the prior (where KL(q ‖ p(z)) = 0), with as much again
    # below: the tails of a large β fall far lower and are clipped, not allowed to flatten the part that moves.
    at_prior = figure.curves[0].values[figure.q.index(figure.prior)]
    maxima = [c.maximum for c in figure.curves]
    return BetaPlot(figure, **_padded(min(*maxima, at_prior), max(maxima), 1.0))


def plot_of(problem: Problem) -> Plot | BetaPlot | BoundPlot | None:
    """The plot of a problem's page, if its template has one: the ELBO curve of the binary model, or the
    template's own figure."""
    figure = TEMPLATES[problem.template].figure(problem.params)
    if isinstance(figure, ElboFigure):
        return _elbo_plot(figure)
    if isinstance(figure, BetaFigure):
        return _beta_plot(figure)
    if isinstance(figure, BoundFigure):
        return BoundPlot(figure, **_padded(min(figure.bounds), figure.log_marginal, 0.1))
    return None
