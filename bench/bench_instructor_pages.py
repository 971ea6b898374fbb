"""The instructor's set page of a 5,000-student roster (not a test).

5,000 students × 2 items × 2 stored submissions each (bench_analytics'
class), signed in with an instructor key: times a page of the roster (its
first and its last), which reads 50 students' rows but charts the whole
class, and a named mistake's page, through Flask's test client (SQLite,
in-process). Prints medians.

Run: .venv/bin/python bench/bench_instructor_pages.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_analytics import graded_class  # noqa: E402  (run as a script: bench/ is on the path)
from bench_pages import temporary_app, timed  # noqa: E402

STUDENTS, SUBMISSIONS = 5000, 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    # The whole roster's problems made at once, so the pages read a finished set.
    with temporary_app(problems_at_once=STUDENTS * 2) as app:
        client, headers, set_id = graded_class(app, STUDENTS, SUBMISSIONS)
        form = client.get("/sign-in").get_data(as_text=True)
        csrf = re.findall(r'name="csrf_token" value="([^"]+)"', form)[-1]
        key = headers["Authorization"].removeprefix("Bearer ")
        assert client.post("/sign-in", data={"csrf_token": csrf, "token": key}).status_code == 303
        pages = {"set page, first 50": f"/sets/{set_id}", "set page, last 50": f"/sets/{set_id}?page=100",
                 "a mistake's page": f"/sets/{set_id}/items/0/mistakes/gap_sign"}
        print(f"instructor pages of {STUDENTS} students × 2 items × {SUBMISSIONS} submissions "
              f"({runs} runs each, SQLite, in-process)")
        for name, path in pages.items():
            assert client.get(path).status_code == 200
            median = statistics.median(timed(client.get, path, runs))
            print(f"  {name:20} median {median * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
