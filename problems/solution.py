"""The exact solution of a variant: every key as an `Exact` value."""

from __future__ import annotations

from .exact import Exact
from .model import Params, evaluate
from .templates import template as find_template


def solve(template_id: str, params: Params) -> dict[str, Exact]:
    """Each of the template's keys, exactly, in the template's order.

    A value that is exactly zero (the gap of the tight bound) is written 0.
    """
    found = find_template(template_id)
    values = evaluate(template_id, params, Exact.ln)
    return {key: Exact.of(values[key]).simplified() for key in found.answer_keys}
