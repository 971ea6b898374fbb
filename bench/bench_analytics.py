"""Class analytics of a large set against the 1 s target (not a test).

1,000 students × 2 items × 5 submissions each, stored directly in a
temporary SQLite file: each row a copy of a real graded result (parts,
feedback and steps, as the submissions endpoint stores it) with its score,
lateness and statuses varied. Times the service call and the request
through Flask's test client (no network, no gunicorn).

Run: .venv/bin/python bench/bench_analytics.py [--runs N]
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_pages import temporary_app, timed  # noqa: E402  (run as a script: bench/ is on the path)
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import delete, select  # noqa: E402

from api.auth import create_key  # noqa: E402
from api.db import database  # noqa: E402
from api.models import SubmissionRecord  # noqa: E402
from api.services.analytics import analytics  # noqa: E402
from grader.result import STATUSES  # noqa: E402

STUDENTS, ITEMS, SUBMISSIONS = 1000, 2, 5
TARGET = 1.0
START = datetime(2026, 3, 1, tzinfo=UTC)


def varied(result: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    result = copy.deepcopy(result)
    for part in result["parts"]:
        part["status"] = rng.choice(STATUSES)
        part["misconceptions"] = rng.sample(["kl_reversed", "log_base", "gap_sign"], rng.randint(0, 1))
    result["score"] = rng.random()
    return result


def graded_class(app: Flask, students: int, submissions: int) -> tuple[FlaskClient, dict[str, str], uuid.UUID]:
    """A set of ``students`` × 2 items with ``submissions`` stored results each; the
    app's client, an instructor's headers and the set's id."""
    client = app.test_client()
    with database(app).sessions() as session:
        headers = {"Authorization": f"Bearer {create_key(session, 'bench')}"}
    body = {"title": "bench", "seed": 1, "items": [{"template": "elbo-gap"}, {"template": "tight-bound"}],
            "students": [f"s{n:04}" for n in range(students)]}  # 5,000 fit the 64 KiB body
    created: dict[str, Any] = client.post("/api/v1/problem-sets", json=body, headers=headers).json or {}
    # One real graded result per item, as the submissions endpoint stores it.
    for problem in created["students"][0]["problems"]:
        client.post(f"/api/v1/problems/{problem['problem_id']}/submissions", json={"answers": {}},
                    headers=headers)
    with database(app).sessions() as session, session.begin():
        stored = {record.problem_id: record.result for record in session.scalars(select(SubmissionRecord))}
        results = [stored[uuid.UUID(problem["problem_id"])] for problem in created["students"][0]["problems"]]
        session.execute(delete(SubmissionRecord))
        rng = random.Random(1)
        for entry in created["students"]:
            for item, problem in enumerate(entry["problems"]):
                for attempt in range(1, submissions + 1):
                    result = varied(results[item], rng)
                    session.add(SubmissionRecord(
                        problem_id=uuid.UUID(problem["problem_id"]), student_id=entry["student_id"],
                        student_scope=entry["student_id"], attempt=attempt, answers={}, result=result,
                        score=result["score"], late=rng.random() < 0.1,
                        created_at=START + timedelta(minutes=attempt),
                    ))
    return client, headers, uuid.UUID(created["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with temporary_app() as app:
        client, headers, set_id = graded_class(app, STUDENTS, SUBMISSIONS)
        path = f"/api/v1/problem-sets/{set_id}/analytics"
        assert client.get(path, headers=headers).status_code == 200  # warm

        def service() -> object:
            with database(app).sessions() as session:
                return analytics(session, set_id)

        service_s = statistics.median(timed(lambda _: service(), path, runs))
        request_s = statistics.median(timed(lambda at: client.get(at, headers=headers), path, runs))
        print(f"analytics of {STUDENTS} students × {ITEMS} items × {SUBMISSIONS} submissions "
              f"({runs} runs each, SQLite, in-process), target {TARGET:.0f} s")
        for name, seconds in (("service", service_s), ("request", request_s)):
            print(f"  {name:8} median {seconds * 1000:7.1f} ms  {'within' if seconds < TARGET else 'OVER'} target")


if __name__ == "__main__":
    main()
