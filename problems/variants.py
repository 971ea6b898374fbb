"""Variants of a template: seeded draws, authored params, and gradeability.

A seeded variant is drawn from `random.Random(seed)` and redrawn from the same
generator until it is gradeable, so the same (template, seed, difficulty)
gives the same params everywhere and every time.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from fractions import Fraction
from itertools import combinations

from . import model
from .errors import InvalidParams, NoGradeableVariant
from .mistakes import mistake_values
from .model import ELBO_GAP, Params
from .numbers import parse_rational
from .templates import DEFAULT_DIFFICULTY, check_difficulty
from .templates import template as find_template

# The tolerance every seeded variant must be gradeable under (contract §6 defaults).
DEFAULT_ABS_TOL = 0.0005
DEFAULT_REL_TOL = 0.001
# Students round to 4 decimals: keep values apart by the tolerance plus both roundings.
ROUNDING_MARGIN = 2 * 0.00005
MAX_REDRAWS = 10_000

TENTHS = tuple(Fraction(k, 10) for k in range(1, 10))
# Two-decimal values that are not also one-decimal values.
HUNDREDTHS = tuple(Fraction(k, 100) for k in range(1, 100) if k % 10)
HALF = Fraction(1, 2)


def generate_params(template_id: str, seed: int, difficulty: str = DEFAULT_DIFFICULTY) -> Params:
    """The variant for this seed and difficulty: the same on every machine."""
    found = find_template(template_id)
    check_difficulty(found, difficulty)
    rng = random.Random(seed)
    for _ in range(MAX_REDRAWS):
        params = _draw(rng, difficulty, found.needs_encoder)
        if gradeable(template_id, params):
            return params
    raise NoGradeableVariant(template_id, seed, difficulty)


def _draw(rng: random.Random, difficulty: str, needs_encoder: bool) -> Params:
    values = HUNDREDTHS if difficulty == "hard" else TENTHS
    easy = difficulty == "easy"
    p_z1 = HALF if easy else rng.choice(values)
    p_x1_given_z0 = rng.choice(values)
    p_x1_given_z1 = rng.choice(values)
    x = 1 if easy else rng.choice((0, 1))
    q_z1 = rng.choice(values) if needs_encoder else None
    return Params(p_z1, p_x1_given_z0, p_x1_given_z1, x, q_z1)


def _close(a: float, b: float) -> bool:
    """Within the default tolerance of each other (either taken as the expected value),
    or near enough that answers rounded to 4 decimals could be."""
    return abs(a - b) <= DEFAULT_ABS_TOL + ROUNDING_MARGIN + DEFAULT_REL_TOL * max(abs(a), abs(b))


def gradeable(template_id: str, params: Params) -> bool:
    """Whether no two keys, and no key and a mistake's value for it, can be confused."""
    found = find_template(template_id)
    if params.p_x1_given_z0 == params.p_x1_given_z1:
        return False
    likelihood_z0, likelihood_z1 = params.likelihoods()
    exact_posterior = model.posterior(params.p_z1, likelihood_z1, model.marginal(params.p_z1, likelihood_z0, likelihood_z1))
    if template_id == ELBO_GAP and params.q_z1 == exact_posterior:
        return False
    values = model.evaluate(template_id, params.as_floats(), math.log)
    floats = {key: float(values[key]) for key in found.answer_keys}
    for a, b in combinations(found.answer_keys, 2):
        if frozenset({a, b}) not in found.identities and _close(floats[a], floats[b]):
            return False
    for key, codes in mistake_values(template_id, params).items():
        for mistaken in codes.values():
            if any(_close(value, floats[key]) for value in mistaken):
                return False
    return True


def variant_seed(set_seed: int, student_id: str, item_index: int) -> int:
    """The seed of one student's variant of one item of a problem set.

    It depends only on these three, so a student's variant does not change
    with who else is on the roster; SHA-256 makes it the same everywhere.
    """
    material = f"elbo-grader/v1\x1f{set_seed}\x1f{student_id}\x1f{item_index}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big") >> 1


PROBABILITIES = ("p_z1", "p_x1_given_z0", "p_x1_given_z1")


def parse_params(template_id: str, raw: Mapping[str, object]) -> Params:
    """Instructor-authored params, validated; InvalidParams names each bad one."""
    found = find_template(template_id)
    errors: dict[str, str] = {}
    parsed: dict[str, Fraction] = {}
    expected = set(PROBABILITIES) | {"x", "q_z1"}
    for name in sorted(set(raw) - expected):
        errors[name] = f"is not a param; the params are {', '.join(PROBABILITIES)}, x and q_z1"
    for name in PROBABILITIES + (("q_z1",) if found.needs_encoder else ()):
        if raw.get(name) is None:
            errors[name] = "is required: a probability strictly between 0 and 1, such as \"0.3\" or \"1/3\""
            continue
        try:
            value = parse_rational(raw[name])
        except ValueError as error:
            errors[name] = f"{error}"
            continue
        if not 0 < value < 1:
            errors[name] = f"must lie strictly between 0 and 1, got {raw[name]}"
            continue
        parsed[name] = value
    if not found.needs_encoder and raw.get("q_z1") is not None:
        errors["q_z1"] = f"must be null in {template_id}: the encoder is set to the true posterior"
    x = raw.get("x")
    if isinstance(x, bool) or x not in (0, 1):
        errors["x"] = "must be the integer 0 or 1"
    if errors:
        raise InvalidParams(errors)
    return Params(parsed["p_z1"], parsed["p_x1_given_z0"], parsed["p_x1_given_z1"], int(x), parsed.get("q_z1"))
