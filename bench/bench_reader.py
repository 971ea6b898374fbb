"""Median time to read a few typical answers with grader.reader.read_answer (not a test)."""

from __future__ import annotations

import statistics
import time

from grader.errors import AnswerError
from grader.reader import read_answer

RUNS = 2000
ANSWERS = [
    0.6,
    "0.6",
    "ln(0.6)",
    "0.4*ln(0.4/0.5) + 0.6*ln(0.6/0.5)",
]
# Hostile answers the reader must refuse cheaply (tests check that each is refused).
HOSTILE = [
    "9^9^9^9",
    "(" * 20 + "1" + ")" * 20,
    "-" * 150 + "1",
    "(exp(-1e100)^1000)^-1",
    "exp(exp(exp(exp(9))))",
]


def _read(answer: object) -> None:
    try:
        read_answer(answer)
    except AnswerError:
        pass


def median_seconds(answer: object) -> float:
    for _ in range(100):  # warm caches (regex, mpmath's log tables) before timing
        _read(answer)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        _read(answer)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    print(f"read_answer, median of {RUNS} runs")
    for answer in ANSWERS:
        print(f"  {answer!r:45} {median_seconds(answer) * 1e6:8.1f} µs")
    print("refusing hostile answers, median, and the slowest of them")
    medians = [median_seconds(answer) for answer in HOSTILE]
    for answer, median in zip(HOSTILE, medians, strict=True):
        print(f"  {answer[:45]!r:45} {median * 1e6:8.1f} µs")
    print(f"  slowest: {max(medians) * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
