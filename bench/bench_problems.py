"""Median time to generate and fully solve one variant (not a test).

Run: .venv/bin/python bench/bench_problems.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from problems import DIFFICULTIES, TEMPLATES, generate_params, make_problem  # noqa: E402

RUNS = 1000
TARGET_MS = 3.0


def main() -> None:
    print(f"generate + solve one variant ({RUNS} seeds each; target <= {TARGET_MS} ms median)")
    medians = []
    for template in TEMPLATES:
        for difficulty in DIFFICULTIES:
            times = []
            for seed in range(RUNS):
                start = time.perf_counter()
                make_problem(template, generate_params(template, seed, difficulty), seed, difficulty)
                times.append(time.perf_counter() - start)
            median = statistics.median(times) * 1000
            medians.append(median)
            print(f"  {template:12} {difficulty:9} median {median:.3f} ms   p99 "
                  f"{statistics.quantiles(times, n=100)[98] * 1000:.3f} ms")
    print(f"overall median of medians {statistics.median(medians):.3f} ms "
          f"(ratio to target {statistics.median(medians) / TARGET_MS:.2f})")


if __name__ == "__main__":
    main()
