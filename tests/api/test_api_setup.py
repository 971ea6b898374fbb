"""Configuration, migrations and the CLI's database commands."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from api.auth import hash_token
from api.cli import main
from api.config import load_settings
from api.db import make_engine
from api.models import ApiKey, Base


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
