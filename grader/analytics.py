"""Class analytics of a problem set (docs/api.md §14): per item, how the
roster did, from the grade book and counts the database aggregates.

Best scores are the grade book's own (late work counts only with the set's
``count_late``); a student whose submissions all fail to count has attempted
the item but has no best score, so is absent from the mean and histogram.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .gradebook import GradeBook
from .result import STATUSES

BINS = 10
# Lower edges of bins 1..9 as the floats i/10, so a score lands in bin i
# exactly when i/10 ≤ s < (i+1)/10; 1.0 falls in the last bin.
_EDGES = tuple(i / BINS for i in range(1, BINS))


@dataclass(frozen=True)
class ItemAnalytics:
    item: int
    template: str
    attempted: int
    mean_best_score: float | None  # None: no attempting student has a score that counts
    score_histogram: tuple[int, ...]
    parts: dict[str, dict[str, int]]  # key (template order) → status (STATUSES order) → students
    misconceptions: dict[str, int]  # code → students who showed it at least once; most shown first


@dataclass(frozen=True)
class ClassAnalytics:
    students: int
    items: tuple[ItemAnalytics, ...]


def histogram(scores: Iterable[float]) -> tuple[int, ...]:
    """Counts of scores in [0, 1] over ten equal bins."""
    counts = [0] * BINS
    for score in scores:
        counts[bisect_right(_EDGES, score)] += 1
    return tuple(counts)


def class_analytics(book: GradeBook, items: Sequence[tuple[str, Sequence[str]]],
                    statuses: Mapping[tuple[int, str, str], int],
                    misconceptions: Mapping[tuple[int, str], int]) -> ClassAnalytics:
    """Every item's figures. ``items``: (template, its keys) in item order;
    ``statuses``: (item, key, status) → students whose latest submission has
    it; ``misconceptions``: (item, code) → students who showed it."""

    def item_analytics(item: int, template: str, keys: Sequence[str]) -> ItemAnalytics:
        attempted = [row.items[item] for row in book.rows if row.items[item].attempts]
        scores = [grade.best_score for grade in attempted if grade.best_score is not None]
        shown = sorted(((code, n) for (of, code), n in misconceptions.items() if of == item),
                       key=lambda entry: (-entry[1], entry[0]))
        return ItemAnalytics(
            item=item,
            template=template,
            attempted=len(attempted),
            mean_best_score=sum(scores) / len(scores) if scores else None,
            score_histogram=histogram(scores),
            parts={key: {status: statuses.get((item, key, status), 0) for status in STATUSES} for key in keys},
            misconceptions=dict(shown),
        )

    return ClassAnalytics(
        len(book.rows), tuple(item_analytics(item, template, keys) for item, (template, keys) in enumerate(items))
    )
