"""What a template offers the student page to draw: its figure's numbers, in floats.

A template that has a figure returns one of these from `Template.figure`; the
page (api/pages/plot.py) lays it out as SVG by its type, never by the
template's id. Floats are plenty for drawing; where a figure's value is one of
the template's answers it comes from the same formula, so it agrees with the
exact answer to about 1e-15.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ElboFigure:
    """ELBO(q) under ln p(x) over q: the binary model in floats, and the variant's q."""

    p_z1: float
    likelihood_z0: float  # p(x | z = 0) of the observed x
    likelihood_z1: float
    log_marginal: float
    posterior: float
    given_q: float


@dataclass(frozen=True)
class BetaCurve:
    """The β-ELBO over q for one β, and where it is largest."""

    beta: float
    values: tuple[float, ...]  # at BetaFigure.q
    maximiser: float  # q_β
    maximum: float  # β · ln Z
    at_given: float  # at the variant's q


@dataclass(frozen=True)
class BetaFigure:
    """β-ELBO(q) for a set of β, the variant's β among them."""

    prior: float
    posterior: float
    given_q: float
    q: tuple[float, ...]  # increasing, in (0, 1)
    curves: tuple[BetaCurve, ...]  # increasing β
    variant: int  # index of the variant's β in `curves`


@dataclass(frozen=True)
class BoundFigure:
    """The k-sample bound for k = 1, 2, … under ln p(x)."""

    bounds: tuple[float, ...]  # bounds[i] is the bound of k = i + 1
    log_marginal: float
    k: int  # the variant's


Figure = ElboFigure | BetaFigure | BoundFigure
