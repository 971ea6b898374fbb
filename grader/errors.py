"""The exceptions the grader package raises."""

from __future__ import annotations

from collections.abc import Mapping


class GraderError(Exception):
    """Base of every error the grader raises."""


class AnswerError(GraderError):
    """One answer cannot be read: what is wrong and, when it is about a place, where.

    ``message`` is a short sentence for the student that already names the
    position (e.g. "implicit multiplication at 4: write 0.4*ln(0.8)");
    ``position`` is that 1-based character column, or None.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __repr__(self) -> str:
        return f"AnswerError({self.message!r}, {self.position!r})"


class UnknownAnswerKeys(GraderError):
    """A submission names answer keys the problem does not ask."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        super().__init__("unknown answer keys: " + ", ".join(keys))
        self.keys = tuple(keys)


class UnreadableAnswers(GraderError):
    """Some answers of a submission cannot be read; ``errors`` maps each key to its AnswerError."""

    def __init__(self, errors: Mapping[str, AnswerError]) -> None:
        self.errors = dict(errors)
        super().__init__(
            "unreadable answers: " + "; ".join(f"{key}: {err.message}" for key, err in self.errors.items())
        )


class InvalidPolicy(GraderError):
    """A grading policy with bad fields; ``errors`` maps each field to what is allowed."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("invalid policy: " + "; ".join(f"{name} {message}" for name, message in self.errors.items()))
