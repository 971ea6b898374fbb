"""Server time of the problem page against the JSON GET of the same problem (not a test).

In-process through Flask's test client on a temporary SQLite file, so the
figures are the application's own time (no network, no gunicorn): the page
renders the statement, the form and the ELBO plot (about 200 points).

Run: .venv/bin/python bench/bench_pages.py [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402

from api import create_app  # noqa: E402
from api.db import make_engine, upgrade  # noqa: E402

SECRET = "bench-secret-key-" + "x" * 32


@contextlib.contextmanager
def temporary_app(**settings: object) -> Iterator[Flask]:
    """An app on a migrated SQLite file of its own, removed afterwards."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield create_app({"database_url": url, "secret_key": SECRET, **settings})


def timed(get: Callable[[str], object], path: str, runs: int) -> list[float]:
    get(path)  # warm: templates compiled, problem cached
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        get(path)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    runs = parser.parse_args().runs
    with temporary_app(rate_limit_anonymous=None) as app:
        client = app.test_client()
        print(f"problem page vs JSON GET of the same problem ({runs} requests each, in-process)")
        for template in ("elbo-gap", "tight-bound"):
            page = client.get(f"/practice/{template}?seed=1").headers["Location"]
            for path in (page, f"/api/v1{page}"):
                assert client.get(path).status_code == 200
            page_times = timed(client.get, page, runs)
            json_times = timed(client.get, f"/api/v1{page}", runs)
            page_ms, json_ms = statistics.median(page_times) * 1000, statistics.median(json_times) * 1000
            print(f"  {template:12} page median {page_ms:.2f} ms (p99 "
                  f"{statistics.quantiles(page_times, n=100)[98] * 1000:.2f})   JSON median {json_ms:.2f} ms   "
                  f"ratio {page_ms / json_ms:.1f}")


if __name__ == "__main__":
    main()
