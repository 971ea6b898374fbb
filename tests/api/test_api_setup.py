"""Configuration, migrations and the CLI's database commands."""

from __future__ import annotations

import importlib.metadata
import stat
import threading

import alembic.command
import alembic.config
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from api_helpers import PART_1, bearer
from conftest import create_set
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from api import create_app
from api.auth import create_key, hash_token
from api.cli import main
from api.config import load_settings, secret_key
from api.db import make_engine
from api.models import ApiKey, AttemptCounter, Base, SubmissionRecord


def test_settings_default_to_sqlite_under_instance_and_practice_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.database_url == f"sqlite:///{tmp_path}/instance/elbo-grader.db"
    assert settings.practice is True
    assert settings.max_content_length == 64 * 1024


@pytest.mark.parametrize(
    "raw, practice", [("off", False), ("0", False), ("False", False), ("on", True), ("yes", True)]
)
def test_practice_flag_is_read_from_the_environment(raw, practice):
    assert load_settings(environ={"ELBO_GRADER_PRACTICE": raw}).practice is practice


def test_an_unreadable_practice_flag_is_refused():
    with pytest.raises(ValueError, match="ELBO_GRADER_PRACTICE"):
        load_settings(environ={"ELBO_GRADER_PRACTICE": "maybe"})


def test_overrides_win_and_unknown_ones_are_refused():
    environ = {"ELBO_GRADER_DATABASE_URL": "sqlite:///a.db"}
    assert load_settings({"database_url": "sqlite:///b.db"}, environ).database_url == "sqlite:///b.db"
    with pytest.raises(TypeError):
        load_settings({"databse_url": "x"}, environ)


def test_migrations_create_exactly_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/nested/dir/x.db")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("journal_mode"), pragma("foreign_keys"), pragma("busy_timeout")) == ("wal", 1, 10000)
    engine.dispose()


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", url)
    return url


