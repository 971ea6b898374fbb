"""Follow-through: the value a part should have, given the student's own inputs.

Each template says which keys a part is computed from and by what formula
(`Template.follow_through`); here they are applied to the student's answers
in place of the exact ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from problems import Template, TemplateParams


def carried_value(found: Template[Any], key: str, params: TemplateParams, given: Mapping[str, float]) -> float | None:
    """The key's value computed from the student's answers to its inputs.

    None when the key follows from nothing, an input is unanswered or the
    student's inputs leave the formula undefined (a log of a negative
    marginal, say) or beyond floats (a tiny marginal divided into the
    joint): an infinite value would match any answer within "tolerance".
    """
    carry = found.follow_through.get(key)
    if carry is None or any(name not in given for name in carry.inputs):
        return None
    try:
        value = float(carry.value(params, given))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if math.isfinite(value) else None
