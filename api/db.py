"""Engine, per-request sessions and migrations (SQLAlchemy 2, Alembic).

SQLite is the embedded default; PostgreSQL (``postgresql+psycopg://``) runs
the same code for several servers sharing one database.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import alembic.command
import alembic.config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.groupcommit import GroupCommit

_EXTENSION = "elbo_grader.db"
# Any constant: serialises concurrent `init-db` runs of several servers on PostgreSQL.
_MIGRATION_LOCK = 0x656C626F


def _json_default(value: object) -> str:
    # Answers arrive as Decimal (see api.jsonbody); stored as their exact decimal text.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: object) -> str:
    return json.dumps(value, default=_json_default, allow_nan=False)


def _sqlite_pragmas(dbapi_connection, _record, synchronous: str) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer. busy_timeout: writers queue for
    # the lock instead of failing. synchronous: FULL fsyncs in each commit,
    # NORMAL leaves it to the server's group commit (api.groupcommit).
    # foreign_keys: SQLite leaves them off unless asked.
    for pragma in (
        "journal_mode=WAL",
        "busy_timeout=10000",
        f"synchronous={synchronous}",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def sqlite_file(url: URL) -> str | None:
    """The file of an SQLite URL; None in memory or on another backend."""
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return url.database
    return None


def make_engine(database_url: str, group_commit: bool = False) -> Engine:
    """An engine; on SQLite, ``group_commit`` means its writes go through
    :class:`GroupCommit`, which makes them durable, and otherwise each commit syncs."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if path := sqlite_file(url):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=_dumps)
        synchronous = "NORMAL" if group_commit else "FULL"
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, synchronous=synchronous))
        return engine
    # pre_ping: a server restart of PostgreSQL costs one retried checkout, not a 500.
    return create_engine(url, json_serializer=_dumps, pool_pre_ping=True)


def _migrations() -> alembic.config.Config:
    config = alembic.config.Config()
    config.set_main_option("script_location", "api:migrations")
    return config


def migration_state(engine: Engine) -> tuple[str | None, str]:
    """The database's migration (None before the first) and the latest one."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    latest = ScriptDirectory.from_config(_migrations()).get_current_head()
    assert latest is not None  # the project ships its migrations
    return current, latest


def backup(engine: Engine, target: Path) -> None:
    """Copy an SQLite database to ``target``, a new file, while servers go on
    writing: VACUUM INTO copies one read snapshot, so the copy holds every
    transaction committed before it began and nothing of any other. The copy
    and its directory entry are synced before this returns."""
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM INTO ?", (str(target),))
    for path, flags in ((target, os.O_RDONLY), (target.parent, os.O_RDONLY | os.O_DIRECTORY)):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _insert(session: Session) -> Callable[..., Any]:
    """The INSERT of the session's database dialect (for its ON CONFLICT clauses)."""
    return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[session.get_bind().dialect.name]


def insert_new(session: Session, model: type, keys: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows``, skipping any whose ``keys`` (a unique index) a row already holds."""
    if rows:
        session.execute(_insert(session)(model).on_conflict_do_nothing(index_elements=keys), rows)


def upsert(session: Session, model: type, keys: Sequence[str], values: Mapping[str, Any]) -> None:
    """Insert one row, or update the row its ``keys`` (a unique index) find with the other ``values``."""
    statement: Any = _insert(session)(model).values(**values)
    changed = {name: statement.excluded[name] for name in values if name not in keys and name != "id"}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))


def one_at_a_time(connection: Connection | Session, key: int) -> None:
    """In a transaction: wait until no other transaction holding ``key`` runs,
    and hold it to the end of this one. On PostgreSQL an advisory lock; an
    SQLite file's writers already run one at a time."""
    dialect = connection.dialect if isinstance(connection, Connection) else connection.get_bind().dialect
    if dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def upgrade(engine: Engine) -> None:
    """Bring the database to the latest migration (``elbo-grader init-db``)."""
    config = _migrations()
    with engine.begin() as connection:
        one_at_a_time(connection, _MIGRATION_LOCK)
        config.attributes["connection"] = connection
        alembic.command.upgrade(config, "head")


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    # SQLite files only: where writers queue and how their commits reach the disk.
    group_commit: GroupCommit | None


def init_app(app: Flask, database_url: str) -> None:
    engine = make_engine(database_url, group_commit=True)
    path = sqlite_file(engine.url)
    app.extensions[_EXTENSION] = Database(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        GroupCommit(path) if path else None,
    )
    app.teardown_appcontext(_close_session)


def database(app: Flask) -> Database:
    return app.extensions[_EXTENSION]


def session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = database(current_app).sessions()
    return g.db_session


@contextlib.contextmanager
def write_transaction() -> Iterator[Session]:
    """The request's session for a transaction that writes: committed at the
    end of the block, rolled back if it raises, and on disk when it returns
    (on an SQLite file by :meth:`GroupCommit.transaction`, which also queues
    the writers of every process; on PostgreSQL by the commit itself)."""
    db_session = session()
    group_commit = database(current_app).group_commit
    with group_commit.transaction() if group_commit else contextlib.nullcontext():
        try:
            if (first := g.pop("before_first_write", None)) is not None:
                first(db_session)
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise


def before_first_write(callback: Callable[[Session], None]) -> None:
    """Have the request's next write transaction begin with ``callback(session)``,
    so that what it writes commits or rolls back with the request's own writes."""
    g.before_first_write = callback


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
