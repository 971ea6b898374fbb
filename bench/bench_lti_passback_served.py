"""Time from a submission's response to its score at the LMS, through a real `elbo-grader serve`: the median over ~20.

A server of two gunicorn workers on a temporary SQLite file, started as the
tests start one (tests/api/conftest.py's Server), and the services of the
test LMS of tests/lti (lti1p3platform: its token and AGS endpoints) over
HTTP on a port of their own. A platform, a link with its line item and a
learner are stored as a launch stores them; the learner submits over HTTP
with their token. Each time runs from the moment the submission's 201 has
arrived until the platform has recorded the score, sent by the server's
own drainer thread; the first includes getting the access token.

    .venv/bin/python bench/bench_lti_passback_served.py [--runs 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path[:0] = [str(TESTS / "lti"), str(TESTS / "api")]

from lti_setup import enrol, register, students_of  # type: ignore[import-not-found]  # noqa: E402
from platform_services import Platform  # type: ignore[import-not-found]  # noqa: E402

from api.db import make_engine  # noqa: E402

_spec = importlib.util.spec_from_file_location("api_tests_conftest", TESTS / "api" / "conftest.py")
assert _spec is not None and _spec.loader is not None
api_tests = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = api_tests  # (its dataclasses look their module up)
_spec.loader.exec_module(api_tests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the platform's request log
    with tempfile.TemporaryDirectory() as directory:
        server = api_tests.Server(Path(directory), 2, {"ELBO_GRADER_RATE_LIMIT_STUDENT": "off"})
        platform = Platform(server.url)
        try:
            times = measure(server, platform, runs)
        finally:
            platform.close()
            server.stop()
    first, rest = times[0], times[1:]
    print(f"submission's response → score at the platform, through `elbo-grader serve` (2 workers), {runs} runs: "
          f"median of the {len(rest)} after the first {statistics.median(rest) * 1000:.1f} ms, "
          f"the first (with the token) {first * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")


def measure(server, platform: Platform, runs: int) -> list[float]:
    key = {"Authorization": "Bearer " + server.run("create-key", "--name", "bench").strip().splitlines()[-1]}
    api = f"{server.url}/api/v1"
    created = requests.post(f"{api}/problem-sets", headers=key, timeout=30, json={
        "title": "bench", "seed": 1, "items": [{"template": "elbo-gap"}], "students": ["placeholder"]}).json()
    engine = make_engine(f"sqlite:///{server.database}")
    course = register(engine, platform, created["id"])
    (student,) = students_of(course.platform_id, ["learner"])
    added = requests.post(f"{api}/problem-sets/{created['id']}/students", headers=key, timeout=30,
                          json={"students": [student]}).json()["students"][0]
    enrol(engine, course, created["id"], ["learner"])
    engine.dispose()
    headers = {"Authorization": f"Bearer {added['access_token']}"}
    problem = added["problems"][0]["problem_id"]
    times = []
    with requests.Session() as http:
        for run in range(runs):
            response = http.post(f"{api}/problems/{problem}/submissions", headers=headers, timeout=30,
                                 json={"answers": {"marginal": run}})
            answered = time.perf_counter()
            assert response.status_code == 201, response.text
            while len(platform.scores()) <= run:
                time.sleep(0.0005)
            times.append(time.perf_counter() - answered)
    assert [score.score["userId"] for score in platform.scores()] == ["learner"] * runs
    return times


if __name__ == "__main__":
    main()
