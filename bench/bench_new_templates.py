"""The templates beyond the page (beta-elbo, iwae-bound): a variant made and solved, and a set of them over HTTP.

1. In-process: the median and p99 time to generate and fully solve one variant of each, per difficulty
   (target: a few milliseconds, as bench_problems.py's 3 ms), and to grade a full submission of it.
2. Through `elbo-grader serve` (bench/served.py): a set of 1,000 students × the two new items created
   `--repeat` times (target <= 3 s, as bench_problem_sets.py), then one exact submission per problem of
   the first `--submit` students.

    .venv/bin/python bench/bench_new_templates.py [--students 1000] [--repeat 3] [--submit 200] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_problem_sets import CREATE_TARGET_S, expect, request, timed  # noqa: E402
from served import served  # noqa: E402

from grader import grade  # noqa: E402
from problems import DIFFICULTIES, generate_params, make_problem  # noqa: E402

TEMPLATES = ("beta-elbo", "iwae-bound")
ITEMS = [{"template": "beta-elbo", "difficulty": "standard"}, {"template": "iwae-bound", "difficulty": "standard"}]
RUNS = 1000
TARGET_MS = 3.0


def _p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def in_process() -> None:
    print(f"generate + solve one variant ({RUNS} seeds each; target <= {TARGET_MS} ms median), and grade it")
    for template in TEMPLATES:
        for difficulty in DIFFICULTIES:
            made, graded = [], []
            for seed in range(RUNS):
                start = time.perf_counter()
                problem = make_problem(template, generate_params(template, seed, difficulty), seed, difficulty)
                made.append(time.perf_counter() - start)
                answers = {key: f"{answer.value:.4f}" for key, answer in problem.answers.items()}
                start = time.perf_counter()
                grade(problem, answers)
                graded.append(time.perf_counter() - start)
            print(f"  {template:11} {difficulty:9} make median {statistics.median(made) * 1000:.3f} ms"
                  f"  p99 {_p99(made) * 1000:.3f} ms   grade median {statistics.median(graded) * 1000:.3f} ms")


def over_http(students: int, repeat: int, submit: int, workers: int | None) -> None:
    roster = [f"student-{i:05d}@example.edu" for i in range(students)]
    body = {"title": "bench", "seed": 2026, "items": ITEMS, "students": roster}
    with served(workers) as server:
        create_times, first = [], None
        for n in range(repeat):
            seconds, (status, _, data) = timed(request, server.port, "POST", "/api/v1/problem-sets",
                                               {**body, "title": f"bench {n}"}, server.instructor)
            expect(status, 201, "POST /api/v1/problem-sets", data)
            create_times.append(seconds)
            first = first or json.loads(data)
        assert first is not None
        status, _, data = request(server.port, "GET", f"/api/v1/problem-sets/{first['id']}/answer-key", None,
                                  server.instructor)
        expect(status, 200, "GET …/answer-key", data)
        key = {p["problem_id"]: p["answers"] for s in json.loads(data)["students"] for p in s["problems"]}
        started, scores = time.perf_counter(), []
        for student in first["students"][:submit]:
            token = {"Authorization": f"Bearer {student['access_token']}"}
            for ref in student["problems"]:
                answers = {name: answer["value"] for name, answer in key[ref["problem_id"]].items()}
                status, _, data = request(server.port, "POST", f"/api/v1/problems/{ref['problem_id']}/submissions",
                                          {"answers": answers}, token)
                expect(status, 201, "POST …/submissions", data)
                scores.append(json.loads(data)["score"])
        submit_seconds = time.perf_counter() - started
    median = statistics.median(create_times)
    print(f"server: {' '.join(server.command)}; {students} students × {len(ITEMS)} items "
          f"({', '.join(item['template'] for item in ITEMS)})")
    print(f"POST /problem-sets   {', '.join(f'{t:.2f}' for t in create_times)} s   (median {median:.2f} s = "
          f"{median / CREATE_TARGET_S:.0%} of the {CREATE_TARGET_S:g} s target)")
    print(f"POST …/submissions   {len(scores)} in {submit_seconds:.1f} s, one client; every score 1.0: "
          f"{all(score == 1.0 for score in scores)}")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=1000)
    options.add_argument("--repeat", type=int, default=3, help="sets created")
    options.add_argument("--submit", type=int, default=200, help="students whose problems are answered")
    options.add_argument("--workers", type=int, help="passed to `elbo-grader serve` (default: its own)")
    args = options.parse_args()
    in_process()
    over_http(args.students, args.repeat, args.submit, args.workers)


if __name__ == "__main__":
    main()
