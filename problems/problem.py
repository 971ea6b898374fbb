"""A problem: a variant with its statement, exact solution, worked steps and mistakes.

Everything is computed once, when the problem is made; `to_json` keeps it so
that grading later needs no computer algebra at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exact import Exact
from .registry import template as find_template
from .steps import Step
from .template import TemplateParams
from .variants import mistake_values


@dataclass(frozen=True)
class Answer:
    """The exact answer to one key: sympy syntax, LaTeX, its float value and the student's notation."""

    key: str
    exact: str
    latex: str
    value: float
    text: str


@dataclass(frozen=True)
class Part:
    """One thing the student is asked for."""

    key: str
    prompt: str


@dataclass(frozen=True)
class Problem:
    """A ready-to-grade variant of a template."""

    template: str
    params: TemplateParams
    seed: int | None
    difficulty: str | None
    statement: str
    parts: tuple[Part, ...]
    answers: dict[str, Answer]
    steps: tuple[Step, ...]
    mistakes: dict[str, dict[str, tuple[float, ...]]]

    @property
    def answer_keys(self) -> tuple[str, ...]:
        """The keys asked, in the template's order."""
        return tuple(part.key for part in self.parts)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, enough to rebuild the problem without sympy."""
        return {
            "template": self.template,
            "params": self.params.to_json(),
            "seed": self.seed,
            "difficulty": self.difficulty,
            "statement": self.statement,
            "parts": [{"key": part.key, "prompt": part.prompt} for part in self.parts],
            "answers": {key: {"exact": a.exact, "latex": a.latex, "value": a.value} for key, a in self.answers.items()},
            # Apart from the answers, whose stored form the answer-key export shows as the contract has it.
            "answer_texts": {key: a.text for key, a in self.answers.items()},
            "steps": [step.to_json() for step in self.steps],
            "mistakes": {key: {code: list(values) for code, values in codes.items()}
                         for key, codes in self.mistakes.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        """The inverse of `to_json`."""
        return cls(
            template=data["template"],
            params=find_template(data["template"]).params_from_json(data["params"]),
            seed=data["seed"],
            difficulty=data["difficulty"],
            statement=data["statement"],
            parts=tuple(Part(part["key"], part["prompt"]) for part in data["parts"]),
            answers={key: Answer(key, a["exact"], a["latex"], a["value"], _text(data, key, a["exact"]))
                     for key, a in data["answers"].items()},
            steps=tuple(Step.from_json(step) for step in data["steps"]),
            mistakes={key: {code: tuple(values) for code, values in codes.items()}
                      for key, codes in data["mistakes"].items()},
        )


def _text(data: dict[str, Any], key: str, exact: str) -> str:
    # Problems stored before texts were kept have only `Exact` answers: their text is read from `exact`.
    texts = data.get("answer_texts")
    return texts[key] if texts is not None else Exact.parse(exact).text()


def make_problem(template_id: str, params: TemplateParams, seed: int | None = None,
                 difficulty: str | None = None) -> Problem:
    """Solve a variant fully: exact answers, worked steps, statement, mistakes."""
    found = find_template(template_id)
    exact = found.solve(params)
    answers = {key: Answer(key, str(value), value.latex(), value.value(), value.text()) for key, value in exact.items()}
    all_prompts = found.prompts(params)
    return Problem(
        template=template_id,
        params=params,
        seed=seed,
        difficulty=difficulty,
        statement=found.statement(params),
        parts=tuple(Part(key, all_prompts[key]) for key in found.answer_keys),
        answers=answers,
        steps=found.steps(params),
        mistakes=mistake_values(template_id, params),
    )
