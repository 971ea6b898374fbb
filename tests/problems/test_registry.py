"""The template registry: what is registered is what the engine offers, live."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from problems import (
    TEMPLATES,
    DuplicateTemplate,
    UnknownDifficulty,
    UnknownTemplate,
    generate_params,
    make_problem,
    mistake_values,
    parse_params,
    register,
    solve,
    unregister,
)
from problems.elbo_gap import ElboGap
from problems.model import Params
from problems.registry import template
from problems.sets import Item, student_problem


class EasyOnlyGap(ElboGap):
    """The elbo-gap exercise under another id, at the easy difficulty only, asking three keys."""

    id = "easy-gap"
    difficulties = ("easy",)
    answer_keys = ("marginal", "posterior", "elbo")


@pytest.fixture
def easy_gap():
    found = register(EasyOnlyGap())
    yield found
    unregister(found.id)


def test_the_built_in_templates_are_registered_in_order():
    assert list(TEMPLATES) == ["elbo-gap", "tight-bound", "beta-elbo", "iwae-bound"]
    assert all(template(id).id == id for id in TEMPLATES)


def test_templates_is_a_read_only_view():
    with pytest.raises(TypeError):
        TEMPLATES["x"] = TEMPLATES["elbo-gap"]


def test_a_registered_template_is_offered_until_unregistered(easy_gap):
    assert list(TEMPLATES)[-1] == "easy-gap" and template("easy-gap") is easy_gap
    unregister("easy-gap")
    assert "easy-gap" not in TEMPLATES
    with pytest.raises(UnknownTemplate):
        template("easy-gap")
    register(easy_gap)  # for the fixture to take away again


def test_an_id_is_registered_once(easy_gap):
    with pytest.raises(DuplicateTemplate):
        register(EasyOnlyGap())


def test_unregistering_an_unknown_id_is_refused():
    with pytest.raises(UnknownTemplate):
        unregister("no-such")


def test_the_engine_reads_keys_and_difficulties_from_the_template(easy_gap):
    params = generate_params("easy-gap", 5, "easy")
    assert params == generate_params("elbo-gap", 5, "easy")  # the same draws and rules
    problem = make_problem("easy-gap", params, 5, "easy")
    assert problem.answer_keys == ("marginal", "posterior", "elbo")
    assert list(solve("easy-gap", params)) == ["marginal", "posterior", "elbo"]
    assert set(mistake_values("easy-gap", params)) == {"marginal", "posterior", "elbo"}
    with pytest.raises(UnknownDifficulty):
        generate_params("easy-gap", 5, "standard")
    with pytest.raises(UnknownDifficulty):
        Item("easy-gap", "standard")


def test_a_problem_of_a_registered_template_round_trips_through_json(easy_gap):
    problem = student_problem(2026, "alice", 0, Item("easy-gap", "easy"))
    assert type(problem).from_json(problem.to_json()) == problem


def test_authored_params_are_read_by_the_template():
    raw = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}
    assert parse_params("elbo-gap", raw) == Params(Fraction(1, 2), Fraction(3, 10), Fraction(9, 10), 1,
                                                  Fraction(3, 5))
    with pytest.raises(UnknownTemplate):
        parse_params("no-such", raw)


def test_a_template_draws_only_from_the_generator_it_is_given():
    found = template("tight-bound")
    assert found.draw(random.Random(3), "hard") == found.draw(random.Random(3), "hard")
