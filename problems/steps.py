"""Worked solutions: the step, how numbers are written in it, and the lines
every template of the binary model shares (each template orders them).

Each step knows its rule and the keys it covers, and renders itself twice:
with the variant's numbers (results to 4 decimals, `≈` where rounded) and
symbolically, for assignments whose policy hides numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .model import Params
from .numbers import decimal_places, rational_text, terminates

# Exact decimals longer than this are shown rounded, like every other result.
MAX_EXACT_PLACES = 6


@dataclass(frozen=True)
class Step:
    """One step of the worked solution."""

    title: str
    rule: str
    keys: tuple[str, ...]
    lines: tuple[str, ...]
    symbolic: tuple[str, ...]

    def to_json(self) -> dict:
        """Plain JSON form, for storage."""
        return {"title": self.title, "rule": self.rule, "keys": list(self.keys),
                "lines": list(self.lines), "symbolic": list(self.symbolic)}

    @classmethod
    def from_json(cls, data: dict) -> Step:
        """The inverse of `to_json`."""
        return cls(data["title"], data["rule"], tuple(data["keys"]), tuple(data["lines"]), tuple(data["symbolic"]))


@dataclass(frozen=True)
class Shown:
    """A number as written in a line, and whether it is exact or rounded."""

    text: str
    exact: bool

    @property
    def wrapped(self) -> str:
        """Negative numbers in parentheses, as an operand."""
        return f"({self.text})" if self.text.startswith("-") else self.text


def show(value: Fraction | float) -> Shown:
    """A short exact decimal as it is; anything else rounded to 4 decimals."""
    if isinstance(value, Fraction) and terminates(value) and decimal_places(value) <= MAX_EXACT_PLACES:
        return Shown(rational_text(value), True)
    text = f"{float(value):.4f}"
    return Shown("0.0000" if text == "-0.0000" else text, False)


def chain(start: str, *stages: tuple[str, bool]) -> str:
    """`start = a = b ≈ c`: each stage joined by `=` if exact, `≈` if rounded."""
    line = start
    for text, exact in stages:
        line += (" = " if exact else " ≈ ") + text
    return line


def stage(template: str, *numbers: Shown) -> tuple[str, bool]:
    """A stage of a chain: a template filled with numbers, exact only if all are.

    A negative number that follows an operator is put in parentheses.
    """
    texts = [number.text if template.startswith("{}") and i == 0 else number.wrapped
             for i, number in enumerate(numbers)]
    return template.format(*texts), all(number.exact for number in numbers)


@dataclass(frozen=True)
class Context:
    """What every step of the binary model needs: the params, the key values and q(z = 1 | x)."""

    params: Params
    values: dict  # key -> Fraction (marginal, posterior) or float
    q_z1: Fraction

    @property
    def x(self) -> int:
        return self.params.x


def complement_lines(ctx: Context) -> tuple[list[str], list[str]]:
    if ctx.x == 1:
        return [], []
    p = ctx.params
    l0, l1 = p.likelihoods()
    line = (
        "The observation is x = 0, so use the complements p(x = 0 | z) = 1 - p(x = 1 | z): "
        + chain("p(x = 0 | z = 0)", stage("1 - {}", show(p.p_x1_given_z0)), stage("{}", show(l0)))
        + " and "
        + chain("p(x = 0 | z = 1)", stage("1 - {}", show(p.p_x1_given_z1)), stage("{}", show(l1)))
        + "."
    )
    return [line], ["p(x = 0 | z) = 1 - p(x = 1 | z), for z = 0 and z = 1."]


def marginal_lines(ctx: Context) -> tuple[list[str], list[str]]:
    p, x = ctx.params, ctx.x
    l0, l1 = p.likelihoods()
    prior0, prior1 = show(1 - p.p_z1), show(p.p_z1)
    line = chain(
        f"p(x = {x})",
        stage("{} · {} + {} · {}", prior0, show(l0), prior1, show(l1)),
        stage("{} + {}", show((1 - p.p_z1) * l0), show(p.p_z1 * l1)),
        stage("{}", show(ctx.values["marginal"])),
    )
    symbolic = f"p(x = {x}) = p(z = 0) · p(x = {x} | z = 0) + p(z = 1) · p(x = {x} | z = 1)"
    return [line], [symbolic]


def log_marginal_line(ctx: Context) -> tuple[str, str]:
    x = ctx.x
    line = chain(f"ln p(x = {x})", stage("ln({})", show(ctx.values["marginal"])),
                 stage("{}", show(ctx.values["log_marginal"])))
    return line, f"ln p(x = {x}) is the natural log of the marginal p(x = {x})."


def posterior_line(ctx: Context) -> tuple[str, str]:
    p, x = ctx.params, ctx.x
    _, l1 = p.likelihoods()
    line = chain(
        f"p(z = 1 | x = {x}) = p(x = {x} | z = 1) · p(z = 1) / p(x = {x})",
        stage("{} · {} / {}", show(l1), show(p.p_z1), show(ctx.values["marginal"])),
        stage("{} / {}", show(l1 * p.p_z1), show(ctx.values["marginal"])),
        stage("{}", show(ctx.values["posterior"])),
    )
    return line, f"p(z = 1 | x = {x}) = p(x = {x} | z = 1) · p(z = 1) / p(x = {x})"


def _expectation(weights: tuple[Fraction, Fraction], arguments: tuple[Shown, Shown], logs: tuple[float, float],
                 ratios: tuple[Fraction, Fraction] | None, result: float) -> list[tuple[str, bool]]:
    """The stages of `w0 · ln(a0) + w1 · ln(a1)` down to its rounded value."""
    w0, w1 = show(weights[0]), show(weights[1])
    stages = [(f"{w0.wrapped} · ln({arguments[0].text}) + {w1.wrapped} · ln({arguments[1].text})",
               all(number.exact for number in (w0, w1, *arguments)))]
    if ratios is not None:
        stages.append(stage("{} · ln({}) + {} · ln({})", w0, show(ratios[0]), w1, show(ratios[1])))
    stages.append(stage("{} · {} + {} · {}", w0, show(logs[0]), w1, show(logs[1])))
    stages.append(stage("{} + {}", show(float(weights[0]) * logs[0]), show(float(weights[1]) * logs[1])))
    stages.append(stage("{}", show(result)))
    return stages


def _ratio_text(numerator: Fraction, denominator: Fraction) -> tuple[Shown, Fraction | None]:
    top, bottom = show(numerator), show(denominator)
    exact = top.exact and bottom.exact
    return Shown(f"{top.text}/{bottom.text}", exact), (numerator / denominator if exact else None)


def kl_stages(weights: tuple[Fraction, Fraction], against: tuple[Fraction, Fraction],
              result: float) -> list[tuple[str, bool]]:
    """The stages of `KL = w0 · ln(w0/a0) + w1 · ln(w1/a1)` down to its rounded value."""
    (text0, ratio0), (text1, ratio1) = (_ratio_text(w, a) for w, a in zip(weights, against, strict=True))
    exact_ratios = None if ratio0 is None or ratio1 is None else (ratio0, ratio1)
    logs = (math.log(weights[0] / against[0]), math.log(weights[1] / against[1]))
    return _expectation(weights, (text0, text1), logs, exact_ratios, result)


def _encoder_line(ctx: Context) -> str:
    x, q = ctx.x, ctx.q_z1
    return (chain(f"q(z = 0 | x = {x})", stage("1 - {}", show(q)), stage("{}", show(1 - q)))
            + f" and q(z = 1 | x = {x}) = {show(q).text}")


def elbo_lines(ctx: Context) -> tuple[list[str], list[str]]:
    p, x, q = ctx.params, ctx.x, ctx.q_z1
    l0, l1 = p.likelihoods()
    v = ctx.values
    weights = (1 - q, q)
    recon = chain(f"Reconstruction: E_q[ln p(x = {x} | z)]",
                  *_expectation(weights, (show(l0), show(l1)),
                                (math.log(l0), math.log(l1)), None, v["reconstruction"]))
    kl_prior = chain("KL to the prior: KL(q ‖ p(z))",
                     *kl_stages(weights, (1 - p.p_z1, p.p_z1), v["kl_prior"]))
    rounded = [float(show(v[key]).text) for key in ("reconstruction", "kl_prior", "elbo")]
    elbo = chain("ELBO = reconstruction - KL",
                 stage("{} - {}", show(v["reconstruction"]), show(v["kl_prior"])), stage("{}", show(v["elbo"])))
    if round(rounded[0] - rounded[1], 4) != rounded[2]:
        # The page's own numbers show this: rounded terms can be off by one in the last digit.
        elbo += (f" (the rounded terms give {rounded[0] - rounded[1]:.4f}; "
                 f"the exact value rounds to {show(v['elbo']).text})")
    symbolic = [
        f"q(z = 0 | x = {x}) = 1 - q(z = 1 | x = {x})",
        f"Reconstruction: E_q[ln p(x = {x} | z)] = q(z = 0 | x = {x}) · ln p(x = {x} | z = 0) "
        f"+ q(z = 1 | x = {x}) · ln p(x = {x} | z = 1)",
        f"KL to the prior: KL(q ‖ p(z)) = q(z = 0 | x = {x}) · ln(q(z = 0 | x = {x}) / p(z = 0)) "
        f"+ q(z = 1 | x = {x}) · ln(q(z = 1 | x = {x}) / p(z = 1))",
        "ELBO = reconstruction - KL(q ‖ p(z))",
    ]
    return [_encoder_line(ctx), recon, kl_prior, elbo], symbolic
