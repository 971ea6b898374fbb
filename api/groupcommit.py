"""Group commit on the SQLite file: a write is on disk before it is
acknowledged, and one fsync serves every writer that committed meanwhile.

With ``synchronous=FULL`` SQLite fsyncs its WAL inside each commit, while
the committing writer still holds the database's one write lock, so writers
of every process also queue behind each other's fsync. Here connections run
``synchronous=NORMAL`` (a commit writes its WAL frames but does not fsync
them; checkpoints still sync) and :meth:`GroupCommit.transaction` makes the
commit durable after the lock is released: it fsyncs the WAL unless an fsync
begun after this commit has already finished. While one fsync runs, the
others commit; the next fsync covers them all.

Two counters, shared by the processes in the writers' lock file:
``committed`` (commits so far, changed under that file's exclusive lock) and
``synced`` (commits known to be on disk, read and changed under the sync
lock). Every access holds the counter's lock, so no process sees one half
written; and as both live in one file, they are reset together.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
from collections.abc import Iterator

_COUNTER = struct.Struct("<Q")
_COMMITTED, _SYNCED = 0, _COUNTER.size  # offsets in the writers' lock file
_WAL_HEADER = 32  # bytes


@contextlib.contextmanager
def _opened(path: str) -> Iterator[int]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)  # also releases its flock


@contextlib.contextmanager
def _locked(path: str, mode: int) -> Iterator[int]:
    """The file opened and flock'ed. Opened per use: flock excludes open
    files, not processes or threads, so each holder needs its own."""
    with _opened(path) as fd:
        fcntl.flock(fd, mode)
        yield fd


def _read(fd: int, offset: int) -> int:
    data = os.pread(fd, _COUNTER.size, offset)
    return _COUNTER.unpack(data)[0] if len(data) == _COUNTER.size else 0


def _write(fd: int, offset: int, value: int) -> None:
    os.pwrite(fd, _COUNTER.pack(value), offset)


class GroupCommit:
    """Durable, queued writes to one SQLite file, for every process using it."""

    def __init__(self, database_path: str) -> None:
        self.wal_path = f"{database_path}-wal"
        self.writers_path = f"{database_path}-writers.lock"
        self.sync_path = f"{database_path}-sync.lock"
        self._directory = os.path.dirname(os.path.abspath(database_path))
        # The WAL file this process last fsynced together with its directory.
        self._wal_known: tuple[int, int, bytes] | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Around one write transaction, which commits at the end of the block.

        Writers of every process take turns: flock wakes the next one as soon
        as the lock is free, where SQLite's busy handler polls with sleeps of
        up to 100 ms. Returns once the commit is on disk; if the block
        raises (rolled back), nothing is counted or synced.
        """
        with _locked(self.writers_path, fcntl.LOCK_EX) as writers_fd:
            yield
            ticket = _read(writers_fd, _COMMITTED) + 1
            _write(writers_fd, _COMMITTED, ticket)
        self.sync_through(ticket)

    def sync_through(self, ticket: int) -> bool:
        """Return once the commit counted as number ``ticket`` is on disk;
        True if this call fsynced, False if an earlier fsync covered it."""
        with _locked(self.sync_path, fcntl.LOCK_EX), _opened(self.writers_path) as counters:
            if _read(counters, _SYNCED) >= ticket:
                return False  # an fsync begun after that commit has finished
            # Every commit counted so far has written its frames: one fsync makes them all durable.
            fcntl.flock(counters, fcntl.LOCK_SH)  # wait for a commit under way, then count it too
            committed = _read(counters, _COMMITTED)
            fcntl.flock(counters, fcntl.LOCK_UN)
            self._fsync_wal()
            _write(counters, _SYNCED, committed)
            return True

    def counts(self) -> tuple[int, int]:
        """(committed, synced): the commits so far, and those known to be on disk."""
        with _locked(self.sync_path, fcntl.LOCK_EX), _locked(self.writers_path, fcntl.LOCK_SH) as counters:
            return _read(counters, _COMMITTED), _read(counters, _SYNCED)

    def _fsync_wal(self) -> None:
        try:
            fd = os.open(self.wal_path, os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: the last connection checkpointed it into the (synced) database and removed it
        try:
            # Data and size, as SQLite's own WAL sync: no journal commit for the file's times.
            os.fdatasync(fd)
            identity = os.fstat(fd)
            # A recreated file may get the old one's inode number; its header
            # (checkpoint sequence, salts) still differs, as it does after each WAL reset.
            wal = (identity.st_dev, identity.st_ino, os.pread(fd, _WAL_HEADER, 0))
        finally:
            os.close(fd)
        if wal != self._wal_known:
            # Maybe a new WAL file: its directory entry must be on disk too.
            directory = os.open(self._directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self._wal_known = wal
