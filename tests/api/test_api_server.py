"""The real thing: `elbo-grader serve` (gunicorn) over HTTP on a free port."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from api_helpers import PART_1, PART_1_ANSWERS, bearer

from api.groupcommit import GroupCommit

pytestmark = pytest.mark.slow


def test_practice_problem_end_to_end(serve):
    server = serve()
    key = server.run("create-key", "--name", "e2e").splitlines()[-1]
    http = requests.Session()

    created = http.post(
        f"{server.url}/api/v1/problems", json={"template": "elbo-gap", "params": PART_1}, headers=bearer(key)
    )
    assert created.status_code == 201
    problem_url = server.url + created.headers["Location"]
    assert http.get(problem_url).json()["params"] == PART_1
    assert http.get(f"{problem_url}/solution").json()["answers"]["marginal"]["exact"] == "3/5"

    answers = {**PART_1_ANSWERS, "gap": -0.0541}  # one mistake: the gap's sign
    graded = http.post(
        f"{problem_url}/submissions", json={"answers": answers}, headers={"X-Request-ID": "e2e-1"}
    )
    assert graded.status_code == 201
    assert graded.headers["X-Request-ID"] == "e2e-1"
    body = graded.json()
    assert body["score"] == 7 / 8
    assert [p["misconceptions"] for p in body["parts"] if p["status"] != "correct"] == [["gap_sign"]]
    assert http.get(server.url + graded.headers["Location"]).json() == body

    unreadable = http.post(f"{problem_url}/submissions", json={"answers": {"elbo": "0.4ln(0.8)"}})
    assert unreadable.status_code == 422
    assert unreadable.headers["Content-Type"] == "application/problem+json"
    assert list(unreadable.json()["errors"]["answers"]) == ["elbo"]

    assert http.get(f"{server.url}/api/v1/docs").status_code == 200
    assert http.get(f"{server.url}/healthz").json() == {"status": "ok"}
    # One access line per request, with its id and latency.
    assert re.search(
        r'"POST /api/v1/problems/\S+/submissions HTTP/1.1" 201 \d+ \d+ms id=e2e-1', server.output()
    )


def test_200_concurrent_submissions_are_all_stored_once(serve):
    server = serve()
    problem = requests.post(f"{server.url}/api/v1/problems", json={"template": "elbo-gap", "seed": 5}).json()
    submissions_url = f"{server.url}/api/v1/problems/{problem['id']}/submissions"

    def send(_):
        with requests.post(submissions_url, json={"answers": {"marginal": 0.5}}) as response:
            assert response.status_code == 201, response.text
            return response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        acknowledged = list(pool.map(send, range(200)))

    stored = []
    for page in (1, 2):
        stored += requests.get(submissions_url, params={"page": page, "page_size": 100}).json()
    assert sorted(s["id"] for s in stored) == sorted(s["id"] for s in acknowledged)
    assert len({s["id"] for s in stored}) == 200
    assert sorted(s["attempt"] for s in stored) == list(range(1, 201))
    # Both workers committed through the group commit, and each 201 waited for its sync.
    committed, synced = GroupCommit(str(server.database)).counts()
    assert synced == committed == 201  # the problem and the 200 submissions


def test_the_workers_share_one_rate_limit(serve):
    server = serve(workers=2, ELBO_GRADER_RATE_LIMIT_ANONYMOUS="5/hour")

    def send(_) -> tuple[int, str | None]:  # each on a connection of its own, to either worker
        response = requests.post(f"{server.url}/api/v1/problems", json={"template": "elbo-gap", "seed": 3})
        return response.status_code, response.headers.get("Retry-After")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(12)))
    assert sorted(status for status, _ in results) == [201] * 5 + [429] * 7
    assert all(int(retry) >= 1 for status, retry in results if status == 429)


def test_acknowledged_submissions_survive_a_killed_server(serve):
    server = serve()
    problem = requests.post(f"{server.url}/api/v1/problems", json={"template": "elbo-gap", "seed": 6}).json()
    submissions_url = f"{server.url}/api/v1/problems/{problem['id']}/submissions"
    acknowledged: list[str] = []
    enough = threading.Event()

    def keep_sending() -> None:
        with requests.Session() as http:
            while True:
                try:
                    response = http.post(submissions_url, json={"answers": {"marginal": "0.5"}}, timeout=10)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    return  # the server is gone, perhaps in the middle of a response: not acknowledged
                assert response.status_code == 201, response.text
                acknowledged.append(response.json()["id"])
                if len(acknowledged) >= 60:
                    enough.set()

    senders = [threading.Thread(target=keep_sending) for _ in range(8)]
    for sender in senders:
        sender.start()
    assert enough.wait(60)
    server.kill()  # mid-storm: some requests are in flight, unanswered
    for sender in senders:
        sender.join(30)

    restarted = serve()  # the same database file
    stored = []
    for page in range(1, len(acknowledged) // 100 + 3):
        stored += requests.get(submissions_url.replace(server.url, restarted.url),
                               params={"page": page, "page_size": 100}).json()
    stored_ids = {s["id"] for s in stored}
    assert set(acknowledged) <= stored_ids  # every 201 was on disk
    assert len(stored_ids) - len(acknowledged) <= 8  # at most the requests cut off in flight
