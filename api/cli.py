"""``elbo-grader``: init-db, create-key, list-keys, revoke-key, backup, serve, and the ``lti`` commands.

A command that cannot do its work says why in one line on stderr and exits
with status 2, as argparse does for a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import uuid
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api import create_app
from api.auth import create_key, find_key, instructor_keys, revoke_key
from api.config import Settings, load_settings, secret_key
from api.db import backup, make_engine, migration_state, sqlite_file, upgrade
from api.errors import ApiError
from api.lti import keys as lti_keys
from api.lti import passback, roster_sync
from api.lti import platforms as lti_platforms
from api.lti.errors import LtiError
from api.models import ProblemRecord, ProblemSetRecord, SubmissionRecord
from api.server import Server, default_workers, gunicorn_settings
from api.tokens import issued_with, newest_token
from grader.gradebook import number_text


def _init_db(args: argparse.Namespace, settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    print("Database is at the latest migration.")


def _refuse(command: str, message: str) -> NoReturn:
    print(f"elbo-grader {command}: {message}", file=sys.stderr)
    sys.exit(2)


def _migrated(command: str, settings: Settings) -> Engine:
    """An engine on the database, refused (exit 2) unless it exists and is at
    the latest migration: a command never makes a database as a side effect."""
    path = sqlite_file(make_url(settings.database_url))
    if path is not None and not Path(path).exists():
        _refuse(command, f"there is no database at {path}; run `elbo-grader init-db` first, "
                         "or set ELBO_GRADER_DATABASE_URL")
    engine = make_engine(settings.database_url)
    try:
        current, latest = migration_state(engine)
    except SQLAlchemyError as error:
        engine.dispose()
        _refuse(command, f"cannot read the database ({error.__class__.__name__}); "
                         "check ELBO_GRADER_DATABASE_URL, and run `elbo-grader init-db` first")
    if current != latest:
        engine.dispose()
        _refuse(command, f"the database is at migration {current or 'none'}, this version needs {latest}; "
                         "run `elbo-grader init-db` first")
    return engine


def _create_key(args: argparse.Namespace, settings: Settings) -> None:
    engine = _migrated("create-key", settings)
    with Session(engine) as session:
        token = create_key(session, args.name)
    engine.dispose()
    print(f"Instructor key {args.name!r} created. It is shown only now; keep it secret:")
    print(token)


def _list_keys(args: argparse.Namespace, settings: Settings) -> None:
    engine = _migrated("list-keys", settings)
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
    engine = _migrated("revoke-key", settings)
    try:
        with Session(engine) as session:
            key = find_key(session, args.key)
            if key is None:
                _refuse("revoke-key", f"no instructor key {args.key!r}; `elbo-grader list-keys` lists them")
            revoked = revoke_key(session, key)
            assert key.revoked_at is not None  # revoke_key set it, now or before
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
    """Refuse to serve a database that is missing, unreachable or not at the
    latest migration, where requests would fail; warn when another secret key
    issued its newest student token: that server shows no tokens (500)
    until it gets the same key. Only a warning, since changing the key on
    purpose is allowed (issued tokens keep working; reissued ones are
    shown again)."""
    engine = _migrated("serve", settings)
    try:
        with Session(engine) as session:
            token = newest_token(session)
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
        _refuse("backup", "copies an SQLite database; back PostgreSQL up with its own tools "
                          "(pg_dump, or base backups with WAL archiving)")
    if sqlite_file(url) is None:
        _refuse("backup", "the database is in memory; there is no file to copy")
    target = Path(args.target).absolute()
    if target.exists():
        _refuse("backup", f"{target} exists already; a backup never overwrites a file")
    if not target.parent.is_dir():
        _refuse("backup", f"there is no directory {target.parent}")
    engine = _migrated("backup", settings)
    try:
        backup(engine, target)
    except SQLAlchemyError as error:
        _refuse("backup", f"cannot copy the database ({error.__class__.__name__}); check ELBO_GRADER_DATABASE_URL")
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


def _lti(command: str, settings: Settings, work):
    """Run ``work(session)`` on the migrated database; an LtiError is the command's refusal."""
    engine = _migrated(f"lti {command}", settings)
    try:
        with Session(engine) as session:
            return work(session)
    except LtiError as error:
        _refuse(f"lti {command}", str(error))
    finally:
        engine.dispose()


