"""`elbo-grader serve` on a temporary SQLite file, started as the README does.

Shared by the HTTP benchmarks: `init-db`, an instructor key from
`create-key`, then `serve` on a free port of 127.0.0.1, stopped on exit.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ELBO_GRADER = str(Path(sys.executable).with_name("elbo-grader"))


@dataclass(frozen=True)
class Server:
    """A running server: its port, an instructor key, how it was started, its pid."""

    port: int
    key: str
    command: tuple[str, ...]
    pid: int

    @property
    def instructor(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn and its workers, exited ones included.

        Unlike a rate, it does not change when a shared machine's other
        tenants take the CPU or the disk stalls.
        """
        fields = _stat(self.pid)
        used = sum(fields[10:14])  # utime, stime, and cutime, cstime of the reaped workers
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(FileNotFoundError):  # a worker that just exited
                used += sum(_stat(int(child))[10:12])  # utime, stime
        return used / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[int]:
    """The numeric fields of /proc/<pid>/stat, from the fourth (ppid): field n at index n - 4."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return [int(field) for field in text.rsplit(")", 1)[1].split()[1:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("server exited during start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    sys.exit("server did not start")


@contextmanager
def served(workers: int | None = None, anonymous_limit: str = "off") -> Iterator[Server]:
    """A fresh server for the length of the block. Its anonymous rate limit
    is off by default: the benchmarks' clients share one address, and they
    measure the work, not refusals."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ELBO_GRADER_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "ELBO_GRADER_SECRET_KEY": secrets.token_urlsafe(32),
            "ELBO_GRADER_RATE_LIMIT_ANONYMOUS": anonymous_limit,
        }
        subprocess.run([ELBO_GRADER, "init-db"], env=env, check=True, capture_output=True)
        key = subprocess.run([ELBO_GRADER, "create-key", "--name", "bench"], env=env, check=True,
                             capture_output=True, text=True).stdout.splitlines()[-1]
        port = _free_port()
        command = [ELBO_GRADER, "serve", "--host", "127.0.0.1", "--port", str(port)]
        if workers:
            command += ["--workers", str(workers)]
        with open(Path(tmp) / "server.log", "w") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_ready(port, process)
                yield Server(port, key, tuple(command[1:]), process.pid)
            finally:
                process.terminate()
                process.wait(timeout=30)
