"""Problem sets through `elbo-grader serve`, started as the README does.

Runs `elbo-grader init-db`, `create-key` and `serve` on a temporary SQLite
file (127.0.0.1 only), then:

1. creates a set of 1,000 students × 2 items through HTTP (`POST
   /api/v1/problem-sets`), a few times, and prints the times;
2. submits one answer set per problem of the first set, each with its
   student's token, from a bounded pool of concurrent clients;
3. times `GET …/grades` as JSON and as CSV;
4. creates the largest set the schema allows (5,000 students × 20 items,
   answered 202, its problems made in the background) and times the
   acknowledgement and a student's first read of the set (their 20 problems
   made then); with `--wait-largest`, also until every problem is made.

Targets: the set in <= 3 s, the grade book in <= 1 s, the largest set
acknowledged in a few seconds.

    .venv/bin/python bench/bench_problem_sets.py [--students 1000] [--repeat 3] [--clients 8] [--workers N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from served import served

ITEMS = [{"template": "elbo-gap", "difficulty": "standard"}, {"template": "tight-bound"}]
CREATE_TARGET_S = 3.0
GRADES_TARGET_S = 1.0


def request(port: int, method: str, path: str, body: object = None, headers: dict | None = None):
    """One request on a connection of its own (sync workers keep none alive): status, headers, bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = None if body is None else json.dumps(body)
        all_headers = {
            **({"Content-Type": "application/json"} if body is not None else {}),
            **(headers or {}),
        }
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def expect(status: int, wanted: int, what: str, data: bytes) -> None:
    if status != wanted:
        sys.exit(f"{what} -> {status}: {data[:500]!r}")


def timed(call, *args):
    """Seconds ``call(*args)`` took, and its result."""
    start = time.perf_counter()
    result = call(*args)
    return time.perf_counter() - start, result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=1000)
    options.add_argument("--repeat", type=int, default=3, help="sets created (and grade books read)")
    options.add_argument("--clients", type=int, default=8, help="concurrent clients submitting")
    options.add_argument("--workers", type=int, help="passed to `elbo-grader serve` (default: its own)")
    options.add_argument("--wait-largest", action="store_true", help="wait until the largest set is made")
    args = options.parse_args()

    roster = [f"student-{i:05d}@example.edu" for i in range(args.students)]
    with served(args.workers) as server:
        results = run(server.port, server.instructor, roster, args)
        largest_times = largest(server.port, server.instructor, args.wait_largest)

    create_times, submit_seconds, submissions, answer_key_s, grade_times = results
    print(f"server: {' '.join(server.command)}; {args.students} students × {len(ITEMS)} items")
    median = statistics.median(create_times)
    print(
        f"POST /problem-sets            {', '.join(f'{t:.2f}' for t in create_times)} s"
        f"   (median {median:.2f} s = {median / CREATE_TARGET_S:.0%} of the {CREATE_TARGET_S:g} s target)"
    )
    print(f"GET …/answer-key              {answer_key_s:.2f} s")
    print(
        f"POST …/submissions            {submissions} in {submit_seconds:.1f} s"
        f" ({submissions / submit_seconds:.0f}/s, {args.clients} clients, student tokens)"
    )
    for name, times in grade_times.items():
        median = statistics.median(times)
        print(
            f"GET …/grades{name:<18}{', '.join(f'{t * 1000:.0f}' for t in times)} ms"
            f"   (median {median * 1000:.0f} ms = {median / GRADES_TARGET_S:.0%} of the 1 s target)"
        )
    for what, seconds in largest_times.items():
        print(f"{what:<34}{seconds:.2f} s")


def largest(port: int, instructor: dict, wait: bool) -> dict[str, float]:
    """The largest set the schema allows: acknowledged, a student's first read, and (``wait``) all made."""
    items = [{"template": "elbo-gap", "difficulty": "hard"}] * 20
    body = {"title": "largest", "seed": 1, "items": items, "students": [f"s{i:04d}" for i in range(5000)]}
    started = time.perf_counter()
    status, _, data = request(port, "POST", "/api/v1/problem-sets", body, instructor)
    expect(status, 202, "POST /problem-sets (5,000 × 20)", data)
    times = {"POST 5,000 × 20 (202)": time.perf_counter() - started}
    created = json.loads(data)
    token = {"Authorization": f"Bearer {created['students'][2500]['access_token']}"}
    seconds, (status, _, data) = timed(request, port, "GET", f"/api/v1/problem-sets/{created['id']}", None, token)
    expect(status, 200, "GET a student's view of the largest set", data)
    times["a student's first read (20 made)"] = seconds
    while wait:
        status, _, data = request(port, "GET", f"/api/v1/problem-sets/{created['id']}", None, instructor)
        if "status" not in json.loads(data):
            times["every problem made"] = time.perf_counter() - started
            break
        time.sleep(1)
    return times


def run(port: int, instructor: dict, roster: list[str], args):
    body = {"title": "bench", "seed": 2026, "items": ITEMS, "students": roster}
    create_times, first = [], None
    for n in range(args.repeat):
        seconds, (status, _, data) = timed(
            request, port, "POST", "/api/v1/problem-sets", {**body, "title": f"bench {n}"}, instructor
        )
        expect(status, 201, "POST /api/v1/problem-sets", data)
        create_times.append(seconds)
        first = first or json.loads(data)
    assert first is not None
    set_path = f"/api/v1/problem-sets/{first['id']}"

    answer_key_s, (status, _, data) = timed(request, port, "GET", f"{set_path}/answer-key", None, instructor)
    expect(status, 200, "GET …/answer-key", data)
    key = {p["problem_id"]: p["answers"] for s in json.loads(data)["students"] for p in s["problems"]}

    # One answer set per problem: item 0 exact, item 1 with one mistake.
    jobs = []
    for student in first["students"]:
        token = {"Authorization": f"Bearer {student['access_token']}"}
        for ref in student["problems"]:
            answers = {k: a["value"] for k, a in key[ref["problem_id"]].items()}
            if ref["item"] == 1:
                answers["gap"] = 0.5
            jobs.append((f"/api/v1/problems/{ref['problem_id']}/submissions", {"answers": answers}, token))

    def send(job):
        status, _, data = request(port, "POST", *job)
        expect(status, 201, "POST …/submissions", data)

    with ThreadPoolExecutor(args.clients) as pool:
        submit_seconds, _ = timed(lambda: list(pool.map(send, jobs)))

    grade_times: dict[str, list[float]] = {"": [], "?format=csv": []}
    for _ in range(args.repeat):
        for query, times in grade_times.items():
            seconds, (status, _, data) = timed(
                request, port, "GET", f"{set_path}/grades{query}", None, instructor
            )
            expect(status, 200, f"GET …/grades{query}", data)
            rows = len(data.decode().splitlines()) - 1 if query else len(json.loads(data)["students"])
            if rows != len(roster):
                sys.exit(f"GET …/grades{query}: {rows} rows for {len(roster)} students")
            times.append(seconds)
    return create_times, submit_seconds, len(jobs), answer_key_s, grade_times


if __name__ == "__main__":
    main()
