"""Authored params: validated field by field, with a message that names the field."""

from __future__ import annotations

from fractions import Fraction

import pytest

from problems import InvalidParams, make_problem, parse_params

GOOD = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}


def test_strings_numbers_and_fractions_are_read_exactly():
    params = parse_params("elbo-gap", {**GOOD, "p_z1": 0.1, "q_z1": "1/3"})
    assert params.p_z1 == Fraction(1, 10)
    assert params.q_z1 == Fraction(1, 3)
    assert params.to_json()["q_z1"] == "1/3"
    assert params.to_json()["p_z1"] == "0.1"


@pytest.mark.parametrize(
    ("template", "changes", "field", "words"),
    [
        ("elbo-gap", {"p_z1": "0"}, "p_z1", "strictly between 0 and 1"),
        ("elbo-gap", {"p_z1": "1"}, "p_z1", "strictly between 0 and 1"),
        ("elbo-gap", {"p_x1_given_z0": "1.5"}, "p_x1_given_z0", "strictly between 0 and 1"),
        ("elbo-gap", {"p_x1_given_z1": "-0.2"}, "p_x1_given_z1", "not a decimal"),
        ("elbo-gap", {"p_x1_given_z1": "abc"}, "p_x1_given_z1", "not a decimal"),
        ("elbo-gap", {"p_z1": "1/0"}, "p_z1", "zero denominator"),
        ("elbo-gap", {"p_z1": True}, "p_z1", "must be a number"),
        ("elbo-gap", {"p_z1": "0." + "1" * 40}, "p_z1", "longer than"),
        ("elbo-gap", {"p_z1": "1/3333333333"}, "p_z1", "denominator"),
        ("elbo-gap", {"x": 2}, "x", "0 or 1"),
        ("elbo-gap", {"x": True}, "x", "0 or 1"),
        ("elbo-gap", {"x": "1"}, "x", "0 or 1"),
        ("elbo-gap", {"q_z1": None}, "q_z1", "required"),
        ("tight-bound", {"q_z1": "0.6"}, "q_z1", "must be null"),
        ("elbo-gap", {"bogus": "0.3"}, "bogus", "not a param"),
    ],
)
def test_bad_field_is_named_with_what_is_allowed(template, changes, field, words):
    raw = {**GOOD, **changes}
    if template == "tight-bound" and "q_z1" not in changes:
        raw["q_z1"] = None
    with pytest.raises(InvalidParams) as caught:
        parse_params(template, raw)
    assert field in caught.value.errors
    assert words in caught.value.errors[field]


def test_missing_fields_are_each_reported():
    with pytest.raises(InvalidParams) as caught:
        parse_params("elbo-gap", {})
    assert set(caught.value.errors) == {"p_z1", "p_x1_given_z0", "p_x1_given_z1", "x", "q_z1"}


def test_degenerate_authored_variant_still_solves():
    # Equal decoder values and q equal to the posterior: allowed when authored.
    params = parse_params("elbo-gap", {**GOOD, "p_x1_given_z0": "0.9", "q_z1": "0.5"})
    problem = make_problem("elbo-gap", params)
    assert problem.answers["gap"].exact == "0"
    assert problem.answers["kl_posterior"].exact == "0"
