"""A template the service has never heard of, defined here and registered for
these tests only: listed, made (seeded and authored), solved and graded over
HTTP with no other file changed."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from api_helpers import assert_problem, submit
from openapi_spec_validator import validate

from problems import Exact, FollowThrough, InvalidParams, Mistake, Quantity, Step, Template, register, unregister
from problems.numbers import parse_probability, rational_text

COIN = "biased-coin"
TENTHS = tuple(Fraction(k, 10) for k in range(1, 10))
HALF = Fraction(1, 2)
_NUMBER_OR_STRING = {"oneOf": [{"type": "number"}, {"type": "string"}]}


@dataclass(frozen=True)
class CoinParams:
    """A coin is biased with probability `prior`; the biased one lands heads with probability `bias`."""

    prior: Fraction
    bias: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"prior": rational_text(self.prior), "bias": rational_text(self.bias)}


class BiasedCoin(Template[CoinParams]):
    """Two keys from two params of its own, nothing of the binary latent model."""

    id = COIN
    title = "Fair or biased?"
    description = "One toss lands heads: how likely was that, and how likely is the coin the biased one?"
    answer_keys = ("heads", "biased")
    difficulties = ("easy", "standard")
    mistakes = {"evidence_ignored": Mistake("evidence_ignored", frozenset({"biased"}),
                                            "This is p(biased) · p(heads | biased): divide it by p(heads).")}
    follow_through = {"biased": FollowThrough(("heads",), lambda params, given: float(
        params.prior * params.bias) / given["heads"])}
    params_schema = {
        "type": "object",
        "properties": {"prior": _NUMBER_OR_STRING, "bias": _NUMBER_OR_STRING},
        "required": ["bias", "prior"],
        "additionalProperties": False,
    }

    def draw(self, rng: random.Random, difficulty: str) -> CoinParams:
        prior = HALF if difficulty == "easy" else rng.choice(TENTHS)
        return CoinParams(prior, rng.choice(TENTHS))

    def valid(self, params: CoinParams) -> bool:
        return params.bias != HALF  # a fair "biased" coin tells nothing apart

    def parse_params(self, raw: Mapping[str, object]) -> CoinParams:
        errors = {name: "is not a param; the params are prior and bias" for name in set(raw) - {"prior", "bias"}}
        parsed = {}
        for name in ("prior", "bias"):
            try:
                parsed[name] = parse_probability(raw.get(name))
            except ValueError as error:
                errors[name] = str(error)
        if errors:
            raise InvalidParams(errors)
        return CoinParams(**parsed)

    def params_from_json(self, data: Mapping[str, Any]) -> CoinParams:
        return CoinParams(Fraction(data["prior"]), Fraction(data["bias"]))

    def solve(self, params: CoinParams) -> dict[str, Exact]:
        heads = params.prior * params.bias + (1 - params.prior) * HALF
        return {"heads": Exact.of(heads), "biased": Exact.of(params.prior * params.bias / heads)}

    def approximate(self, params: CoinParams) -> dict[str, float]:
        return {key: value.value() for key, value in self.solve(params).items()}

    def statement(self, params: CoinParams) -> str:
        return (f"A coin is biased with probability {rational_text(params.prior)}; the biased coin lands "
                f"heads with probability {rational_text(params.bias)}, the fair one with 1/2. It lands heads.")

    def prompts(self, params: CoinParams) -> dict[str, str]:
        return {"heads": "The probability of heads, p(heads).", "biased": "The posterior p(biased | heads)."}

    def steps(self, params: CoinParams) -> tuple[Step, ...]:
        exact = self.solve(params)
        return (
            Step("Total probability", "sum rule", ("heads",), (f"p(heads) = {exact['heads']}",),
                 ("p(heads) = p(biased) · p(heads | biased) + p(fair) · 1/2",)),
            Step("Bayes' rule", "Bayes' rule", ("biased",), (f"p(biased | heads) = {exact['biased']}",),
                 ("p(biased | heads) = p(biased) · p(heads | biased) / p(heads)",)),
        )

    def mistake_values(self, params: CoinParams) -> dict[str, dict[str, tuple[float, ...]]]:
        return {"heads": {}, "biased": {"evidence_ignored": (float(params.prior * params.bias),)}}

    def quantity(self, key: str, params: CoinParams) -> Quantity:
        return {"heads": Quantity("p(heads)"), "biased": Quantity("p(biased | heads)")}[key]


# p(heads) = 0.2 · 0.9 + 0.8 · 0.5 = 0.58; p(biased | heads) = 0.18 / 0.58 = 9/29.
AUTHORED = {"prior": "0.2", "bias": "0.9"}


@pytest.fixture(autouse=True)
def biased_coin():
    """The template is registered before the app (and its OpenAPI document) is made."""
    register(BiasedCoin())
    yield
    unregister(COIN)


@pytest.fixture
def authored(client, instructor):
    response = client.post("/api/v1/problems", json={"template": COIN, "params": AUTHORED}, headers=instructor)
    assert response.status_code == 201, response.json
    return response.json


def test_the_registered_template_is_listed_after_the_built_in_ones(client):
    listed = client.get("/api/v1/templates").json
    assert [t["id"] for t in listed] == ["elbo-gap", "tight-bound", "beta-elbo", "iwae-bound", COIN]
    assert listed[-1] == {"id": COIN, "title": "Fair or biased?", "description": BiasedCoin.description,
                         "answer_keys": ["heads", "biased"], "difficulties": ["easy", "standard"],
                         "mistakes": [{"code": "evidence_ignored", "keys": ["biased"],
                                       "explanation": BiasedCoin.mistakes["evidence_ignored"].explanation}]}


def test_the_document_describes_its_params_and_stays_valid(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    create = document["components"]["schemas"]["ProblemCreate"]["properties"]
    assert COIN in create["template"]["enum"]
    assert BiasedCoin.params_schema in create["params"]["anyOf"]


def test_a_seeded_problem_of_it_is_made_the_same_way_twice(client):
    body = {"template": COIN, "seed": 7, "difficulty": "easy"}
    first, second = (client.post("/api/v1/problems", json=body) for _ in range(2))
    assert first.status_code == 201, first.json
    assert first.json["params"] == second.json["params"]
    assert set(first.json["params"]) == {"prior", "bias"}
    assert first.json["params"]["prior"] == "0.5"
    assert [part["key"] for part in first.json["parts"]] == ["heads", "biased"]
    assert client.post("/api/v1/problems", json={"template": COIN}).json["difficulty"] == "standard"


def test_only_its_own_difficulties_are_accepted(client):
    response = client.post("/api/v1/problems", json={"template": COIN, "difficulty": "hard"})
    assert assert_problem(response, 422)["errors"] == {"difficulty": ["Must be one of: easy, standard."]}


def test_an_authored_problem_of_it_keeps_its_params(authored):
    assert authored["template"] == COIN
    assert authored["params"] == AUTHORED
    assert (authored["seed"], authored["difficulty"]) == (None, None)
    assert "lands heads" in authored["statement"]


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"prior": "1.5", "bias": "0.9"}, "prior", "must lie strictly between 0 and 1, got 1.5"),
        ({"prior": "0.2"}, "bias", "Missing data for required field."),
        ({**AUTHORED, "x": 1}, "x", "Unknown field."),
        ({"prior": [0.2], "bias": "0.9"}, "prior", "Must be a number or a string."),
    ],
)
def test_its_invalid_params_are_422_per_param(client, instructor, params, field, words):
    response = client.post("/api/v1/problems", json={"template": COIN, "params": params}, headers=instructor)
    assert assert_problem(response, 422)["errors"]["params"] == {field: [words]}


def test_the_binary_models_params_are_not_its_params(client, instructor):
    params = {"p_z1": "0.5", "p_x1_given_z0": "0.3", "p_x1_given_z1": "0.9", "x": 1, "q_z1": "0.6"}
    response = client.post("/api/v1/problems", json={"template": COIN, "params": params}, headers=instructor)
    assert set(assert_problem(response, 422)["errors"]["params"]) == {*params, "prior", "bias"}


def test_its_solution_is_exact(client, authored):
    solution = client.get(f"/api/v1/problems/{authored['id']}/solution").json
    assert {key: answer["exact"] for key, answer in solution["answers"].items()} == {"heads": "29/50",
                                                                                   "biased": "9/29"}
    assert [step["keys"] for step in solution["steps"]] == [["heads"], ["biased"]]


def test_a_correct_submission_scores_1(client, authored):
    graded = submit(client, authored, {"heads": "0.58", "biased": "9/29"}).json
    assert graded["score"] == 1.0
    assert [part["feedback"] for part in graded["parts"]] == ["Correct: p(heads) = 0.58.",
                                                              "Correct: p(biased | heads) = 9/29 ≈ 0.3103."]


def test_a_wrong_marginal_carried_into_the_posterior_is_follow_through(client, authored):
    heads, biased = submit(client, authored, {"heads": 0.6, "biased": 0.3}).json["parts"]
    assert (heads["status"], biased["status"]) == ("incorrect", "follow_through")
    assert "follows correctly from your p(heads) = 0.6, which is wrong" in biased["feedback"]


def test_its_own_named_mistake_is_diagnosed_and_explained(client, authored):
    biased = submit(client, authored, {"biased": 0.18}).json["parts"][1]
    assert (biased["status"], biased["misconceptions"]) == ("incorrect", ["evidence_ignored"])
    assert "divide it by p(heads)" in biased["feedback"]
