"""The worked solution, step by step, in the practice page's order.

Each step knows its rule and the keys it covers, and renders itself twice:
with the variant's numbers (results to 4 decimals, `≈` where rounded) and
symbolically, for assignments whose policy hides numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from . import model
from .model import TIGHT_BOUND, Params
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
class _Context:
    """What every step needs: the params, the observation and the key values."""

    template: str
    params: Params
    values: dict  # key -> Fraction (marginal, posterior) or float

    @property
    def x(self) -> int:
        return self.params.x

    @property
    def q_z1(self) -> Fraction:
        return model.encoder(self.template, self.params, self.values["posterior"])


def _complement_lines(ctx: _Context) -> tuple[list[str], list[str]]:
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


def _marginal_lines(ctx: _Context) -> tuple[list[str], list[str]]:
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


def _log_marginal_line(ctx: _Context) -> tuple[str, str]:
    x = ctx.x
    line = chain(f"ln p(x = {x})", stage("ln({})", show(ctx.values["marginal"])),
                 stage("{}", show(ctx.values["log_marginal"])))
    return line, f"ln p(x = {x}) is the natural log of the marginal p(x = {x})."


def _posterior_line(ctx: _Context) -> tuple[str, str]:
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


def _kl_stages(weights: tuple[Fraction, Fraction], against: tuple[Fraction, Fraction], result: float) -> list[tuple[str, bool]]:
    texts, ratios = zip(*(_ratio_text(w, a) for w, a in zip(weights, against)))
    exact_ratios = None if None in ratios else (ratios[0], ratios[1])
    logs = tuple(math.log(w / a) for w, a in zip(weights, against))
    return _expectation(weights, texts, logs, exact_ratios, result)


def _encoder_line(ctx: _Context) -> str:
    x, q = ctx.x, ctx.q_z1
    return (chain(f"q(z = 0 | x = {x})", stage("1 - {}", show(q)), stage("{}", show(1 - q)))
            + f" and q(z = 1 | x = {x}) = {show(q).text}")


def _elbo_lines(ctx: _Context) -> tuple[list[str], list[str]]:
    p, x, q = ctx.params, ctx.x, ctx.q_z1
    l0, l1 = p.likelihoods()
    v = ctx.values
    weights = (1 - q, q)
    recon = chain(f"Reconstruction: E_q[ln p(x = {x} | z)]",
                  *_expectation(weights, (show(l0), show(l1)),
                                (math.log(l0), math.log(l1)), None, v["reconstruction"]))
    kl_prior = chain("KL to the prior: KL(q ‖ p(z))",
                     *_kl_stages(weights, (1 - p.p_z1, p.p_z1), v["kl_prior"]))
    rounded = [float(show(v[key]).text) for key in ("reconstruction", "kl_prior", "elbo")]
    elbo = chain("ELBO = reconstruction - KL",
                 stage("{} - {}", show(v["reconstruction"]), show(v["kl_prior"])), stage("{}", show(v["elbo"])))
    if round(rounded[0] - rounded[1], 4) != rounded[2]:
        # The page's own numbers show this: rounded terms can be off by one in the last digit.
        elbo += f" (the rounded terms give {rounded[0] - rounded[1]:.4f}; the exact value rounds to {show(v['elbo']).text})"
    symbolic = [
        f"q(z = 0 | x = {x}) = 1 - q(z = 1 | x = {x})",
        f"Reconstruction: E_q[ln p(x = {x} | z)] = q(z = 0 | x = {x}) · ln p(x = {x} | z = 0) + q(z = 1 | x = {x}) · ln p(x = {x} | z = 1)",
        f"KL to the prior: KL(q ‖ p(z)) = q(z = 0 | x = {x}) · ln(q(z = 0 | x = {x}) / p(z = 0)) + q(z = 1 | x = {x}) · ln(q(z = 1 | x = {x}) / p(z = 1))",
        "ELBO = reconstruction - KL(q ‖ p(z))",
    ]
    return [_encoder_line(ctx), recon, kl_prior, elbo], symbolic


def _gap_lines(ctx: _Context) -> tuple[list[str], list[str]]:
    x, q, v = ctx.x, ctx.q_z1, ctx.values
    posterior = v["posterior"]
    gap = chain(f"Gap: ln p(x = {x}) - ELBO",
                stage("{} - {}", show(v["log_marginal"]), show(v["elbo"])), stage("{}", show(v["gap"])))
    kl_posterior = chain(f"KL(q ‖ p(z | x = {x}))",
                         *_kl_stages((1 - q, q), (1 - posterior, posterior), v["kl_posterior"]))
    check = (f"The two agree: ln p(x) - ELBO = KL(q ‖ p(z | x)), the gap identity, "
             f"so the bound falls short of ln p(x = {x}) by exactly how far q is from the true posterior.")
    symbolic = [
        f"Gap: ln p(x = {x}) - ELBO",
        f"KL(q ‖ p(z | x = {x})) = q(z = 0 | x = {x}) · ln(q(z = 0 | x = {x}) / p(z = 0 | x = {x})) "
        f"+ q(z = 1 | x = {x}) · ln(q(z = 1 | x = {x}) / p(z = 1 | x = {x}))",
        "The gap identity: ln p(x) - ELBO = KL(q ‖ p(z | x)), so the two answers must agree.",
    ]
    return [gap, kl_posterior, check], symbolic


def _tight_lines(ctx: _Context) -> tuple[list[str], list[str]]:
    x = ctx.x
    log_line, log_symbolic = _log_marginal_line(ctx)
    gap = (f"Gap: ln p(x = {x}) - ELBO = 0 exactly. With q equal to the posterior, KL(q ‖ p(z | x = {x})) = 0, "
           f"so the ELBO equals ln p(x = {x}): the bound is tight.")
    symbolic = f"Gap: ln p(x = {x}) - ELBO = KL(q ‖ p(z | x = {x})), which is 0 when q is the posterior."
    return [log_line, gap], [log_symbolic, symbolic]


def worked_steps(template_id: str, params: Params) -> tuple[Step, ...]:
    """The steps of the template's worked solution for this variant."""
    # With float logs the marginal and the posterior stay exact rationals.
    ctx = _Context(template_id, params, model.evaluate(template_id, params, math.log))
    complement, complement_symbolic = _complement_lines(ctx)
    marginal, marginal_symbolic = _marginal_lines(ctx)
    posterior, posterior_symbolic = _posterior_line(ctx)
    elbo, elbo_symbolic = _elbo_lines(ctx)
    if template_id == TIGHT_BOUND:
        encoder = f"Set the encoder to it: q(z = 1 | x = {ctx.x}) = {show(ctx.q_z1).text}."
        tight, tight_symbolic = _tight_lines(ctx)
        return (
            Step("Set the encoder to the true posterior", "Bayes' rule", ("posterior",),
                 tuple(complement + marginal + [posterior, encoder]),
                 tuple(complement_symbolic + marginal_symbolic + [posterior_symbolic, f"q(z | x = {ctx.x}) = p(z | x = {ctx.x})"])),
            Step("Recompute the ELBO", "ELBO = reconstruction - KL to the prior",
                 ("reconstruction", "kl_prior", "elbo"), tuple(elbo), tuple(elbo_symbolic)),
            Step("The bound is tight", "gap identity", ("log_marginal", "gap"), tuple(tight), tuple(tight_symbolic)),
        )
    log_line, log_symbolic = _log_marginal_line(ctx)
    gap, gap_symbolic = _gap_lines(ctx)
    return (
        Step("Marginal likelihood and its log", "sum rule", ("marginal", "log_marginal"),
             tuple(complement + marginal + [log_line]), tuple(complement_symbolic + marginal_symbolic + [log_symbolic])),
        Step("Posterior by Bayes' rule", "Bayes' rule", ("posterior",), (posterior,), (posterior_symbolic,)),
        Step("ELBO for the given encoder", "ELBO = reconstruction - KL to the prior",
             ("reconstruction", "kl_prior", "elbo"), tuple(elbo), tuple(elbo_symbolic)),
        Step("The gap and the identity check", "gap identity", ("gap", "kl_posterior"), tuple(gap), tuple(gap_symbolic)),
    )
