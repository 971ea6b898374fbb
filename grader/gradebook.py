"""The grade book of a problem set: per student, per item, the best score.

Late submissions are graded and kept, but count toward the book only when
the set's policy says so.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
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


@dataclass(frozen=True)
class GradeBook:
    """A set's grade book: a row per student in roster order."""

    item_count: int
    count_late: bool
    rows: tuple[StudentGrades, ...]

    @property
    def max_total(self) -> float:
        return float(self.item_count)


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


def grade_book(students: Iterable[str], item_count: int, attempts: Mapping[tuple[str, int], Iterable[Attempt]],
               count_late: bool = False) -> tuple[StudentGrades, ...]:
    """One row per student, in roster order, one grade per item."""
    return tuple(
        StudentGrades(student, tuple(item_grade(item, attempts.get((student, item), ()), count_late)
                                     for item in range(item_count)))
        for student in students
    )


def book_of(students: Iterable[str], item_count: int, submissions: Iterable[tuple[str, int, Attempt]],
            count_late: bool) -> GradeBook:
    """The grade book of a roster from its submissions, each as (student id, item, attempt)."""
    attempts: dict[tuple[str, int], list[Attempt]] = defaultdict(list)
    for student, item, attempt in submissions:
        attempts[(student, item)].append(attempt)
    return GradeBook(item_count, count_late, grade_book(students, item_count, attempts, count_late))


# A spreadsheet opening the CSV runs a cell starting with one of these as a
# formula (OWASP "CSV injection"); student ids are the only text cells.
_FORMULA_STARTS = ("=", "+", "-", "@")


def spreadsheet_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ' when it would start a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def number_text(value: float) -> str:
    """Up to 4 decimals, no trailing zeros: 1, 0.875, 0.3333."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def csv_text(book: GradeBook) -> str:
    """``student_id,item_1_score,item_1_attempts,…,total`` and a row per
    student (items numbered from 1), an empty cell where no score counts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["student_id"]
    for item in range(1, book.item_count + 1):
        header += [f"item_{item}_score", f"item_{item}_attempts"]
    writer.writerow([*header, "total"])
    for row in book.rows:
        cells = [spreadsheet_text(row.student_id)]
        for grade in row.items:
            cells += ["" if grade.best_score is None else number_text(grade.best_score), str(grade.attempts)]
        writer.writerow([*cells, number_text(row.total)])
    return out.getvalue()
