"""Durable writes to the SQLite file: group commit against a sync in every commit.

Several processes, each in a loop of write transactions (one ~4 KB row,
about a stored submission), for a few seconds:

- ``group``: as the server writes (api.groupcommit: ``synchronous=NORMAL``,
  the WAL synced after the writers' lock is released, one sync for every
  commit made before it began);
- ``full``: the alternative it replaced, writers queued on a file lock and
  ``synchronous=FULL`` syncing inside each commit, under the lock.

Both modes alternate for several rounds on one disk; it prints the median
commits per second, the p99 latency of a transaction and the ratio.

    .venv/bin/python bench/bench_commits.py [--processes 1 2 4] [--seconds 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import multiprocessing
import os
import statistics
import tempfile
import time

from sqlalchemy import Column, Integer, MetaData, Table, Text

from api.db import make_engine
from api.groupcommit import GroupCommit

ROWS = Table("rows", MetaData(), Column("n", Integer, primary_key=True), Column("body", Text))
BODY = "x" * 4000
MODES = ("group", "full")


@contextlib.contextmanager
def _queued(lock_path: str):
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def writer(path: str, mode: str, seconds: float, results: multiprocessing.Queue) -> None:
    engine = make_engine(f"sqlite:///{path}", group_commit=mode == "group")
    group = GroupCommit(path)
    latencies = []
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        section = group.transaction() if mode == "group" else _queued(f"{path}-full.lock")
        with section, engine.begin() as connection:
            connection.execute(ROWS.insert(), {"body": BODY})
        latencies.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    results.put(latencies)


def run(mode: str, processes: int, seconds: float) -> tuple[float, float]:
    """(commits per second, p99 ms) of one run on a fresh database file."""
    with tempfile.TemporaryDirectory(dir=os.getcwd()) as tmp:  # the disk the service uses, not a tmpfs
        path = f"{tmp}/commits.db"
        engine = make_engine(f"sqlite:///{path}")
        ROWS.metadata.create_all(engine)
        engine.dispose()
        results: multiprocessing.Queue[tuple] = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(target=writer, args=(path, mode, seconds, results)) for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        latencies = [latency for _ in workers for latency in results.get()]
        for worker in workers:
            worker.join()
    return len(latencies) / seconds, statistics.quantiles(latencies, n=100)[98]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    options.add_argument("--seconds", type=float, default=2.0)
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()

    print(f"{args.rounds} rounds of {args.seconds:g} s per mode, medians; on the disk under {os.getcwd()}")
    for processes in args.processes:
        figures: dict[str, list] = {mode: [] for mode in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                figures[mode].append(run(mode, processes, args.seconds))
        rate = {mode: statistics.median(rps for rps, _ in figures[mode]) for mode in MODES}
        p99 = {mode: statistics.median(p for _, p in figures[mode]) for mode in MODES}
        print(
            f"{processes} process(es): group {rate['group']:6.0f} commits/s p99 {p99['group']:6.1f} ms"
            f" | full {rate['full']:6.0f} commits/s p99 {p99['full']:6.1f} ms"
            f" | throughput ratio {rate['group'] / rate['full']:.2f}, p99 ratio {p99['group'] / p99['full']:.2f}"
        )


if __name__ == "__main__":
    main()