def _print_platform(registration: lti_platforms.Registration) -> None:
    print(f"{registration.id}  {registration.name or '(no name)'}  registered {_when(registration.created_at)} UTC")
    print(f"  issuer {registration.issuer}, client id {registration.client_id}, "
          f"deployments {', '.join(registration.deployments)}")
    print(f"  login {registration.login_url}")
    print(f"  token {registration.token_url}")
    print(f"  JWKS  {registration.jwks_url}")


def _add_platform(args: argparse.Namespace, settings: Settings) -> None:
    if args.base_url is None:
        _refuse("lti add-platform", "give the service's public URL with --base-url or ELBO_GRADER_PUBLIC_URL")
    try:
        base = lti_platforms.check_url("the base URL", args.base_url).rstrip("/")
    except LtiError as error:
        _refuse("lti add-platform", str(error))
    registration = _lti("add-platform", settings, lambda session: lti_platforms.add_platform(
        session, issuer=args.issuer, client_id=args.client_id, deployment_ids=args.deployment_id,
        login_url=args.login_url, token_url=args.token_url, jwks_url=args.jwks_url, name=args.name))
    print("Platform registered:")
    _print_platform(registration)
    print("Give the platform these URLs of the tool (docs/lti.md says where each goes in Canvas and Moodle):")
    for what, path in lti_platforms.TOOL_PATHS.items():
        print(f"  {what + ' URL':<18} {base}{path}")
    print("and on each link the custom parameter problem_set_id=<the set's id> (deep linking sets it for you).")


def _add_deployment(args: argparse.Namespace, settings: Settings) -> None:
    registration = _lti("add-deployment", settings,
                        lambda session: lti_platforms.add_deployment(session, args.platform, args.deployment_id))
    print(f"Deployment {args.deployment_id.strip()!r} added:")
    _print_platform(registration)


def _list_platforms(args: argparse.Namespace, settings: Settings) -> None:
    registrations = _lti("list-platforms", settings, lti_platforms.list_platforms)
    if not registrations:
        print("No platforms; register one with `elbo-grader lti add-platform`.")
    for registration in registrations:
        _print_platform(registration)


def _remove_platform(args: argparse.Namespace, settings: Settings) -> None:
    removed = _lti("remove-platform", settings,
                   lambda session: lti_platforms.remove_platform(session, args.platform))
    print(f"Platform {removed.id} ({removed.issuer}) removed: its launches are refused and its instructors' "
          "sessions ended; its students stay on their sets' rosters.")


def _rotate_key(args: argparse.Namespace, settings: Settings) -> None:
    grace = timedelta(days=args.grace_days)
    kid = _lti("rotate-key", settings, lambda session: lti_keys.rotate(session, secret_key(settings), grace))
    print(f"New tool key {kid} signs from now on; the keys it replaces stay in /lti/jwks "
          f"for {args.grace_days} days.")


def _set_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a problem set id (a UUID)") from None


def _passback_status(args: argparse.Namespace, settings: Settings) -> None:
    scores = _lti("passback-status", settings, lambda session: passback.waiting(session, args.failed))
    if not scores:
        print("No failed scores." if args.failed else "No scores waiting: every score was accepted.")
        return
    print(f"{'id':>6}  {'set':<36}  {'student':<24} {'score':>9}  {'status':<7} {'tries':>5}  "
          f"{'next try (UTC)':<20} last error")
    for score in scores:
        next_try = _when(score.next_attempt_at) if score.status == passback.PENDING else "-"
        print(f"{score.id:>6}  {score.problem_set_id!s:<36}  {score.student_id:<24} "
              f"{number_text(score.score_given):>4}/{number_text(score.score_maximum):<4}  {score.status:<7} "
              f"{score.attempts:>5}  {next_try:<20} {score.last_error or '-'}")


