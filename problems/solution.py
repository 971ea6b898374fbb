"""The exact solution of a variant: every key as an `Exact` value."""

from __future__ import annotations

from .exact import Exact
from .registry import template as find_template
from .template import TemplateParams


def solve(template_id: str, params: TemplateParams) -> dict[str, Exact]:
    """Each of the template's keys, exactly, in the template's order.

    A value that is exactly zero (the gap of the tight bound) is written 0.
    """
    return find_template(template_id).solve(params)
