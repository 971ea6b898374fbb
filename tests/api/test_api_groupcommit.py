"""Group commit on the SQLite file (api.groupcommit): every commit is fsynced
before its transaction returns, and one fsync serves the commits made before it began."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event

from api.db import make_engine
from api.groupcommit import GroupCommit

_ROWS = Table("rows", MetaData(), Column("n", Integer, primary_key=True))


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "group.db")
    engine = make_engine(f"sqlite:///{path}", group_commit=True)
    _ROWS.metadata.create_all(engine)
    yield engine, GroupCommit(path), path
    engine.dispose()


@pytest.fixture
def events(database, monkeypatch):
    """What happened, in order: "commit" for each commit, then the paths synced
    (fsync or fdatasync)."""
    engine, _, _ = database
    happened: list[str] = []
    event.listen(engine, "commit", lambda _connection: happened.append("commit"))
    for name in ("fsync", "fdatasync"):
        monkeypatch.setattr(os, name, _traced(getattr(os, name), happened))
    return happened


def _traced(sync, happened: list[str]):
    def traced(fd: int) -> None:
        sync(fd)
        happened.append(os.readlink(f"/proc/self/fd/{fd}"))

    return traced


def _insert(engine, n: int) -> None:
    with engine.begin() as connection:
        connection.execute(_ROWS.insert(), {"n": n})


def test_server_connections_leave_the_fsync_to_group_commit_and_others_sync_each_commit(tmp_path):
    def synchronous(engine) -> int:
        with engine.connect() as connection:
            return connection.exec_driver_sql("PRAGMA synchronous").scalar()

    server, cli = (make_engine(f"sqlite:///{tmp_path}/x.db", group_commit=flag) for flag in (True, False))
    assert (synchronous(server), synchronous(cli)) == (1, 2)  # NORMAL, FULL
    server.dispose()
    cli.dispose()


def test_a_commit_is_fsynced_before_its_transaction_returns(database, events):
    engine, group, path = database
    with group.transaction():
        _insert(engine, 1)
    # A new WAL file: its directory entry is synced too, once.
    assert events == ["commit", f"{path}-wal", os.path.dirname(path)]
    events.clear()
    with group.transaction():
        _insert(engine, 2)
    assert events == ["commit", f"{path}-wal"]
    assert group.counts() == (2, 2)


def test_a_recreated_wal_file_gets_its_directory_synced_again(database, events):
    engine, group, path = database
    with group.transaction():
        _insert(engine, 1)
    engine.dispose()  # the last connection checkpoints the WAL and removes it
    assert not os.path.exists(f"{path}-wal")
    events.clear()
    with group.transaction():
        _insert(engine, 2)
    assert events == ["commit", f"{path}-wal", os.path.dirname(path)]


def test_a_rolled_back_transaction_is_neither_counted_nor_synced(database, events):
    engine, group, _ = database
    with pytest.raises(RuntimeError), group.transaction(), engine.begin() as connection:
        connection.execute(_ROWS.insert(), {"n": 1})
        raise RuntimeError("refused")
    assert events == []
    assert group.counts() == (0, 0)
    with engine.connect() as connection:
        assert connection.execute(_ROWS.select()).all() == []


def test_a_ticket_an_earlier_fsync_covered_needs_none(database, events):
    engine, group, _ = database
    with group.transaction():
        _insert(engine, 1)
    events.clear()
    assert group.sync_through(1) is False
    assert events == []


def test_one_fsync_serves_every_commit_made_before_it_began(database, events, monkeypatch):
    engine, group, path = database
    with group.transaction():
        _insert(engine, 0)  # the WAL and its directory entry exist from here on
    events.clear()
    first_fsync_started, release_first = threading.Event(), threading.Event()
    traced_fdatasync = os.fdatasync

    def fdatasync(fd: int) -> None:
        if not first_fsync_started.is_set():
            first_fsync_started.set()
            assert release_first.wait(10)
        traced_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    tickets: list[int] = []  # of the commits counted and waiting for their sync
    sync_through = GroupCommit.sync_through

    def counted(self, ticket: int) -> bool:
        tickets.append(ticket)
        return sync_through(self, ticket)

    monkeypatch.setattr(GroupCommit, "sync_through", counted)

    def writer(n: int) -> None:
        with group.transaction():
            _insert(engine, n)

    first = threading.Thread(target=writer, args=(1,))
    first.start()
    assert first_fsync_started.wait(10)
    # While the first writer's fsync runs, two more commit and queue for the next one.
    others = [threading.Thread(target=writer, args=(n,)) for n in (2, 3)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(tickets) < 3:
        assert time.monotonic() < deadline, f"only {len(tickets)} of 3 writers reached the sync"
        threading.Event().wait(0.01)
    release_first.set()
    for thread in (first, *others):
        thread.join(10)
        assert not thread.is_alive()
    assert events.count("commit") == 3
    assert events.count(f"{path}-wal") == 2  # the first writer's, then one for both others
    assert group.counts() == (4, 4)