def test_init_db_creates_the_tables_and_is_idempotent(sqlite_env, capsys):
    main(["init-db"])
    main(["init-db"])
    engine = make_engine(sqlite_env)
    assert {"api_keys", "problems", "submissions", "attempt_counters", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_create_key_prints_the_key_last_and_stores_its_hash(sqlite_env, capsys):
    main(["init-db"])
    capsys.readouterr()
    main(["create-key", "--name", "lms"])
    token = capsys.readouterr().out.splitlines()[-1]
    assert token.startswith("eg_") and len(token) > 40
    engine = make_engine(sqlite_env)
    with engine.connect() as connection:
        stored = connection.execute(select(ApiKey.name, ApiKey.key_hash)).one()
    engine.dispose()
    assert stored == ("lms", hash_token(token))


def test_create_key_refuses_an_empty_name(sqlite_env):
    with pytest.raises(SystemExit):
        main(["create-key", "--name", "  "])


def _new_key(capsys, name: str) -> str:
    main(["create-key", "--name", name])
    return capsys.readouterr().out.splitlines()[-1]


def _listed(capsys) -> list[list[str]]:
    """list-keys' rows, split into columns (the header left out)."""
    main(["list-keys"])
    return [line.split() for line in capsys.readouterr().out.splitlines()[1:]]


def test_list_keys_says_how_to_make_one_when_there_are_none(sqlite_env, capsys):
    main(["init-db"])
    capsys.readouterr()
    main(["list-keys"])
    assert "elbo-grader create-key" in capsys.readouterr().out


@pytest.mark.parametrize("by", ["id", "key"])
def test_a_revoked_key_is_refused_from_then_on_and_the_others_still_work(sqlite_env, capsys, by):
    main(["init-db"])
    lms, script = _new_key(capsys, "lms"), _new_key(capsys, "grading script")
    (lms_id, *_), (script_id, *_) = _listed(capsys)
    client = create_app({"database_url": sqlite_env, "secret_key": "k" * 40}).test_client()
    authored = {"template": "elbo-gap", "params": PART_1}
    assert client.post("/api/v1/problems", json=authored, headers=bearer(lms)).status_code == 201

    main(["revoke-key", lms_id if by == "id" else lms])
    assert f"Instructor key {lms_id} ('lms') revoked" in capsys.readouterr().out
    refused = client.post("/api/v1/problems", json=authored, headers=bearer(lms))
    assert refused.status_code == 401
    assert client.post("/api/v1/problems", json=authored, headers=bearer(script)).status_code == 201
    rows = _listed(capsys)
    assert [(row[0], row[3], row[-1]) for row in rows] == [
        (lms_id, "revoked", "lms"),
        (script_id, "active", "script"),
    ]

    main(["revoke-key", lms_id])  # again: nothing changes
    assert "already revoked" in capsys.readouterr().out
    assert _listed(capsys) == rows


@pytest.mark.parametrize("unknown", ["99", "eg_not-a-key", "lms", "-1", "²", "9" * 40])
def test_revoking_an_unknown_key_fails_and_revokes_nothing(sqlite_env, capsys, unknown):
    main(["init-db"])
    _new_key(capsys, "lms")
    with pytest.raises(SystemExit) as exited:
        main(["revoke-key", unknown])
    assert exited.value.code == 2
    refusal = capsys.readouterr().err
    assert "no instructor key" in refusal and "list-keys" in refusal
    assert [row[3] for row in _listed(capsys)] == ["active"]


def _anonymous_submissions(app, problem_id: str, sent: threading.Event, stop: threading.Event) -> None:
    with app.test_client() as client:
        while not stop.is_set():
            response = client.post(f"/api/v1/problems/{problem_id}/submissions", json={"answers": {}})
            assert response.status_code == 201
            sent.set()


def test_a_backup_holds_what_was_committed_and_serves_as_the_database(sqlite_env, tmp_path, capsys):
    main(["init-db"])
    key = _new_key(capsys, "lms")
    client = create_app({"database_url": sqlite_env, "secret_key": "k" * 40}).test_client()
    authored = {"template": "elbo-gap", "params": PART_1}
    problem = client.post("/api/v1/problems", json=authored, headers=bearer(key)).json
    submissions = f"/api/v1/problems/{problem['id']}/submissions"
    made = [client.post(submissions, json={"answers": {"marginal": 0.6}}).json for _ in range(3)]
    target = tmp_path / "copies" / "backup.db"
    target.parent.mkdir()

    main(["backup", str(target)])
    out = capsys.readouterr().out
    assert "integrity check: ok" in out and "problems: 1, submissions: 3" in out
    assert "secret" in out.lower()
    after = client.post(submissions, json={"answers": {}}).json

    restored = create_app({"database_url": f"sqlite:///{target}", "secret_key": "k" * 40}).test_client()
    for submission in made:
        path = f"/api/v1/submissions/{submission['id']}"
        assert restored.get(path).json == client.get(path).json
    assert restored.get(f"/api/v1/submissions/{after['id']}").status_code == 404
    # The copy takes new work: its attempt counter carries on from the copied submissions.
    assert restored.post(submissions, json={"answers": {}}).json["attempt"] == 4


def test_a_backup_taken_while_submissions_arrive_is_one_moment_of_the_database(sqlite_env, tmp_path, capsys):
    main(["init-db"])
    key = _new_key(capsys, "lms")
    app = create_app({"database_url": sqlite_env, "secret_key": "k" * 40})
    authored = {"template": "elbo-gap", "params": PART_1}
    problem = app.test_client().post("/api/v1/problems", json=authored, headers=bearer(key)).json
    sent, stop = threading.Event(), threading.Event()
    arguments = (app, problem["id"], sent, stop)
    senders = [threading.Thread(target=_anonymous_submissions, args=arguments) for _ in range(3)]
    for sender in senders:
        sender.start()
    try:
        assert sent.wait(timeout=10)
        main(["backup", str(tmp_path / "backup.db")])
    finally:
        stop.set()
        for sender in senders:
            sender.join()
    copy = make_engine(f"sqlite:///{tmp_path / 'backup.db'}")
    source = make_engine(sqlite_env)
    with copy.connect() as in_copy, source.connect() as in_source:
        attempts = sorted(in_copy.execute(select(SubmissionRecord.attempt)).scalars())
        used = in_copy.execute(select(AttemptCounter.used)).scalar()
        copied = set(in_copy.execute(select(SubmissionRecord.id)).scalars())
        kept = set(in_source.execute(select(SubmissionRecord.id)).scalars())
    copy.dispose()
    source.dispose()
    # The counter and the rows are of one moment: attempts 1..n, each once, and the counter at n.
    assert attempts and attempts == list(range(1, used + 1))
    assert copied <= kept


@pytest.mark.parametrize(
    "url, target, message",
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", "b.db", "pg_dump"),
        ("sqlite://", "b.db", "in memory"),
        (None, "exists.db", "never overwrites"),
        (None, "missing/b.db", "no directory"),
    ],
)
def test_backup_refuses_what_it_cannot_copy_or_would_overwrite(
    sqlite_env, tmp_path, monkeypatch, capsys, url, target, message
):
    if url is not None:
        monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", url)
    else:
        main(["init-db"])
    (tmp_path / "exists.db").write_text("an earlier backup")
    with pytest.raises(SystemExit) as exited:
        main(["backup", str(tmp_path / target)])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert (tmp_path / "exists.db").read_text() == "an earlier backup"
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "missing").exists()


