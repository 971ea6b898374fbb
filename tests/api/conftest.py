"""Fixtures for the HTTP service: an app and a test client per database.

Every test using ``app``/``client`` runs on SQLite (a temporary file) and,
when ELBO_GRADER_TEST_POSTGRES_URL names a PostgreSQL server, again on a
database of its own created there for the session and dropped after it.
Each test starts from empty tables.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from api_helpers import bearer
from sqlalchemy import create_engine, make_url, text

from api import create_app
from api.auth import create_key
from api.db import database, make_engine, upgrade
from api.models import Base

POSTGRES_URL = os.environ.get("ELBO_GRADER_TEST_POSTGRES_URL")
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
ELBO_GRADER = str(Path(sys.executable).with_name("elbo-grader"))


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated database for the session, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'elbo-grader.db'}"
        _migrate(url)
        yield url
        return
    assert POSTGRES_URL is not None  # BACKENDS holds "postgresql" only then
    name = f"elbo_grader_test_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture
def make_app(database_url):
    """``make_app(**settings)``: apps on the session's database, emptied after the test."""
    apps = []

    def make(**overrides):
        # No rate limits unless a test sets them: the suite sends many writes from one address.
        settings = {
            "database_url": database_url,
            "practice": True,
            "secret_key": TEST_SECRET_KEY,
            "rate_limit_anonymous": None,
            "rate_limit_student": None,
        }
        app = create_app({**settings, **overrides})
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    for app in apps:
        database(app).engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def instructor(app) -> dict[str, str]:
    """Headers carrying a fresh instructor key."""
    with database(app).sessions() as session:
        return bearer(create_key(session, "tests"))


@dataclass
class Assignment:
    """A problem set with alice's and bob's variants and tokens."""

    problem_set_id: str
    tokens: dict[str, dict[str, str]]  # student → headers
    problems: dict[str, str]  # student → problem id of item 0
    created: dict  # the creation response


def create_set(client, headers, students, items=({"template": "elbo-gap"},), **fields) -> dict:
    """POST /problem-sets → the 201 body."""
    body = {"title": "Week 6", "seed": 2026, "items": list(items), "students": list(students), **fields}
    response = client.post("/api/v1/problem-sets", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def as_assignment(created: dict) -> Assignment:
    return Assignment(
        created["id"],
        {entry["student_id"]: bearer(entry["access_token"]) for entry in created["students"]},
        {entry["student_id"]: entry["problems"][0]["problem_id"] for entry in created["students"]},
        created,
    )


@pytest.fixture
def make_set(client, instructor):
    """``make_set(students, items=..., policy=..., due_at=...)`` → an :class:`Assignment`."""

    def make(students=("alice", "bob"), **fields) -> Assignment:
        return as_assignment(create_set(client, instructor, students, **fields))

    return make


@pytest.fixture
def assignment(make_set) -> Assignment:
    """Alice's and bob's variants of one elbo-gap item, and their tokens."""
    return make_set()


@pytest.fixture
def make_problem(client, instructor):
    """``make_problem(template=..., params=..., policy=..., seed=...)`` → the problem view."""

    def make(template="elbo-gap", **fields):
        body = {"template": template, **fields}
        headers = instructor if fields.get("params") is not None else {}
        response = client.post("/api/v1/problems", json=body, headers=headers)
        assert response.status_code == 201, response.json
        return response.json

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A real ``elbo-grader serve`` on 127.0.0.1, on its own SQLite file."""

    def __init__(self, tmp_path: Path, workers: int, env: dict[str, str]):
        self.database = tmp_path / "served.db"
        self.env = {
            **os.environ,
            "ELBO_GRADER_DATABASE_URL": f"sqlite:///{self.database}",
            "ELBO_GRADER_PRACTICE": "on",
            "ELBO_GRADER_SECRET_KEY": TEST_SECRET_KEY,
            # Anonymous load from one address, as a class behind one NAT would send.
            "ELBO_GRADER_RATE_LIMIT_ANONYMOUS": "off",
            **env,
        }
        self.run("init-db")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(tmp_path / "server.log", "w+")
        self.process = subprocess.Popen(
            [ELBO_GRADER, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def run(self, *args: str) -> str:
        """Run an ``elbo-grader`` command on the server's database; its output."""
        return subprocess.run(
            [ELBO_GRADER, *args], env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # refused, reset or timed out while workers boot
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()

    def kill(self) -> None:
        """SIGKILL gunicorn and its workers at once, as a crash would."""
        pid = self.process.pid
        workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(worker), signal.SIGKILL)
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def serve(tmp_path):
    """``serve(workers=2, **env)`` → a running :class:`Server`, stopped after the test."""
    servers = []

    def start(workers: int = 2, **env: str) -> Server:
        servers.append(Server(tmp_path, workers, env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
