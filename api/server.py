"""gunicorn, run in-process (``elbo-grader serve``).

Settings chosen by measurement with bench/bench_http.py (32 clients, SQLite,
2 cores; README "Deploying" has the figures): sync workers, twice as many
as cores. Threads (gthread) doubled the grading p99 and lost throughput.
With group commit, a worker waiting for its sync leaves the CPU to another:
four sync workers on two cores served both endpoints faster than two, with
a lower grading p99. Sync workers keep no connection alive: behind a load
balancer, put a buffering proxy (nginx) in front of each server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from gunicorn.app.base import BaseApplication

from api import create_app

# One line per request: client, request line, status, bytes, latency and id.
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1)


def gunicorn_settings(host: str, port: int, workers: int) -> dict[str, object]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        # A request takes milliseconds; a worker silent this long is stuck
        # (sync workers: a slow client holds one too, hence the proxy).
        "timeout": 30,
        "graceful_timeout": 30,
        # Recycle workers now and then, staggered so they never restart
        # together; a restart (≈0.5 s of imports) is noise over 10,000 requests.
        "max_requests": 10_000,
        "max_requests_jitter": 1_000,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        # Its default path is shared by every gunicorn of the user; unused here.
        "control_socket_disable": True,
    }


class Server(BaseApplication):
    def __init__(self, options: Mapping[str, object]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self):
        return create_app()
