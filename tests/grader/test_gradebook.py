"""The grade book: best counted score, attempts, last submission, total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grader.gradebook import Attempt, grade_book, item_grade

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_best_on_time_score_counts_and_late_ones_do_not_by_default():
    attempts = [Attempt(0.5, T0, False), Attempt(0.75, T0 + timedelta(hours=1), False),
                Attempt(1.0, T0 + timedelta(days=3), True)]
    grade = item_grade(0, attempts, count_late=False)
    assert grade.best_score == 0.75
    assert grade.attempts == 3
    assert grade.last_submitted_at == T0 + timedelta(days=3)
    assert item_grade(0, attempts, count_late=True).best_score == 1.0


def test_only_late_work_leaves_no_counted_score():
    assert item_grade(1, [Attempt(1.0, T0, True)], count_late=False).best_score is None


def test_book_has_a_row_per_student_in_roster_order_and_totals():
    book = grade_book(["bob", "alice", "carol"], 2, {
        ("alice", 0): [Attempt(1.0, T0, False)],
        ("alice", 1): [Attempt(0.5, T0, False), Attempt(0.25, T0, False)],
        ("bob", 1): [Attempt(0.875, T0, False)],
    })
    assert [row.student_id for row in book] == ["bob", "alice", "carol"]
    assert [row.total for row in book] == [0.875, 1.5, 0.0]
    assert [grade.attempts for grade in book[1].items] == [1, 2]
    assert book[2].items[0].best_score is None and book[2].items[0].last_submitted_at is None
