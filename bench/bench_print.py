"""Printing a set (docs/api.md §14): the time per student's sheet (not a test).

A set of one elbo-gap item for a class of 30 and for 1,000 students, printed
through Flask's test client (no network, no gunicorn) as PDF and as HTML,
without and with the answer key. Each figure is the median over the runs of
the request's time divided by the students: wall-clock, and the process's CPU
time (steadier on a shared machine: all the work is in this process); then
the process's peak memory so far. The formula cache is warm after the first
request, as on a server that has printed before.

Run: .venv/bin/python bench/bench_print.py [--runs N] [--big-runs N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_pages import temporary_app  # noqa: E402  (run as a script: bench/ is on the path)

from api.auth import create_key  # noqa: E402
from api.db import database  # noqa: E402

CLASSES = (30, 1000)


def peak_mb() -> float:
    """The process's peak resident memory (Linux counts it in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs for the class of 30")
    parser.add_argument("--big-runs", type=int, default=1, help="runs for 1,000 students")
    arguments = parser.parse_args()
    # No PDF size limit (Settings.print_pdf_problems): the whole class in one request, to time it.
    with temporary_app(print_pdf_problems=10**6) as app:
        client = app.test_client()
        with database(app).sessions() as session:
            headers = {"Authorization": f"Bearer {create_key(session, 'bench')}"}
        print("print time per sheet (one elbo-gap item; median of the runs, in-process, SQLite)")
        for students in CLASSES:
            body = {"title": "bench", "seed": 1, "items": [{"template": "elbo-gap"}],
                    "students": [f"student-{n:04}" for n in range(students)]}
            created: dict[str, Any] = client.post("/api/v1/problem-sets", json=body, headers=headers).json or {}
            runs = arguments.runs if students == CLASSES[0] else arguments.big_runs
            for query in ("format=html", "format=html&answer_key=true", "format=pdf", "format=pdf&answer_key=true"):
                path = f"/api/v1/problem-sets/{created['id']}/print?{query}"
                walls, cpus = [], []
                for _ in range(runs):
                    wall, cpu = time.perf_counter(), time.process_time()
                    response = client.get(path, headers=headers)
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
                    assert response.status_code == 200, response.status_code
                total, cpu_total = statistics.median(walls), statistics.median(cpus)
                print(f"  {students:5} students  {query:28} {total / students * 1000:7.1f} ms per sheet"
                      f" ({cpu_total / students * 1000:7.1f} ms CPU)  {total:6.1f} s in all,"
                      f" {len(response.data) / 1e6:6.1f} MB, peak memory so far {peak_mb():5.0f} MB", flush=True)


if __name__ == "__main__":
    main()
