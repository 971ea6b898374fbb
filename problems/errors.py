"""Errors of the problem engine. Only api/ turns them into HTTP responses."""

from __future__ import annotations

from collections.abc import Mapping


class ProblemError(Exception):
    """Base of every error the problem engine raises."""


class UnknownTemplate(ProblemError):
    """No template has this id."""

    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(f"unknown template {template!r}")


class DuplicateTemplate(ProblemError):
    """A template with this id is registered already."""

    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(f"a template {template!r} is registered already")


class UnknownDifficulty(ProblemError):
    """The template has no such difficulty."""

    def __init__(self, difficulty: str, allowed: tuple[str, ...]) -> None:
        self.difficulty = difficulty
        self.allowed = allowed
        super().__init__(f"unknown difficulty {difficulty!r}: use one of {', '.join(allowed)}")


class InvalidParams(ProblemError):
    """Authored params that cannot make a problem; one message per bad param."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class NoGradeableVariant(ProblemError):
    """The generator found no gradeable variant within its bound of redraws."""

    def __init__(self, template: str, seed: int, difficulty: str) -> None:
        super().__init__(f"no gradeable variant of {template} for seed {seed} at {difficulty}")
