"""HTTP throughput and latency of `elbo-grader serve`, started as the README does.

Runs `elbo-grader init-db`, `create-key` and `serve` on a temporary SQLite
file, then, at 32 concurrent clients on 127.0.0.1, measures requests per
second and p50/p99 latency of `GET /healthz` and of `POST
/api/v1/problems/{id}/submissions` carrying the practice page's eight
expression answers, and prints both and their ratio. The two phases
alternate for several rounds, so that a shared machine's slow spells fall
on both: the figures are the medians over rounds, and the ratio is the
median of each round's ratio.

Target: grading at >= 50% of /healthz throughput, p99 <= 50 ms.

    .venv/bin/python bench/bench_http.py [--clients 32] [--seconds 5] [--rounds 3] [--workers N]
                                         [--anonymous-limit off]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from served import served

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "practice_page.json"
MAX_REQUESTS = 50_000  # per phase, on top of the time bound


@dataclass
class Phase:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu_ms: float  # the server's CPU time per request (warm-up included)

    @property
    def rps(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[p - 1]

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rps:8.0f} req/s   p50 {self.percentile(50):6.1f} ms"
            f"   p99 {self.percentile(99):6.1f} ms   server CPU {self.cpu_ms:4.2f} ms/request"
            f"   ({len(self.latencies_ms)} requests, {self.errors} errors)"
        )


def run_phase(name, server, method, path, body, headers, expect, clients, seconds) -> Phase:
    """`clients` threads, each on its own connection, for `seconds` after a 1 s warm-up."""
    port = server.port
    sent = 0
    cpu_before = server.cpu_seconds()
    warm_until = time.monotonic() + 1.0
    stop_at = warm_until + seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors, sent
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        my_errors = my_sent = 0
        while (now := time.monotonic()) < stop_at and len(latencies) + len(mine) < MAX_REQUESTS:
            start = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            my_sent += 1
            if now >= warm_until:
                mine.append(elapsed)
                my_errors += response.status != expect
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += my_errors
            sent += my_sent

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / sent
    return Phase(name, len(latencies), seconds, latencies, errors, cpu_ms)


def post_json(port: int, path: str, body: dict, headers: dict) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    response = connection.getresponse()
    data = json.loads(response.read())
    if response.status != 201:
        sys.exit(f"POST {path} -> {response.status}: {data}")
    return data


def median_phase(phases: list[Phase]) -> Phase:
    """All rounds of one endpoint: the median rate, latencies pooled."""
    rates = sorted(phases, key=lambda phase: phase.rps)
    middle = rates[len(rates) // 2]
    latencies = [latency for phase in phases for latency in phase.latencies_ms]
    errors = sum(phase.errors for phase in phases)
    cpu_ms = statistics.median(phase.cpu_ms for phase in phases)
    return Phase(middle.name, middle.count, middle.seconds, latencies, errors, cpu_ms)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--clients", type=int, default=32)
    options.add_argument("--seconds", type=float, default=5.0, help="per phase")
    options.add_argument("--rounds", type=int, default=3, help="of the two phases, alternating")
    options.add_argument("--workers", type=int, help="passed to `elbo-grader serve` (default: its own)")
    options.add_argument("--anonymous-limit", default="off",
                         help="ELBO_GRADER_RATE_LIMIT_ANONYMOUS; a limit never reached (1000000/second) "
                              "measures what counting costs")
    args = options.parse_args()

    case = next(c for c in json.loads(CASES.read_text())["cases"] if "expressions" in c["name"])
    health, grading = [], []
    with served(args.workers, args.anonymous_limit) as server:
        problem = post_json(server.port, "/api/v1/problems",
                            {"template": case["template"], "params": case["params"]}, server.instructor)
        for round_number in range(1, args.rounds + 1):
            health.append(
                run_phase("GET /healthz", server, "GET", "/healthz", None, {}, 200, args.clients, args.seconds)
            )
            grading.append(run_phase(
                "POST …/submissions (8 expressions)",
                server,
                "POST",
                f"/api/v1/problems/{problem['id']}/submissions",
                json.dumps({"answers": case["answers"]}),
                {"Content-Type": "application/json"},
                201,
                args.clients,
                args.seconds,
            ))
            print(f"round {round_number}: healthz {health[-1].rps:.0f} req/s, grading {grading[-1].rps:.0f} req/s "
                  f"({grading[-1].rps / health[-1].rps:.0%}), grading p99 {grading[-1].percentile(99):.1f} ms",
                  flush=True)

    print(f"{args.clients} concurrent clients, {args.rounds} rounds of {args.seconds:g} s per phase, "
          f"server: {' '.join(server.command)}")
    print("medians over rounds; latencies of all rounds:")
    health_pooled, grading_pooled = median_phase(health), median_phase(grading)
    print(health_pooled.line())
    print(grading_pooled.line())
    ratio = statistics.median(g.rps / h.rps for g, h in zip(grading, health, strict=True))
    print(f"grading / healthz throughput: {ratio:.0%}  (target >= 50%)")
    print(f"grading p99: {grading_pooled.percentile(99):.1f} ms  (target <= 50 ms)")
    # What the throughput ratio would be if the server's CPU were all that limited both.
    print(f"healthz / grading server CPU per request: {health_pooled.cpu_ms / grading_pooled.cpu_ms:.0%}")


if __name__ == "__main__":
    main()