def _retry_failed(args: argparse.Namespace, settings: Settings) -> None:
    def work(session: Session) -> int:
        count = passback.retry_failed(session)
        session.commit()
        return count

    print(f"{_lti('retry-failed', settings, work)} failed scores are pending again; the servers send them now.")


def _zeros_after_due(args: argparse.Namespace, settings: Settings) -> None:
    def work(session: Session) -> None:
        if session.get(ProblemSetRecord, args.set_id) is None:
            raise LtiError(f"there is no problem set {args.set_id}")
        passback.set_zeros_after_due(session, args.set_id, args.state == "on")
        session.commit()

    _lti("zeros-after-due", settings, work)
    print(f"Zeros after due {args.state} for set {args.set_id}" + (
        ": once a launched student's due date passes with no submission, the LMS gets a 0." if args.state == "on"
        else "."))


def _sync_roster(args: argparse.Namespace, settings: Settings) -> None:
    _migrated("lti sync-roster", settings).dispose()
    app = create_app()
    with app.app_context():
        try:
            result = roster_sync.sync(args.set_id)
        except (LtiError, ApiError) as error:
            _refuse("lti sync-roster", str(error) if isinstance(error, LtiError) else str(error.description))
    print(f"{len(result.added)} learners added to the roster, {result.already} already on it, "
          f"{result.others} members without the Learner role left out ({result.pages} pages).")
    for sub in result.inactive:
        print(f"Not active in the LMS (kept on the roster): {sub}")
    if result.unusable:
        print(f"Left out: {result.unusable} members whose LMS user id is not an id of 1 to 255 printable characters.")
    if result.ignored_next:
        print(f"Not followed: a next page on another origin, {result.ignored_next}")
    if result.truncated:
        print(f"Stopped after {roster_sync.MAX_PAGES} pages; more members were left out.")


