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

import json
import os
import select
from collections.abc import Mapping
from http import HTTPStatus

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.sync import SyncWorker

from api import create_app
from api.errors import PROBLEM_JSON

# One line per request: client, request line, status, bytes, latency and id.
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'


# Requests gunicorn refuses before the app sees them, by the status it gives
# them; the first matching class wins. Every other parse error is a 400.
_PROTOCOL_ERRORS: tuple[tuple[type[Exception], int], ...] = (
    (http_errors.InvalidResponseHeader, 500),  # the app's fault, not the client's
    (http_errors.InvalidResponseHeaderName, 500),
    (http_errors.ConfigurationProblem, 500),
    (http_errors.LimitRequestLine, 414),
    (http_errors.LimitRequestHeaders, 431),
    (http_errors.ForbiddenProxyRequest, 403),
    (http_errors.UnsupportedTransferCoding, 501),
    (http_errors.ExpectationFailed, 417),
    (http_errors.ParseException, 400),
)


def protocol_error_status(error: BaseException) -> int | None:
    """The status of a request gunicorn could not parse; None for anything else."""
    return next((status for kind, status in _PROTOCOL_ERRORS if isinstance(error, kind)), None)


class ProblemJsonWorker(SyncWorker):
    """gunicorn's sync worker, answering the requests it cannot parse (an
    over-long request line, too many headers, a bad chunk) with
    ``application/problem+json`` like every other error, not its HTML page;
    and dropping a connection on which no request starts within the body
    timeout (a browser's speculative preconnect, a stalled client), which
    would otherwise hold the worker until gunicorn kills it."""

    def handle(self, listener, client, addr):
        waited = self.wsgi.config["SETTINGS"].body_timeout
        readable, _, _ = select.select([client], [], [], waited)
        if not readable:
            self.log.debug("Closing a connection that sent nothing for %s s.", waited)
            util.close(client)
            return
        super().handle(listener, client, addr)

    def handle_error(self, req, client, addr, exc):
        status = protocol_error_status(exc)
        if status is None or status == 500:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        phrase = HTTPStatus(status).phrase
        body = json.dumps(
            {"type": "about:blank", "title": phrase, "status": status,
             "detail": f"The request cannot be read: {exc or type(exc).__name__}."}
        ).encode()
        head = (f"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        try:
            util.write_nonblock(client, head + body)
        except OSError:
            self.log.debug("Failed to send error message.")


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1)


def gunicorn_settings(host: str, port: int, workers: int) -> dict[str, object]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": ProblemJsonWorker,
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
        # Each worker process sends the LTI score outbox in a thread of its own.
        return create_app({"drain_outbox": True})
