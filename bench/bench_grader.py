"""Median time to grade a full `elbo-gap` submission in-process (not a test).

Eight numbers, then eight expressions; the problem is made once, as the
service does, so grading touches no computer algebra.
Run: .venv/bin/python bench/bench_grader.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader import grade  # noqa: E402
from problems import Problem, make_problem, parse_params  # noqa: E402

RUNS = 5000
TARGETS_MS = {"numbers": 0.5, "expressions": 2.0}


def main() -> None:
    cases = json.loads((ROOT / "tests" / "data" / "practice_page.json").read_text())["cases"]
    numbers, expressions = cases[0], cases[2]
    # Stored and reloaded, as the service keeps it.
    problem = Problem.from_json(make_problem("elbo-gap", parse_params("elbo-gap", numbers["params"])).to_json())
    for name, answers in (("numbers", numbers["answers"]), ("expressions", expressions["answers"])):
        for _ in range(200):
            grade(problem, answers)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            grade(problem, answers)
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1000
        print(f"grade elbo-gap, eight {name:11}: median {median:.3f} ms, p99 "
              f"{statistics.quantiles(times, n=100)[98] * 1000:.3f} ms (target {TARGETS_MS[name]} ms, "
              f"ratio {median / TARGETS_MS[name]:.2f})")


if __name__ == "__main__":
    main()
