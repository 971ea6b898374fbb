"""The exact solution of a variant: every key as an exact value."""

from __future__ import annotations

from collections.abc import Mapping

from .registry import template as find_template
from .template import ExactValue, TemplateParams


def solve(template_id: str, params: TemplateParams) -> Mapping[str, ExactValue]:
    """Each of the template's keys, exactly (an `Exact` where the value has that form), in the template's order.

    A value that is exactly zero (the gap of the tight bound) is written 0.
    """
    return find_template(template_id).solve(params)
