"""``elbo-grader``: init-db, create-key, list-keys, revoke-key, backup, serve."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.auth import create_key, find_key, instructor_keys, revoke_key
from api.config import Settings, load_settings, secret_key
from api.db import backup, make_engine, migration_state, sqlite_file, upgrade
from api.models import ProblemRecord, ProblemSetRecord, SubmissionRecord
from api.server import Server, default_workers, gunicorn_settings
from api.tokens import issued_with, newest_token


def _init_db(args: argparse.Namespace, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    print("Database is at the latest migration.")


def _create_key(args: argparse.Namespace, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        token = create_key(session, args.name)
    engine.dispose()
    print(f"Instructor key {args.name!r} created. It is shown only now; keep it secret:")
    print(token)


def _list_keys(args: argparse.Namespace, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        keys = instructor_keys(session)
    engine.dispose()
    if not keys:
        print("No instructor keys; make one with `elbo-grader create-key --name NAME`.")
        return
    print(f"{'id':>4}  {'created (UTC)':<20} {'status':<29} name")
    for key in keys:
        status = "active" if key.revoked_at is None else f"revoked {_when(key.revoked_at)}"
        print(f"{key.id:>4}  {_when(key.created_at):<20} {status:<29} {key.name}")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _revoke_key(args: argparse.Namespace, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            key = find_key(session, args.key)
            if key is None:
                sys.exit(f"elbo-grader revoke-key: no instructor key {args.key!r}; "
                         "`elbo-grader list-keys` lists them")
            revoked = revoke_key(session, key)
            described, when = f"Instructor key {key.id} ({key.name!r})", _when(key.revoked_at)
    finally:
        engine.dispose()
    if revoked:
        print(f"{described} revoked: from now on it is refused (401).")
    else:
        print(f"{described} was already revoked, at {when} UTC.")


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    _check_database(settings)
    # Each worker's create_app() reads the same environment again.
    Server(gunicorn_settings(args.host, args.port, args.workers)).run()


def _check_database(settings: Settings) -> None:
    """Refuse to serve a database that is unreachable or not at the latest
    migration, where requests would fail; warn when another secret key
    issued its newest student token: that server shows no tokens (500)
    until it gets the same key. Only a warning, since changing the key on
    purpose is allowed (issued tokens keep working; reissued ones are
    shown again)."""
    engine = make_engine(settings.database_url)
    try:
        current, latest = migration_state(engine)
        if current != latest:
            sys.exit(f"elbo-grader serve: the database is at migration {current or 'none'}, this version "
                     f"needs {latest}; run `elbo-grader init-db` first")
        with Session(engine) as session:
            token = newest_token(session)
    except SQLAlchemyError as error:
        sys.exit(f"elbo-grader serve: cannot read the database ({error.__class__.__name__}); "
                 "check ELBO_GRADER_DATABASE_URL, and run `elbo-grader init-db` first")
    finally:
        engine.dispose()
    # The key is read (or made) only once the database has proved usable.
    if token is not None and not issued_with(token, secret_key(settings)):
        logging.getLogger(__name__).warning(
            "the newest student token in this database was issued under another secret key: this server "
            "cannot show tokens until ELBO_GRADER_SECRET_KEY is that key (every server sharing a database "
            "needs the same one), or until they are reissued here"
        )


def _key_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 200:
        raise argparse.ArgumentTypeError("a name of 1 to 200 characters")
    return name


def _bounded(low: int, high: int, what: str):
    def parse(raw: str) -> int:
        if not raw.strip().isascii() or not raw.strip().isdigit() or not low <= int(raw) <= high:
            raise argparse.ArgumentTypeError(f"{what} from {low} to {high}")
        return int(raw)

    return parse


def _backup(args: argparse.Namespace, settings: Settings) -> None:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        sys.exit("elbo-grader backup: copies an SQLite database; back PostgreSQL up with its own tools "
                 "(pg_dump, or base backups with WAL archiving)")
    if sqlite_file(url) is None:
        sys.exit("elbo-grader backup: the database is in memory; there is no file to copy")
    target = Path(args.target).absolute()
    if target.exists():
        sys.exit(f"elbo-grader backup: {target} exists already; a backup never overwrites a file")
    if not target.parent.is_dir():
        sys.exit(f"elbo-grader backup: there is no directory {target.parent}")
    engine = make_engine(settings.database_url)
    try:
        backup(engine, target)
    except SQLAlchemyError as error:
        sys.exit(f"elbo-grader backup: cannot copy the database ({error.__class__.__name__}); "
                 "check ELBO_GRADER_DATABASE_URL")
    finally:
        engine.dispose()
    # Read-only, as it is: no pragma of the server's may change the copy.
    copy = create_engine(f"sqlite:///file:{target}?mode=ro&uri=true")
    try:
        current, _ = migration_state(copy)
        with copy.connect() as connection:
            check = connection.execute(text("PRAGMA integrity_check")).scalar()
            counts = {
                name: connection.execute(select(func.count()).select_from(table)).scalar()
                for name, table in (("problem sets", ProblemSetRecord), ("problems", ProblemRecord),
                                    ("submissions", SubmissionRecord))
            }
    finally:
        copy.dispose()
    print(f"Backed up to {target} (integrity check: {check}; migration {current}): "
          + ", ".join(f"{name}: {count:,}" for name, count in counts.items()) + ".")
    where = ("ELBO_GRADER_SECRET_KEY" if settings.secret_key is not None
             else f"the key file {settings.secret_key_file}")
    print(f"Student tokens are derived from {where}: a server restored from this copy needs the same key.")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="elbo-grader", description="The elbo-grader HTTP service.")
    commands = root.add_subparsers(dest="command", required=True)

    init_db = commands.add_parser("init-db", help="create or migrate the database to the latest schema")
    init_db.set_defaults(run=_init_db)

    key = commands.add_parser("create-key", help="make an instructor key; printed once, as the last line")
    key.add_argument("--name", required=True, type=_key_name, help="who or what the key is for")
    key.set_defaults(run=_create_key)

    listing = commands.add_parser("list-keys", help="list the instructor keys (ids, names, revoked or not)")
    listing.set_defaults(run=_list_keys)

    revoke = commands.add_parser("revoke-key", help="revoke an instructor key at once, on every server")
    revoke.add_argument("key", help="the key's id (from list-keys) or the key itself")
    revoke.set_defaults(run=_revoke_key)

    copy = commands.add_parser(
        "backup", help="copy the SQLite database to a new file, consistently, while servers run"
    )
    copy.add_argument("target", help="the new file (never overwritten)")
    copy.set_defaults(run=_backup)

    serve = commands.add_parser("serve", help="serve the API with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_bounded(1, 65535, "a TCP port"), default=8000)
    serve.add_argument(
        "--workers",
        type=_bounded(1, 64, "a number of worker processes"),
        default=default_workers(),
        help="default: twice the number of cores",
    )
    serve.set_defaults(run=_serve)
    return root


def main(argv: list[str] | None = None) -> None:
    cli = parser()
    args = cli.parse_args(argv)
    try:
        settings = load_settings()
    except ValueError as error:
        cli.error(str(error))
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    args.run(args, settings)
