"""Variants of a template: seeded draws, authored params, gradeability and mistake values.

A seeded variant is drawn from `random.Random(seed)` and redrawn from the same
generator until it is gradeable, so the same (template, seed, difficulty)
gives the same params everywhere and every time.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from functools import lru_cache
from itertools import combinations
from typing import Any

from .errors import NoGradeableVariant
from .registry import template as find_template
from .template import DEFAULT_DIFFICULTY, Template, TemplateParams

# The tolerance every seeded variant must be gradeable under (contract §6 defaults).
DEFAULT_ABS_TOL = 0.0005
DEFAULT_REL_TOL = 0.001
# Students round to 4 decimals: keep values apart by the tolerance plus both roundings.
ROUNDING_MARGIN = 2 * 0.00005
MAX_REDRAWS = 10_000


def generate_params(template_id: str, seed: int, difficulty: str = DEFAULT_DIFFICULTY) -> Any:
    """The variant for this seed and difficulty: the same on every machine."""
    found = find_template(template_id)
    found.check_difficulty(difficulty)
    rng = random.Random(seed)
    for _ in range(MAX_REDRAWS):
        params = found.draw(rng, difficulty)
        if gradeable(template_id, params):
            return params
    raise NoGradeableVariant(template_id, seed, difficulty)


def _close(a: float, b: float) -> bool:
    """Within the default tolerance of each other (either taken as the expected value),
    or near enough that answers rounded to 4 decimals could be."""
    return abs(a - b) <= DEFAULT_ABS_TOL + ROUNDING_MARGIN + DEFAULT_REL_TOL * max(abs(a), abs(b))


def gradeable(template_id: str, params: TemplateParams) -> bool:
    """Whether the variant is valid and no two keys, and no key and a mistake's value for it, can be confused."""
    found = find_template(template_id)
    if not found.valid(params):
        return False
    floats = found.approximate(params)
    for a, b in combinations(found.answer_keys, 2):
        if frozenset({a, b}) not in found.identities and _close(floats[a], floats[b]):
            return False
    for key, codes in _mistake_values(found, params).items():
        for mistaken in codes.values():
            if any(_close(value, floats[key]) for value in mistaken):
                return False
    return True


def mistake_values(template_id: str, params: TemplateParams) -> dict[str, dict[str, tuple[float, ...]]]:
    """For each key, the value(s) each applicable mistake of the template gives for it."""
    # A copy: callers may keep or change what they get; the cache must not change.
    return {key: dict(codes) for key, codes in _mistake_values(find_template(template_id), params).items()}


@lru_cache(maxsize=1024)  # generation checks a variant's mistakes, then the problem keeps them
def _mistake_values(found: Template[Any], params: TemplateParams) -> dict[str, dict[str, tuple[float, ...]]]:
    return found.mistake_values(params)


def variant_seed(set_seed: int, student_id: str, item_index: int) -> int:
    """The seed of one student's variant of one item of a problem set.

    It depends only on these three, so a student's variant does not change
    with who else is on the roster; SHA-256 makes it the same everywhere.
    """
    material = f"elbo-grader/v1\x1f{set_seed}\x1f{student_id}\x1f{item_index}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big") >> 1


def parse_params(template_id: str, raw: Mapping[str, object]) -> Any:
    """Instructor-authored params, validated by the template; InvalidParams names each bad one."""
    return find_template(template_id).parse_params(raw)