def test_the_secret_key_is_read_from_the_environment():
    key = "k" * 40
    settings = load_settings(environ={"ELBO_GRADER_SECRET_KEY": key})
    assert secret_key(settings) == key.encode()


def test_a_short_secret_key_is_refused():
    with pytest.raises(ValueError, match="ELBO_GRADER_SECRET_KEY"):
        load_settings(environ={"ELBO_GRADER_SECRET_KEY": "short"})


def test_without_a_secret_key_one_is_made_once_in_instance_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.secret_key is None
    path = tmp_path / "instance" / "secret-key"
    assert not path.exists()  # made on first use, not by reading the settings
    first = secret_key(settings)
    assert len(first) >= 32 and path.read_bytes().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(load_settings(environ={})) == first


def test_processes_racing_to_make_the_key_all_get_the_same_one(tmp_path):
    settings = load_settings({"secret_key_file": str(tmp_path / "secret-key")}, environ={})
    barrier = threading.Barrier(8)
    keys = []

    def make():
        barrier.wait()
        keys.append(secret_key(settings))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret-key"]


def _alembic_config(connection):
    config = alembic.config.Config()
    config.set_main_option("script_location", "api:migrations")
    config.attributes["connection"] = connection
    return config


def test_migration_0002_keeps_existing_rows_and_downgrades(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as connection:
        alembic.command.upgrade(_alembic_config(connection), "0001")
        now = "2026-11-01 00:00:00"
        connection.exec_driver_sql(
            "INSERT INTO problem_sets "
            "VALUES ('00000000000040008000000000000001', 't', 1, '[]', '{}', NULL, ?)",
            (now,),
        )
        connection.exec_driver_sql(
            "INSERT INTO student_tokens (problem_set_id, student_id, token_hash, created_at) "
            "VALUES ('00000000000040008000000000000001', 'alice', 'h', ?)",
            (now,),
        )
        connection.exec_driver_sql(
            "INSERT INTO problems (id, template, params, policy, problem, created_at) "
            "VALUES ('00000000000040008000000000000002', 'elbo-gap', '{}', '{}', '{}', ?)",
            (now,),
        )
        connection.exec_driver_sql(
            "INSERT INTO submissions VALUES ('00000000000040008000000000000003', "
            "'00000000000040008000000000000002', NULL, '', 1, '{}', '{}', 0.5, ?)",
            (now,),
        )
    with engine.begin() as connection:
        alembic.command.upgrade(_alembic_config(connection), "head")
        assert connection.exec_driver_sql("SELECT late FROM submissions").scalar_one() == 0
        assert connection.exec_driver_sql("SELECT position, generation FROM student_tokens").one() == (0, 0)
        assert "idempotency_keys" in inspect(connection).get_table_names()
    with engine.begin() as connection:
        alembic.command.downgrade(_alembic_config(connection), "0001")
        assert "idempotency_keys" not in inspect(connection).get_table_names()
        assert connection.exec_driver_sql("SELECT count(*) FROM submissions").scalar_one() == 1
    engine.dispose()


SECRET = "the-secret-that-issued-tokens-" + "a" * 20


@pytest.fixture
def serve_calls(monkeypatch):
    """`serve` up to gunicorn: the settings it would run with, one entry per run."""
    calls = []

    class Recorded:
        def __init__(self, options):
            self.options = options

        def run(self):
            calls.append(self.options)

    monkeypatch.setattr("api.cli.Server", Recorded)
    return calls


def _issue_tokens(url: str) -> None:
    """A problem set made on ``url`` by a server whose secret key is SECRET."""
    app = create_app({"database_url": url, "practice": True, "secret_key": SECRET})
    with Session(make_engine(url)) as session:
        key = create_key(session, "lms")
    create_set(app.test_client(), bearer(key), ["alice", "bob"])


@pytest.mark.parametrize("migrated_to", [None, "0002"], ids=["no-tables", "an-older-migration"])
def test_serve_refuses_a_database_short_of_the_latest_migration(
    sqlite_env, serve_calls, monkeypatch, tmp_path, capsys, migrated_to
):
    monkeypatch.delenv("ELBO_GRADER_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(sqlite_env)  # the file, with no tables
    if migrated_to:
        with engine.begin() as connection:
            alembic.command.upgrade(_alembic_config(connection), migrated_to)
    else:
        engine.connect().close()
    engine.dispose()
    with pytest.raises(SystemExit) as refused:
        main(["serve"])
    assert refused.value.code == 2
    message = capsys.readouterr().err
    assert f"at migration {migrated_to or 'none'}" in message and "elbo-grader init-db" in message
    assert serve_calls == []
    assert not (tmp_path / "instance").exists()  # refused before a secret key was made
    main(["init-db"])
    main(["serve"])
    assert len(serve_calls) == 1


@pytest.mark.parametrize(
    "issued, serving, warned",
    [
        pytest.param(True, "another-secret-key-" + "b" * 20, True, id="another-key"),
        pytest.param(True, SECRET, False, id="the-issuing-key"),
        pytest.param(False, "any-secret-key-" + "c" * 20, False, id="no-tokens-yet"),
    ],
)
def test_serve_warns_when_another_secret_key_issued_the_tokens(
    sqlite_env, serve_calls, monkeypatch, caplog, issued, serving, warned
):
    main(["init-db"])
    if issued:
        _issue_tokens(sqlite_env)
    monkeypatch.setenv("ELBO_GRADER_SECRET_KEY", serving)
    main(["serve", "--port", "8123"])
    # It serves either way: changing the key on purpose is allowed.
    assert [options["bind"] for options in serve_calls] == ["127.0.0.1:8123"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "api.cli"]
    assert len(warnings) == warned
    assert all("ELBO_GRADER_SECRET_KEY" in message for message in warnings)


@pytest.mark.parametrize(
    "argument, value",
    [
        ("--workers", "0"),
        ("--workers", "-1"),
        ("--workers", "65"),
        ("--workers", "two"),
        ("--port", "0"),
        ("--port", "65536"),
        ("--port", "99999"),
        ("--port", "http"),
    ],
)
def test_serve_refuses_a_worker_count_or_port_out_of_range_naming_it(
    sqlite_env, serve_calls, capsys, argument, value
):
    main(["init-db"])
    with pytest.raises(SystemExit) as refused:
        main(["serve", argument, value])
    assert refused.value.code == 2  # argparse's usage error
    assert f"argument {argument}" in capsys.readouterr().err
    assert serve_calls == []


def test_serve_runs_twice_as_many_workers_as_cores_unless_told(sqlite_env, serve_calls, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    main(["init-db"])
    main(["serve"])
    main(["serve", "--workers", "1", "--port", "65535"])
    assert [(o["workers"], o["bind"]) for o in serve_calls] == [(6, "127.0.0.1:8000"), (1, "127.0.0.1:65535")]


COMMANDS_ON_A_DATABASE = [
    ["create-key", "--name", "lms"],
    ["list-keys"],
    ["revoke-key", "1"],
    ["backup", "copy.db"],
    ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS_ON_A_DATABASE, ids=lambda command: command[0])
def test_every_command_refuses_a_missing_database_in_one_line_with_status_2(
    tmp_path, monkeypatch, capsys, serve_calls, command
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ELBO_GRADER_DATABASE_URL", raising=False)  # the default: ./instance/elbo-grader.db
    with pytest.raises(SystemExit) as refused:
        main(command)
    assert refused.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"elbo-grader {command[0]}: there is no database at ")
    assert "elbo-grader init-db" in err
    assert not (tmp_path / "instance" / "elbo-grader.db").exists() and serve_calls == []


@pytest.mark.parametrize("command", COMMANDS_ON_A_DATABASE, ids=lambda command: command[0])
def test_every_command_refuses_an_unmigrated_database_in_one_line_with_status_2(
    sqlite_env, tmp_path, monkeypatch, capsys, serve_calls, command
):
    monkeypatch.chdir(tmp_path)
    make_engine(sqlite_env).connect().close()  # a file with no tables
    with pytest.raises(SystemExit) as refused:
        main(command)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at migration none" in err and "elbo-grader init-db" in err
    assert serve_calls == [] and not (tmp_path / "copy.db").exists()


def test_version_is_the_installed_one(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"elbo-grader {importlib.metadata.version('elbo-grader')}"


@pytest.mark.parametrize(
    "command, variables",
    [
        ("init-db", ["ELBO_GRADER_DATABASE_URL", "ELBO_GRADER_LOG_LEVEL"]),
        ("create-key", ["ELBO_GRADER_DATABASE_URL"]),
        ("backup", ["ELBO_GRADER_DATABASE_URL", "ELBO_GRADER_SECRET_KEY"]),
        ("serve", ["ELBO_GRADER_DATABASE_URL", "ELBO_GRADER_SECRET_KEY", "ELBO_GRADER_PRACTICE",
                   "ELBO_GRADER_RATE_LIMIT_ANONYMOUS", "ELBO_GRADER_TRUSTED_PROXIES"]),
    ],
)
def test_help_names_the_environment_each_command_reads_and_the_defaults(capsys, command, variables):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert all(variable in text for variable in variables)
    if command == "serve":
        assert "(default: 127.0.0.1)" in text and "(default: 8000)" in text
