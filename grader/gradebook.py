"""The grade book of a problem set: per student, per item, the best score.

Late submissions are graded and kept, but count toward the book only when
the set's policy says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Attempt:
    """One graded submission, as the grade book sees it."""

    score: float
    submitted_at: datetime
    late: bool


@dataclass(frozen=True)
class ItemGrade:
    """A student's standing on one item."""

    item: int
    best_score: float | None  # None: nothing that counts was submitted
    attempts: int
    last_submitted_at: datetime | None


@dataclass(frozen=True)
class StudentGrades:
    """A student's row of the grade book."""

    student_id: str
    items: tuple[ItemGrade, ...]

    @property
    def total(self) -> float:
        """The sum of the best scores, each item out of 1."""
        return sum(grade.best_score or 0.0 for grade in self.items)


def item_grade(item: int, attempts: Iterable[Attempt], count_late: bool) -> ItemGrade:
    """Best counted score, attempts used and the last submission time of one item."""
    attempts = list(attempts)
    counted = [attempt.score for attempt in attempts if count_late or not attempt.late]
    return ItemGrade(
        item=item,
        best_score=max(counted) if counted else None,
        attempts=len(attempts),
        last_submitted_at=max((attempt.submitted_at for attempt in attempts), default=None),
    )


def grade_book(students: Iterable[str], item_count: int,
               attempts: Mapping[tuple[str, int], Iterable[Attempt]], count_late: bool = False) -> tuple[StudentGrades, ...]:
    """One row per student, in roster order, one grade per item."""
    return tuple(
        StudentGrades(student, tuple(item_grade(item, attempts.get((student, item), ()), count_late)
                                     for item in range(item_count)))
        for student in students
    )
