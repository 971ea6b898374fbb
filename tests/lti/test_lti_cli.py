"""`elbo-grader lti …`: registering platforms, listing and removing them, rotating the tool's key; every
refusal one line on stderr with status 2, storing nothing. And migration 0009 up and down."""

from __future__ import annotations

from datetime import timedelta

import alembic.command
import alembic.config
import pytest
from sqlalchemy import inspect, select

from api.cli import main
from api.db import make_engine
from api.lti.models import LtiDeployment, LtiPlatform, LtiToolKey
from api.models import ApiKey, utcnow

LMS = "https://lms.example.edu"
ADD = ["lti", "add-platform", "--issuer", LMS, "--client-id", "10000000000042", "--deployment-id", "1:abc",
       "--login-url", f"{LMS}/api/lti/authorize_redirect", "--token-url", f"{LMS}/login/oauth2/token",
       "--jwks-url", f"{LMS}/api/lti/security/jwks", "--name", "Canvas"]


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("ELBO_GRADER_DATABASE_URL", url)
    monkeypatch.setenv("ELBO_GRADER_SECRET_KEY", "cli-secret-" + "s" * 32)
    monkeypatch.delenv("ELBO_GRADER_PUBLIC_URL", raising=False)
    main(["init-db"])
    return url


def rows(url: str, model) -> list:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(select(model)))
    engine.dispose()
    return found


def refused(capsys, argv: list[str]) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 or error.startswith("usage:")
    return error


def test_add_platform_registers_it_and_prints_the_tools_urls(database, capsys):
    main([*ADD, "--base-url", "https://grader.example.edu/"])
    out = capsys.readouterr().out
    for line in ("login URL          https://grader.example.edu/lti/login",
                 "launch URL         https://grader.example.edu/lti/launch",
                 "jwks URL           https://grader.example.edu/lti/jwks",
                 "deep linking URL   https://grader.example.edu/lti/launch"):
        assert line in out
    assert "problem_set_id" in out
    (platform,) = rows(database, LtiPlatform)
    assert (platform.issuer, platform.client_id, platform.name) == (LMS, "10000000000042", "Canvas")
    assert [row.deployment_id for row in rows(database, LtiDeployment)] == ["1:abc"]
    # Its instructors' key: listed with the others, revocable like them.
    assert [key.name for key in rows(database, ApiKey)] == [f"lti-platform:{platform.id}"]


def test_the_base_url_may_come_from_the_environment_and_is_needed(database, capsys, monkeypatch):
    assert "--base-url or ELBO_GRADER_PUBLIC_URL" in refused(capsys, ADD)
    assert rows(database, LtiPlatform) == []
    monkeypatch.setenv("ELBO_GRADER_PUBLIC_URL", "https://grader.example.edu")
    main(ADD)
    assert "https://grader.example.edu/lti/login" in capsys.readouterr().out


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--login-url", "ftp://lms.example.edu/auth", "the login URL 'ftp://lms.example.edu/auth' is not an https URL"),
    ("--token-url", "http://lms.example.edu/token", "the token URL 'http://lms.example.edu/token' is not an https"),
    ("--jwks-url", "lms.example.edu/jwks", "the JWKS URL 'lms.example.edu/jwks' is not an https URL"),
    ("--base-url", "https://", "the base URL 'https://' is not an https URL"),
    ("--login-url", "https://[", "the login URL 'https://[' is not an https URL"),
    ("--jwks-url", "https://lms.example.edu:99999/jwks", "the JWKS URL 'https://lms.example.edu:99999/jwks' is not"),
    ("--issuer", "   ", "the issuer must be 1 to 255 characters"),
    ("--deployment-id", "", "a deployment id must be 1 to 255 characters"),
])
def test_add_platform_refuses_what_cannot_work(database, capsys, option, value, said):
    argv = [*ADD, "--base-url", "https://grader.example.edu"]
    argv[argv.index(option) + 1] = value
    assert said in refused(capsys, argv)
    assert rows(database, LtiPlatform) == [] and rows(database, ApiKey) == []