def _lti_commands(commands) -> None:
    group = commands.add_parser("lti", help="LTI 1.3: register platforms (LMSes), rotate the tool's key",
                                description="LTI 1.3: register platforms (LMSes), rotate the tool's key.")
    lti = group.add_subparsers(dest="lti_command", required=True)
    add = _command(lti, "add-platform", "register an LMS platform and print the tool's URLs to give it",
                   _add_platform, _PUBLIC_URL)
    add.add_argument("--issuer", required=True, help="the platform's issuer (iss)")
    add.add_argument("--client-id", required=True, help="the client id the platform gave this tool")
    add.add_argument("--deployment-id", required=True, action="append",
                     help="a deployment id (repeat for several; add more later with add-deployment)")
    add.add_argument("--login-url", required=True, help="the platform's OIDC authorisation URL")
    add.add_argument("--token-url", required=True, help="the platform's OAuth2 token URL")
    add.add_argument("--jwks-url", required=True, help="the platform's public key set URL")
    add.add_argument("--name", help="a name for people")
    add.add_argument("--base-url", default=os.environ.get("ELBO_GRADER_PUBLIC_URL"),
                     help="the service's public URL, e.g. https://grader.example.edu")
    deployment = _command(lti, "add-deployment", "let a registered platform launch with another deployment id",
                          _add_deployment)
    deployment.add_argument("platform", help="the platform's id (from list-platforms)")
    deployment.add_argument("deployment_id", help="the deployment id")
    _command(lti, "list-platforms", "list the registered platforms", _list_platforms)
    remove = _command(lti, "remove-platform", "remove a platform: its launches are refused from then on",
                      _remove_platform)
    remove.add_argument("platform", help="the platform's id (from list-platforms)")
    rotate = _command(lti, "rotate-key", "make a new tool signing key; the old one stays published for a while",
                      _rotate_key, _SECRET)
    rotate.add_argument("--grace-days", type=_bounded(0, 365, "a number of days"), default=7,
                        help="days the replaced keys stay in /lti/jwks for platforms that cached them")
    status = _command(lti, "passback-status", "list the scores waiting to reach the LMS, and those refused",
                      _passback_status)
    status.add_argument("--failed", action="store_true", help="only the scores the LMS refused for good")
    _command(lti, "retry-failed", "send the scores the LMS refused again", _retry_failed)
    zeros = _command(lti, "zeros-after-due", "send a 0 to the LMS for launched students who never submitted "
                     "by their due date", _zeros_after_due)
    zeros.add_argument("set_id", type=_set_id, help="the problem set's id")
    zeros.add_argument("state", choices=("on", "off"))
    sync = _command(lti, "sync-roster", "add the LMS course's learners to the set's roster (Names and Role "
                    "Provisioning)", _sync_roster, _SECRET)
    sync.add_argument("set_id", type=_set_id, help="the problem set's id")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown after each option; the environment listed as written."""


_DATABASE = "  ELBO_GRADER_DATABASE_URL  the database (default: an SQLite file under ./instance/)"
_LOG_LEVEL = "  ELBO_GRADER_LOG_LEVEL     DEBUG, INFO (default), WARNING or ERROR"
_SECRET = ("  ELBO_GRADER_SECRET_KEY    the key student tokens derive from (default: one made once in "
           "./instance/secret-key)")
_PUBLIC_URL = "  ELBO_GRADER_PUBLIC_URL    the service's public URL (the default of --base-url)"
_SERVING = (
    "  ELBO_GRADER_PRACTICE      anonymous practice on or off (default: on)",
    "  ELBO_GRADER_RATE_LIMIT_ANONYMOUS, _STUDENT, _INSTRUCTOR",
    "                            writes per caller, e.g. 120/minute, or off (defaults: 120/minute, 60/minute, off)",
    "  ELBO_GRADER_TRUSTED_PROXIES  proxies that append to X-Forwarded-For (default: 0)",
    "  ELBO_GRADER_BODY_TIMEOUT  seconds a request body may stall before a 408 (default: 5)",
)


def _command(commands, name: str, summary: str, run, *environment: str) -> argparse.ArgumentParser:
    """A subcommand whose help ends with the environment variables it reads."""
    epilog = "environment:\n" + "\n".join((_DATABASE, *environment, _LOG_LEVEL))
    command = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                                  epilog=epilog, formatter_class=_HelpFormatter)
    command.set_defaults(run=run)
    return command


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="elbo-grader", description="The elbo-grader HTTP service.",
                                   epilog="`elbo-grader COMMAND --help` says what each command reads.")
    root.add_argument("--version", action="version", version=f"%(prog)s {version('elbo-grader')}")
    commands = root.add_subparsers(dest="command", required=True)

    _command(commands, "init-db", "create or migrate the database to the latest schema", _init_db)
    key = _command(commands, "create-key", "make an instructor key; printed once, as the last line", _create_key)
    key.add_argument("--name", required=True, type=_key_name, help="who or what the key is for")
    _command(commands, "list-keys", "list the instructor keys (ids, names, revoked or not)", _list_keys)
    revoke = _command(commands, "revoke-key", "revoke an instructor key at once, on every server", _revoke_key)
    revoke.add_argument("key", help="the key's id (from list-keys) or the key itself")
    copy = _command(commands, "backup", "copy the SQLite database to a new file, consistently, while servers run",
                    _backup, _SECRET)
    copy.add_argument("target", help="the new file (never overwritten)")
    _lti_commands(commands)

    serve = _command(commands, "serve", "serve the API with gunicorn", _serve, _SECRET, *_SERVING)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=_bounded(1, 65535, "a TCP port"), default=8000, help="the TCP port")
    serve.add_argument(
        "--workers",
        type=_bounded(1, 64, "a number of worker processes"),
        default=default_workers(),
        help="worker processes: twice the number of cores unless told, here %(default)s",
    )
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
