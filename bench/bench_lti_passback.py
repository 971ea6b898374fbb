"""Time from a submission to its score at the LMS: the median over ~30 submissions.

An app with its drainer thread (as a server's worker runs it) on a temporary
SQLite file, served over HTTP for its /lti/jwks, and the test LMS of
tests/lti (lti1p3platform) on a port of its own. Each submission of a
launched learner is timed from the POST until the platform has recorded
its score; the first includes getting the access token.

    .venv/bin/python bench/bench_lti_passback.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "lti"))

from bench_pages import temporary_app  # noqa: E402
from lti_setup import ToolServer, enrol, register, students_of  # type: ignore[import-not-found]  # noqa: E402
from platform_services import Platform  # type: ignore[import-not-found]  # noqa: E402

from api.auth import create_key  # noqa: E402
from api.db import database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with temporary_app(drain_outbox=True, rate_limit_student=None) as app:
        tool = ToolServer(app)
        platform = Platform(tool.url)
        client = app.test_client()
        with database(app).sessions() as session:
            key = {"Authorization": f"Bearer {create_key(session, 'bench')}"}
        created: dict = client.post("/api/v1/problem-sets", headers=key, json={
            "title": "bench", "seed": 1, "items": [{"template": "elbo-gap"}], "students": ["placeholder"]}).get_json()
        course = register(database(app).engine, platform, created["id"])
        (student,) = students_of(course.platform_id, ["learner"])
        roster: dict = client.post(f"/api/v1/problem-sets/{created['id']}/students", headers=key,
                                   json={"students": [student]}).get_json()
        added = roster["students"][0]
        enrol(database(app).engine, course, created["id"], ["learner"])
        headers = {"Authorization": f"Bearer {added['access_token']}"}
        problem = added["problems"][0]["problem_id"]
        times = []
        for run in range(runs):
            start = time.perf_counter()
            response = client.post(f"/api/v1/problems/{problem}/submissions", headers=headers,
                                   json={"answers": {"marginal": run}})
            assert response.status_code == 201, response.get_data(as_text=True)
            while len(platform.scores()) <= run:
                time.sleep(0.0005)
            times.append(time.perf_counter() - start)
        platform.close()
        tool.close()
    print(f"submission → score at the platform, {runs} runs: median {statistics.median(times) * 1000:.1f} ms, "
          f"first (with the token) {times[0] * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