@pytest.mark.parametrize("url", ["http://localhost:8080/token", "http://127.0.0.1/token", "http://[::1]/token"])
def test_plain_http_is_accepted_on_this_machine_only(database, capsys, url):
    main([*ADD, "--base-url", "https://grader.example.edu", "--token-url", url])
    (platform,) = rows(database, LtiPlatform)
    assert platform.token_url == url


def test_a_platform_is_registered_once_and_a_deployment_once(database, capsys):
    main([*ADD, "--base-url", "https://grader.example.edu"])
    assert "is registered already" in refused(capsys, [*ADD, "--base-url", "https://grader.example.edu"])
    (platform,) = rows(database, LtiPlatform)
    main(["lti", "add-deployment", platform.id, "2:def"])
    assert "deployments 1:abc, 2:def" in capsys.readouterr().out
    assert "deployment id '2:def' is registered already" in refused(
        capsys, ["lti", "add-deployment", platform.id, "2:def"])
    assert "no platform 'nope'" in refused(capsys, ["lti", "add-deployment", "nope", "3:ghi"])
    assert len(rows(database, LtiDeployment)) == 2


def test_list_and_remove_platforms(database, capsys):
    main(["lti", "list-platforms"])
    assert "No platforms" in capsys.readouterr().out
    main([*ADD, "--base-url", "https://grader.example.edu"])
    (platform,) = rows(database, LtiPlatform)
    capsys.readouterr()
    main(["lti", "list-platforms"])
    listed = capsys.readouterr().out
    assert platform.id in listed and "issuer https://lms.example.edu, client id 10000000000042" in listed
    main(["lti", "remove-platform", platform.id])
    assert "removed" in capsys.readouterr().out
    assert rows(database, LtiPlatform) == [] and rows(database, LtiDeployment) == []
    (key,) = rows(database, ApiKey)
    assert key.revoked_at is not None
    assert "no platform" in refused(capsys, ["lti", "remove-platform", platform.id])


@pytest.mark.parametrize("grace", [None, "3"])
def test_rotate_key_keeps_the_old_key_for_the_grace_days(database, capsys, grace):
    main(["lti", "rotate-key"])
    first = rows(database, LtiToolKey)
    main(["lti", "rotate-key", *(["--grace-days", grace] if grace else [])])
    days = int(grace or 7)
    assert f"for {days} days" in capsys.readouterr().out
    old, new = sorted(rows(database, LtiToolKey), key=lambda key: key.created_at)
    assert old.kid == first[0].kid and new.retired_at is None
    assert timedelta(days=days, minutes=-1) < old.retired_at - utcnow() <= timedelta(days=days)


def test_rotate_key_refuses_a_grace_it_cannot_read(database, capsys):
    assert "a number of days from 0 to 365" in refused(capsys, ["lti", "rotate-key", "--grace-days", "-1"])


def _alembic_config(connection) -> alembic.config.Config:
    config = alembic.config.Config()
    config.set_main_option("script_location", "api:migrations")
    config.attributes["connection"] = connection
    return config


LTI_TABLES = {"lti_platforms", "lti_deployments", "lti_tool_keys", "lti_nonces", "lti_links", "lti_learners"}


def test_migration_0009_adds_the_lti_tables_and_downgrades(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as connection:
        alembic.command.upgrade(_alembic_config(connection), "0008")
        assert not LTI_TABLES & set(inspect(connection).get_table_names())
    with engine.begin() as connection:
        alembic.command.upgrade(_alembic_config(connection), "0009")
        assert LTI_TABLES <= set(inspect(connection).get_table_names())
        foreign = {key["referred_table"]: key["options"] for key in inspect(connection).get_foreign_keys("lti_links")}
        assert foreign["lti_platforms"] == {"ondelete": "CASCADE"} and "problem_sets" in foreign
    with engine.begin() as connection:
        alembic.command.downgrade(_alembic_config(connection), "0008")
        assert not LTI_TABLES & set(inspect(connection).get_table_names())
    engine.dispose()
