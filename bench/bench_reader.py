"""Median time to read a few typical answers with grader.reader.read_answer (not a test)."""

from __future__ import annotations

import statistics
import time

from grader.reader import read_answer

RUNS = 2000
ANSWERS = [
    0.6,
    "0.6",
    "ln(0.6)",
    "0.4*ln(0.4/0.5) + 0.6*ln(0.6/0.5)",
]


def median_seconds(answer: object) -> float:
    for _ in range(100):  # warm caches (regex, mpmath's log tables) before timing
        read_answer(answer)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        read_answer(answer)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    print(f"read_answer, median of {RUNS} runs")
    for answer in ANSWERS:
        print(f"  {answer!r:45} {median_seconds(answer) * 1e6:8.1f} µs")


if __name__ == "__main__":
    main()
