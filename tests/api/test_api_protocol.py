"""What reaches a real gunicorn before the app can parse it: chunked bodies,
malformed chunks, over-long request lines and headers, stalled bodies. Every
refusal is a 4xx application/problem+json, and no worker is lost."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from conftest import Server

pytestmark = pytest.mark.slow

BODY_TIMEOUT = 1  # seconds, so a stalled body is refused quickly here


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    served = Server(tmp_path_factory.mktemp("protocol"), 2, {"ELBO_GRADER_BODY_TIMEOUT": str(BODY_TIMEOUT)})
    yield served
    served.stop()


def exchange(server: Server, raw: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a fresh connection; the status, headers and body of the answer."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def assert_problem_json(answer: tuple[int, dict[str, str], bytes], status: int) -> dict:
    got, headers, body = answer
    assert got == status, body
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status and problem["detail"]
    return problem


def chunked(path: str, body: bytes, chunk_size: int = 4096) -> bytes:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i:i + chunk_size]), body[i:i + chunk_size])
        for i in range(0, len(body), chunk_size)
    )
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + chunks + b"0\r\n\r\n"


def test_a_small_chunked_body_is_read_whole(server):
    status, _, body = exchange(server, chunked("/api/v1/problems", b'{"template": "elbo-gap", "seed": 7}', 5))
    assert status == 201
    assert json.loads(body)["seed"] == 7


def test_a_chunked_body_over_64_kib_is_refused_not_cut(server):
    # Valid JSON for its first 70 KB: read only up to the limit, it would be stored.
    valid = json.dumps({"template": "elbo-gap", "seed": 8, "policy": None}).encode()
    body = valid + b" " * (70_000 - len(valid)) + b"THIS IS NOT JSON"
    assert_problem_json(exchange(server, chunked("/api/v1/problems", body)), 413)


def test_a_malformed_chunk_is_400(server):
    raw = (
        b"POST /api/v1/problems HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    )
    assert_problem_json(exchange(server, raw), 400)


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"GET /" + b"a" * 8200 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
         + b"".join(b"X-Header-%d: %d\r\n" % (i, i) for i in range(150)) + b"\r\n", 431),
        (b"THIS IS NOT HTTP\r\n\r\n", 400),
        (b"GET /healthz HTTP/9.9\r\nHost: localhost\r\n\r\n", 400),
    ],
    ids=["request-line-8kb", "150-headers", "bad-request-line", "bad-version"],
)
def test_requests_gunicorn_refuses_are_problem_json(server, raw, status):
    assert_problem_json(exchange(server, raw), status)


def test_a_body_shorter_than_its_content_length_times_out_fast_with_408(server):
    raw = (
        b"POST /api/v1/problems HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n" + b'{"template": "elbo-gap"'
    )
    # The socket's own timeout bounds the wait: far below gunicorn's 30 s worker timeout.
    problem = assert_problem_json(exchange(server, raw, timeout=BODY_TIMEOUT + 5), 408)
    assert "stopped arriving" in problem["detail"]
    # The worker lived on: it answers, and nothing killed it.
    assert requests.get(f"{server.url}/healthz").status_code == 200
    assert "WORKER TIMEOUT" not in server.output()


def test_connections_that_send_nothing_do_not_hold_the_workers(server):
    # As many silent connections as workers (a browser's speculative preconnects):
    # each is dropped after the body timeout, so a real request is still served.
    host, port = server.url.removeprefix("http://").split(":")
    silent = [socket.create_connection((host, int(port))) for _ in range(2)]
    try:
        answer = requests.get(f"{server.url}/healthz", timeout=BODY_TIMEOUT * 4)
        assert answer.status_code == 200
        for sock in silent:  # dropped by the server, not answered
            sock.settimeout(BODY_TIMEOUT * 4)
            assert sock.recv(1) == b""
    finally:
        for sock in silent:
            sock.close()
